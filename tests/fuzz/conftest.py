"""The fuzz suites' summary line: how many requests they sent (docs/security.md)."""

from tests.fuzz.client import SENT
from tests.fuzz.hostile import MULTIPLIER, RANDOM


def pytest_terminal_summary(terminalreporter) -> None:
    if SENT["requests"]:
        terminalreporter.write_line(
            f"fuzz: {SENT['requests']} requests sent (examples x{MULTIPLIER}, "
            f"{'random' if RANDOM else 'fixed'} draws)"
        )
