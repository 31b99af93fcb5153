"""The queue's emails through a real SMTP server: content, idempotent sends, retries."""

import smtplib

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimStatus
from factcheck import emails
from reviewers import services
from reviewers.models import Notice, NoticeKind, NoticeState
from reviewers.tasks import send_email
from tests.conftest import wait_for
from tests.factories import ClaimFactory
from tests.mail import free_port
from tests.reviewers.conftest import make_profile

S = ClaimStatus


@pytest.fixture
def assigned(reviewer):
    """A claim in review, assigned to the reviewer, and the email they are owed."""
    claim = ClaimFactory(status=S.IN_REVIEW, assignee=reviewer)
    notice = Notice.objects.create(claim=claim, kind=NoticeKind.ASSIGNMENT, recipient=reviewer)
    return notice


def parts(message) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


# --- What the reviewer receives -------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_an_assignment_emails_the_reviewer_text_and_html(
    settings, smtp_server, reviewer, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://factcheck.example.org"
    make_profile(reviewer)
    claim = ClaimFactory(status=S.QUEUED, due_at=timezone.now() + timezone.timedelta(hours=30))

    with django_capture_on_commit_callbacks(execute=True):
        services.queue_assign()

    [message] = smtp_server.messages
    assert smtp_server.recipients == [[reviewer.email]]
    assert message["To"] == reviewer.email
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == f"Assigned to you: {claim.claim_reviewed}"
    assert message["Auto-Submitted"] == "auto-generated"
    notice = Notice.objects.get()
    assert message["Message-ID"] == f"<factcheck.notice-{notice.pk}@factcheck.example.org>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    url = "https://factcheck.example.org" + reverse("admin:claims_claim_change", args=[claim.pk])
    assert "Hello olena," in text
    assert claim.claim_reviewed in text and url in text and "Sergei Shoigu" in text
    assert "Due:" in text
    assert f'href="{url}"' in html and "<html" in html and claim.claim_reviewed in html
    assert notice.state == NoticeState.SENT


def test_html_part_escapes_the_claim_and_text_part_does_not(smtp_server, reviewer):
    claim = ClaimFactory(
        status=S.IN_REVIEW,
        assignee=reviewer,
        claim_reviewed='Aid "ran out" <fast> & soon',
    )
    notice = Notice.objects.create(claim=claim, kind=NoticeKind.ASSIGNMENT, recipient=reviewer)

    services.notice_send(notice_id=notice.pk)

    text, html = parts(smtp_server.messages[0])
    assert 'Aid "ran out" <fast> & soon' in text
    assert "Aid &quot;ran out&quot; &lt;fast&gt; &amp; soon" in html


def test_reminder_says_when_the_claim_is_due(smtp_server, reviewer):
    claim = ClaimFactory(
        status=S.IN_REVIEW,
        assignee=reviewer,
        due_at=timezone.now() + timezone.timedelta(hours=5, minutes=30),
    )
    notice = Notice.objects.create(
        claim=claim, kind=NoticeKind.REMINDER, recipient=reviewer, due_at=claim.due_at
    )

    assert services.notice_send(notice_id=notice.pk) is True

    text, html = parts(smtp_server.messages[0])
    assert "is due in 5\xa0hours" in text and "is due in 5\xa0hours" in html


# --- Sent once --------------------------------------------------------------------------


def test_a_redelivered_send_task_does_not_send_twice(smtp_server, assigned):
    assert send_email.apply(args=[assigned.pk]).get() is True
    assert send_email.apply(args=[assigned.pk]).get() is False

    assert len(smtp_server.messages) == 1
    assigned.refresh_from_db()
    assert (assigned.state, assigned.attempts) == (NoticeState.SENT, 1)


def test_a_send_in_progress_elsewhere_is_left_to_it(smtp_server, assigned):
    # Another worker holds the lease: it is sending right now.
    Notice.objects.filter(pk=assigned.pk).update(
        locked_until=timezone.now() + timezone.timedelta(seconds=60), attempts=1
    )

    assert send_email.apply(args=[assigned.pk]).get() is False
    assert smtp_server.messages == []


def test_assignment_email_after_a_reassignment_is_skipped(smtp_server, assigned, other_reviewer):
    assigned.claim.assignee = other_reviewer
    assigned.claim.save()

    assert services.notice_send(notice_id=assigned.pk) is False

    assigned.refresh_from_db()
    assert assigned.state == NoticeState.SKIPPED and "reassigned" in assigned.error
    assert smtp_server.messages == []


# --- SMTP failures ----------------------------------------------------------------------


def test_a_temporary_4xx_answer_is_retried_until_accepted(smtp_server, assigned):
    smtp_server.replies.extend(["451 4.3.0 Try again later", "421 4.7.0 Busy"])

    result = send_email.apply(args=[assigned.pk])

    assert result.successful()
    assert smtp_server.data_commands == 3
    assert len(smtp_server.messages) == 1
    assigned.refresh_from_db()
    assert (assigned.state, assigned.attempts) == (NoticeState.SENT, 3)


