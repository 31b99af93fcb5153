"""One request of a fuzz suite, checked: never a 5xx, never an exception out of a view."""

from urllib.parse import quote

from django.db import transaction
from hypothesis import strategies as st

# Percent-escapes that decode to invalid UTF-8, placed raw into a query string.
RAW_ESCAPES = ["%FF", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%00", "%"]


@st.composite
def query_string(draw, names: list[str], values) -> str:
    """A query string of one to three of `names` (or any name), each with a hostile
    value, sometimes with a raw invalid-UTF-8 escape appended."""
    pairs = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        # An index, not sampled_from(names): the names may come from the database.
        index = draw(st.integers(min_value=-1, max_value=10**6))
        name = names[index % len(names)] if names and index >= 0 else draw(values)
        value = quote(draw(values), safe="")
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            value += draw(st.sampled_from(RAW_ESCAPES))
        pairs.append(f"{quote(name, safe='')}={value}")
    return "&".join(pairs)


# Requests sent by the fuzz suites in this process, for the summary (tests/fuzz/conftest.py).
SENT = {"requests": 0}


def answer(client, method: str, path: str, *, query: str = "", data=None, **extra):
    """Send one request and fail unless the answer is below 500.

    The request runs in a savepoint that an exception rolls back, so one failure on
    PostgreSQL leaves the test's transaction usable for Hypothesis to shrink it."""
    if query:
        extra["QUERY_STRING"] = query
    shown = f"{method.upper()} {path}?{query[:200]} data={_short(data)}"
    SENT["requests"] += 1
    try:
        with transaction.atomic():
            if method == "get":
                response = client.get(path, **extra)
            elif isinstance(data, bytes):
                # generic() sends bytes as they are; post() would re-encode them to the
                # charset the content type names, failing in the client, not the server.
                content_type = extra.pop("content_type", "application/octet-stream")
                response = client.generic("POST", path, data, content_type, **extra)
            else:
                response = client.post(path, data=data or {}, **extra)
    except Exception as exc:  # noqa: BLE001 - any exception out of a view is the finding
        raise AssertionError(f"{type(exc).__name__}: {str(exc)[:200]} <- {shown}") from exc
    assert response.status_code < 500, f"{response.status_code} <- {shown}"
    return response


def _short(data) -> str:
    """The posted data for a failure message, each value cut to 60 characters."""
    if not isinstance(data, dict):
        return repr(data)
    return repr({k: (v[:60] if isinstance(v, str) else v) for k, v in data.items()})[:1500]
