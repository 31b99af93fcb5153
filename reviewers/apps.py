from django.apps import AppConfig


class ReviewersConfig(AppConfig):
    name = "reviewers"

    def ready(self) -> None:
        # An assignment owes the assignee an email, in the assignment's transaction.
        from claims import hooks
        from reviewers.services import assignment_notify

        hooks.assignment_hook_register(assignment_notify)
