"""The API's docs page (Swagger UI) works with no internet: every request the browser
makes goes to this server, and the operations of the schema are rendered."""

from urllib.parse import urlsplit

import pytest

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_the_operations_offline(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    elsewhere: list[str] = []

    def local_only(route) -> None:
        # No internet in this test: anything not for the live server is refused and noted.
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith("data:"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        response = page.goto(f"{site}/api/v1/docs/")
        assert response is not None and response.status == 200

        page.wait_for_selector(".opblock-summary-path")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any(p.strip().replace("\u200b", "") == "/api/v1/claims/" for p in paths), paths
        assert any("/api/v1/changes/" in p.replace("\u200b", "") for p in paths), paths
        # The schema was fetched from this server and is the one it serves.
        assert page.locator(".info .title").inner_text().strip()
    finally:
        context.close()
    assert elsewhere == [], f"the docs page reached out to {elsewhere}"
    assert failed == [], f"requests failed: {failed}"