def test_a_permanent_5xx_answer_is_not_retried(smtp_server, assigned):
    smtp_server.replies.append("550 5.1.1 Mailbox unavailable")

    result = send_email.apply(args=[assigned.pk])

    assert result.successful() and result.get() is False
    assert smtp_server.data_commands == 1
    assert smtp_server.messages == []
    assigned.refresh_from_db()
    assert (assigned.state, assigned.attempts) == (NoticeState.FAILED, 1)
    assert "550" in assigned.error


def test_temporary_failures_give_up_after_the_last_attempt(smtp_server, assigned):
    smtp_server.replies.extend(["451 4.3.0 Try again later"] * 10)

    send_email.apply(args=[assigned.pk])

    assert smtp_server.data_commands == services.NOTICE_MAX_ATTEMPTS
    assigned.refresh_from_db()
    assert (assigned.state, assigned.attempts) == (NoticeState.FAILED, 5)


def test_an_smtp_server_that_is_down_is_a_temporary_failure(settings, assigned):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens

    with pytest.raises(emails.TemporaryEmailError):
        services.notice_send(notice_id=assigned.pk)

    assigned.refresh_from_db()
    assert (assigned.state, assigned.attempts) == (NoticeState.PENDING, 1)
    assert "ConnectionRefusedError" in assigned.error
    # Not leased any more: the task's retry (or the sweep) may try again.
    assert assigned.locked_until <= timezone.now()


@pytest.mark.parametrize(
    ("exc", "temporary"),
    [
        (smtplib.SMTPDataError(451, b"later"), True),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPSenderRefused(452, b"full", "a@b"), True),
        (smtplib.SMTPAuthenticationError(535, b"bad login"), False),
        (smtplib.SMTPConnectError(421, b"busy"), True),
        (smtplib.SMTPRecipientsRefused({"a@b": (450, b"greylisted")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")}), False),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPNotSupportedError("no STARTTLS"), False),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
    ],
)
def test_temporary_and_permanent_smtp_errors(exc, temporary):
    assert emails.is_temporary(exc) is temporary


def test_admin_sends_a_failed_notice_again(
    client, admin_user, smtp_server, assigned, django_capture_on_commit_callbacks, eager_tasks
):
    Notice.objects.filter(pk=assigned.pk).update(
        state=NoticeState.FAILED, attempts=5, error="550 no"
    )
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:reviewers_notice_changelist"),
            {"action": "send_again", "_selected_action": [assigned.pk]},
        )

    assert response.status_code == 302
    assigned.refresh_from_db()
    assert (assigned.state, assigned.attempts, assigned.error) == (NoticeState.SENT, 1, "")
    assert len(smtp_server.messages) == 1


# --- Through a real worker ----------------------------------------------------------------


@pytest.mark.worker
def test_assignment_email_goes_out_through_a_real_worker(celery_workers, smtp_server, reviewer):
    """The roles come back with the serialized rollback: an earlier transactional test
    emptied the tables."""
    celery_workers.start(queues="email", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_server.port))
    make_profile(reviewer)
    claim = ClaimFactory(status=S.QUEUED)

    # Autocommit here: the notice commits with the assignment and its task goes to Redis.
    services.queue_assign()

    [message] = smtp_server.wait_for(1, timeout=60)
    assert message["To"] == reviewer.email
    assert message["Subject"] == f"Assigned to you: {claim.claim_reviewed}"
    wait_for(lambda: Notice.objects.get().state == NoticeState.SENT, timeout=30)
    assert "reviewers.send_email" in celery_workers.logs()


def test_queue_tasks_are_routed_and_scheduled(settings):
    from factcheck.celery import app

    app.loader.import_default_modules()
    routes = {name: app.amqp.router.route({}, name)["queue"].name for name in (
        "reviewers.assign_queued", "reviewers.sweep_deadlines", "reviewers.send_email")}  # fmt: skip
    assert routes == {
        "reviewers.assign_queued": "default",
        "reviewers.sweep_deadlines": "default",
        "reviewers.send_email": "email",
    }
    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat["assign"]["task"] == "reviewers.assign_queued"
    assert beat["assign"]["schedule"] == settings.FACTCHECK_ASSIGN_EVERY
    assert beat["deadlines"]["task"] == "reviewers.sweep_deadlines"
    assert beat["deadlines"]["schedule"] == settings.FACTCHECK_DEADLINE_SWEEP_EVERY


@pytest.mark.usefixtures("eager_tasks")
def test_an_editors_manual_assignment_emails_the_reviewer_once(
    smtp_server, reviewer, editor, django_capture_on_commit_callbacks
):
    from claims.services import claim_assign

    claim = ClaimFactory(status=S.QUEUED)

    with django_capture_on_commit_callbacks(execute=True):
        claim_assign(actor=editor, claim=claim, assignee=reviewer)

    [message] = smtp_server.messages
    assert message["To"] == reviewer.email
    assert message["Subject"] == f"Assigned to you: {claim.claim_reviewed}"
    assert Notice.objects.get().kind == NoticeKind.ASSIGNMENT


@pytest.mark.usefixtures("eager_tasks")
def test_an_editor_assigning_themselves_gets_no_email(
    smtp_server, editor, django_capture_on_commit_callbacks
):
    from claims.services import claim_assign

    with django_capture_on_commit_callbacks(execute=True):
        claim_assign(actor=editor, claim=ClaimFactory(status=S.QUEUED), assignee=editor)

    assert smtp_server.messages == []
