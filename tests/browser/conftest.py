"""Browser tests: Playwright driving Debian's Chromium (`make test` installs it with apt)
against pytest-django's live server. No browser is ever downloaded."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's


@pytest.fixture(scope="module", autouse=True)
def _sync_orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test's thread; the ORM calls of
    the test itself are still plain synchronous code. Set only while browser tests run:
    the flag must not leak into other tests' subprocesses (`check --deploy` rejects it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_sync_orm_beside_playwright):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, settings):
    """The live server over plain HTTP: cookies without the Secure flag."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["*"]
    return live_server.url


@pytest.fixture
def login(browser, site):
    """A new browser context (its own cookies) logged in to the admin as `user`."""
    contexts = []

    def _login(user):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{site}/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page

    yield _login
    for context in contexts:
        context.close()


def screenshot(page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


@pytest.fixture
def reader(browser):
    """A visitor's browser: no login; `reader(javascript=False)` for one without scripts
    (the public pages must not need them)."""
    contexts = []

    def _reader(viewport=None, javascript: bool = True):
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900},
            locale="en-GB",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _reader
    for context in contexts:
        context.close()
