"""Fixtures of the review queue tests: a real SMTP server, eager tasks, reviewer profiles."""

import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from claims.models import Topic
from reviewers.models import ReviewerProfile


class MailSink:
    """An aiosmtpd handler that keeps every message it accepts. Answers to DATA can be
    scripted: each string in `replies` is used once, in order, before accepting again."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.replies: deque[str] = deque()
        self.data_commands = 0
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.replies:
            reply = self.replies.popleft()
            if not reply.startswith("250"):
                return reply
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} messages arrived"
        return self.messages

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    controller.stop()


@pytest.fixture
def eager_tasks():
    """Tasks enqueued with .delay() run at once in this process (no broker, no worker)."""
    from factcheck.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def make_profile(
    user: Any,
    *,
    languages: Iterable[str] = ("en",),
    topics: Iterable[Topic] = (),
    capacity: int = 5,
    active: bool = True,
) -> ReviewerProfile:
    profile = ReviewerProfile.objects.create(
        user=user, languages=list(languages), capacity=capacity, active=active
    )
    profile.topics.set(list(topics))
    return profile


def run_concurrently(fn: Callable[[], Any], threads: int = 2) -> list[Any]:
    """Call fn in several threads released at the same moment, each on its own database
    connection; re-raises the first error."""
    barrier = threading.Barrier(threads)
    results: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=target) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    if errors:
        raise errors[0]
    return results
