"""docs/api.md, "Verifying the record": its Python, run as a newsroom would against a
live server, verifies a fact-check published and then corrected through the workflow,
and catches a record altered after publication."""

import copy
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from claims import services
from claims.models import Claim, ClaimStatus, EvidenceKind, EvidenceStance
from publishing import changelog
from publishing.models import ChangeEvent
from tests.factories import ClaimFactory, rating

pytestmark = pytest.mark.django_db(transaction=True)
API_DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_check() -> str:
    """The Python block of the docs' section "Verifying the record"."""
    text = API_DOCS.read_text()
    section = text[text.index("## Verifying the record") :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "docs/api.md has no Python block under 'Verifying the record'"
    return found.group(1)


@pytest.fixture
def corrected(reviewer, editor) -> Claim:
    """A fact-check published, then corrected, through the services, with its source."""
    claim = ClaimFactory(status=ClaimStatus.QUEUED, claim_reviewed="Ukraine lost 90,000 troops")
    services.claim_take(actor=reviewer, claim=claim)
    services.evidence_add(
        actor=reviewer,
        claim=claim,
        url="https://www.understandingwar.org/backgrounder/",
        title="Russian Offensive Campaign Assessment",
        kind=EvidenceKind.RESEARCH,
        stance=EvidenceStance.REFUTES,
    )
    services.claim_propose(
        actor=reviewer,
        claim=claim,
        rating=rating("false"),
        summary="No independent source supports the figure.",
        explanation="The number comes from the Russian defence ministry alone.",
    )
    services.claim_approve(actor=editor, claim=claim)
    services.claim_correct(actor=editor, claim=claim, note="The period was five months.")
    services.claim_propose(
        actor=reviewer,
        claim=claim,
        rating=rating("mostly-false"),
        summary="The figure covers five months and cannot be checked independently.",
        explanation="The number comes from the Russian defence ministry alone.",
    )
    services.claim_approve(actor=editor, claim=claim)
    changelog.change_events_sequence()  # in case an on-commit run lost the race
    return claim


@pytest.fixture
def check(live_server, monkeypatch) -> dict[str, Any]:
    """The documented code loaded as a module pointed at the live server (not run as a
    script), so a test can hand its `verify` a record it altered."""
    monkeypatch.setenv("FACTCHECK_API", f"{live_server.url}/api/v1")
    namespace: dict[str, Any] = {"__name__": "verify"}
    exec(compile(documented_check(), str(API_DOCS), "exec"), namespace)  # noqa: S102
    return namespace


def first_version_hash(claim: Claim) -> str:
    return ChangeEvent.objects.filter(claim=claim).order_by("seq").first().content_hash


def test_the_documented_script_verifies_a_published_then_corrected_fact_check(
    live_server, corrected, tmp_path
):
    script = tmp_path / "verify.py"
    script.write_text(documented_check())
    env = {**os.environ, "FACTCHECK_API": f"{live_server.url}/api/v1"}

    result = subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, str(script), str(corrected.pk), first_version_hash(corrected)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    newest = corrected.published_versions.order_by("-number").first().content_hash
    assert result.stdout.strip() == (
        f"fact-check {corrected.pk}: 2 versions verified, newest {newest}"
    )


def test_the_documented_script_fails_for_a_hash_that_is_not_in_the_chain(
    live_server, corrected, tmp_path
):
    script = tmp_path / "verify.py"
    script.write_text(documented_check())
    env = {**os.environ, "FACTCHECK_API": f"{live_server.url}/api/v1"}

    result = subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, str(script), str(corrected.pk), "0" * 64],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "NotVerified: no longer in the record: " + "0" * 64 in result.stderr


def test_the_served_record_holds_together(check, corrected):
    document = check["get"](f"{check['BASE']}/claims/{corrected.pk}/")
    changes = check["changes_of"](corrected.pk)

    check["verify"](document, changes, kept=[first_version_hash(corrected)])

    assert [c["type"] for c in changes] == ["published", "corrected"]
    assert [v["content_hash"] for v in document["history"]] == [c["content_hash"] for c in changes]


def _rewrite_summary(document: dict, changes: list[dict], check: dict) -> None:
    document["summary"] = "The figure is confirmed."


def _rewrite_and_rehash(document: dict, changes: list[dict], check: dict) -> None:
    document["summary"] = "The figure is confirmed."
    document["content_hash"] = check["content_hash"](document)


def _rewrite_rehash_and_fix_the_history(document: dict, changes: list[dict], check: dict) -> None:
    _rewrite_and_rehash(document, changes, check)
    document["history"][-1]["content_hash"] = document["content_hash"]


def _swap_the_first_version(document: dict, changes: list[dict], check: dict) -> None:
    first = changes[0]["document"]
    first["rating"] = {**first["rating"], "slug": "true", "label": "True"}
    new_hash = check["content_hash"](first)
    first["content_hash"] = changes[0]["content_hash"] = new_hash
    document["history"][0]["content_hash"] = new_hash


def _edit_a_logged_document(document: dict, changes: list[dict], check: dict) -> None:
    changes[0]["document"]["explanation"] = "Confirmed by three sources."


def _drop_the_correction_from_the_history(document: dict, changes: list[dict], check: dict):
    document["history"].pop()


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (_rewrite_summary, "the document is not as hashed"),
        (_rewrite_and_rehash, "another newest"),
        (_rewrite_rehash_and_fix_the_history, "is not version 2"),
        (_swap_the_first_version, "version 2 is unlinked"),
        (_edit_a_logged_document, "is not as hashed"),
        (_drop_the_correction_from_the_history, "history misses versions"),
    ],
)
def test_the_documented_check_catches_a_tampered_record(
    check, corrected, tamper: Callable, problem: str
):
    document = check["get"](f"{check['BASE']}/claims/{corrected.pk}/")
    changes = check["changes_of"](corrected.pk)
    check["verify"](copy.deepcopy(document), copy.deepcopy(changes))  # intact: passes

    tamper(document, changes, check)

    with pytest.raises(check["NotVerified"], match=problem):
        check["verify"](document, changes)
