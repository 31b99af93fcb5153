"""The login lockout in Debian's Chromium, as a reviewer meets it: wrong passwords typed
into the admin's login form, then the right one refused with the lockout page (under the
Content-Security-Policy, with no violation), until an operator lifts the lock with the
documented command (docs/security.md, "Login throttling")."""

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser.conftest import PASSWORD, screenshot
from tests.browser.test_csp import Watched
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def submit_login(page, site: str, username: str, password: str):
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("input[type=submit]")
    page.wait_for_load_state()
    return posted.value


def test_a_locked_out_reviewer_is_refused_until_the_lock_is_lifted(site, browser):
    UserFactory(username="olena", roles=["Reviewer"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = Watched(context.new_page())
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = submit_login(page.page, site, "olena", "wrong-password")
            assert response.status == 200
            assert "correct username and password" in page.page.inner_text(".errornote")

        response = submit_login(page.page, site, "olena", "wrong-password")
        assert response.status == 429
        response = submit_login(page.page, site, "olena", PASSWORD)
        assert response.status == 429
        assert page.page.inner_text("h1") == "Too many failed logins"
        assert "ask an administrator" in page.page.inner_text("#content")
        assert page.page.locator("#user-tools").count() == 0
        page.assert_clean("lockout page")
        screenshot(page.page, "login-locked.png")

        call_command("axes_reset_username", "olena")
        response = submit_login(page.page, site, "olena", PASSWORD)
        page.page.wait_for_selector("#user-tools")
    finally:
        context.close()
