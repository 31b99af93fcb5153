"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping what it accepts."""

import socket
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from django.core.mail.backends.smtp import EmailBackend


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


class WorkerKilled(Exception):
    """What `DiesAfterAcceptBackend` raises: nothing in the code under test catches it."""


class DiesAfterAcceptBackend(EmailBackend):
    """Django's SMTP backend in a process that dies right after the SMTP server accepted
    its message, before the sender could write anything down: for a fault test in this
    process (EMAIL_BACKEND = "tests.mail.DiesAfterAcceptBackend")."""

    def send_messages(self, email_messages: Any) -> int:
        super().send_messages(email_messages)
        raise WorkerKilled("killed after the SMTP server's accept")


class PausesAfterAcceptBackend(EmailBackend):
    """Django's SMTP backend that waits PAUSE_AFTER_ACCEPT seconds after the SMTP server
    accepted each message, so that a fault test can kill the worker process there (the
    worker's EMAIL_BACKEND="tests.mail.PausesAfterAcceptBackend")."""

    PAUSE_AFTER_ACCEPT = 30

    def send_messages(self, email_messages: Any) -> int:
        sent = super().send_messages(email_messages)
        time.sleep(self.PAUSE_AFTER_ACCEPT)
        return sent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_sink(settings: Any) -> Iterator[MailSink]:
    """A real SMTP server on 127.0.0.1 for the block, and Django's SMTP backend (the
    pytest-django `settings` fixture) pointed at it."""
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
    try:
        yield sink
    finally:
        controller.stop()
