"""The one domain error every app raises when it refuses an action.

A service that refuses (a rule, a permission, invalid input) raises `DomainError` or a
kind of it (`claims.workflow.WorkflowError` for the workflow) and changes nothing. The
API's exception handler turns it into the error format by its `code`, the admin and the
public pages show its `message`; nothing else needs to know which app raised it.
"""


class DomainError(Exception):
    """`code` names the refusal for clients: invalid, forbidden, not_found, conflict,
    illegal_transition, four_eyes, ... (docs/api.md, "Errors"). `fields` maps input
    fields to their messages, for a form or an API client to show beside each field."""

    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
