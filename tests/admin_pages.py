"""Helpers for tests that drive the claim pages of the admin with Django's test client."""

from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import Claim


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def action_url(claim: Claim, action: str) -> str:
    return reverse("admin:claims_claim_workflow", kwargs={"object_id": claim.pk, "action": action})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The POST data of a rendered admin add or change page (the claim's, or any other
    model's), as a browser would send it."""
    data: dict = {}

    def add(form) -> None:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "on" if value is True else str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets") or []:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data
