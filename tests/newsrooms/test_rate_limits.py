"""Rate limits in Redis: per token, per client address for anonymous reads."""

import logging
import threading
from types import SimpleNamespace

import pytest

from factcheck.ratelimit import parse_rate
from newsrooms.api.throttling import NewsroomRateThrottle
from tests.newsrooms.conftest import bearer, fresh_ip

RATINGS = "/api/v1/ratings/"


# Hour-long windows, and the clock held in the middle of one: a test never straddles
# the end of a window.
pytestmark = pytest.mark.usefixtures("steady_rate_clock")


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert response.json()["error"]["code"] == "throttled"


def test_anonymous_clients_are_limited_per_address(client, db, settings):
    settings.FACTCHECK_ANON_RATE = "3/h"
    ip, other_ip = fresh_ip(), fresh_ip()

    answers = [client.get(RATINGS, REMOTE_ADDR=ip).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    assert_throttled(client.get(RATINGS, REMOTE_ADDR=ip))

    assert client.get(RATINGS, REMOTE_ADDR=other_ip).status_code == 200


def test_tokens_are_limited_separately(client, make_token, settings):
    settings.FACTCHECK_TOKEN_RATE = "2/h"
    settings.FACTCHECK_ANON_RATE = "1/h"
    first, second = make_token("read"), make_token("read")
    ip = fresh_ip()  # one address for all: tokens are counted per token, not per address

    assert [client.get(RATINGS, REMOTE_ADDR=ip, **bearer(first)).status_code for _ in range(2)] == [
        200,
        200,
    ]
    assert_throttled(client.get(RATINGS, REMOTE_ADDR=ip, **bearer(first)))

    assert client.get(RATINGS, REMOTE_ADDR=ip, **bearer(second)).status_code == 200
    assert client.get(RATINGS, REMOTE_ADDR=ip, **bearer(second)).status_code == 200
    assert_throttled(client.get(RATINGS, REMOTE_ADDR=ip, **bearer(second)))


def test_forged_forwarded_for_does_not_reset_the_limit_without_trusted_proxy(client, db, settings):
    settings.FACTCHECK_ANON_RATE = "2/h"
    settings.FACTCHECK_TRUSTED_PROXIES = 0
    ip = fresh_ip()
    for _ in range(2):
        assert client.get(RATINGS, REMOTE_ADDR=ip).status_code == 200

    for forged in ["203.0.113.1", "203.0.113.2", f"203.0.113.3, {fresh_ip()}"]:
        assert_throttled(client.get(RATINGS, REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=forged))


def test_with_one_trusted_proxy_the_address_it_appended_is_limited(client, db, settings):
    settings.FACTCHECK_ANON_RATE = "2/h"
    settings.FACTCHECK_TRUSTED_PROXIES = 1
    proxy, alice, bob = fresh_ip(), fresh_ip(), fresh_ip()

    def get(forwarded_for: str):
        return client.get(RATINGS, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert get(alice).status_code == 200
    # Alice prepends a forged address: the proxy still appended her real one.
    assert get(f"10.9.9.9, {alice}").status_code == 200
    assert_throttled(get(f"10.8.8.8, {alice}"))
    # Bob behind the same proxy has his own count.
    assert get(bob).status_code == 200


def test_requests_are_served_when_redis_is_down(client, make_token, settings, caplog):
    settings.FACTCHECK_ANON_RATE = "1/h"
    # Nothing listens on port 1: every call to Redis (factcheck.redis) fails at once.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.REDIS_TIMEOUT = 0.5
    key = make_token("read")
    ip = fresh_ip()

    with caplog.at_level(logging.WARNING, logger="factcheck.ratelimit"):
        answers = [client.get(RATINGS, REMOTE_ADDR=ip).status_code for _ in range(3)]
        answers.append(client.get(RATINGS, REMOTE_ADDR=ip, **bearer(key)).status_code)

    assert answers == [200, 200, 200, 200]
    assert "Rate limit not applied, Redis unavailable" in caplog.text


def test_concurrent_requests_never_exceed_the_limit(db, settings):
    """The counter is one atomic Redis INCR: 40 simultaneous requests against a limit
    of 10 let exactly 10 through (a read-modify-write counter lets more)."""
    settings.FACTCHECK_ANON_RATE = "10/h"
    request = SimpleNamespace(auth=None, META={"REMOTE_ADDR": fresh_ip()})
    start = threading.Barrier(40)
    allowed: list[bool] = []

    def hit() -> None:
        start.wait()
        allowed.append(NewsroomRateThrottle().allow_request(request, None))

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 10


@pytest.mark.parametrize(
    ("rate", "parsed"), [("120/min", (120, 60)), ("5/s", (5, 1)), ("1000/day", (1000, 86400))]
)
def test_rates_read_like_drf(rate, parsed):
    assert parse_rate(rate) == parsed


def test_a_bad_rate_fails_loudly():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_rate("lots")
