"""queue_status, the admin's queue page and the heartbeat, against real Redis and workers."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import ClaimStatus
from ops.models import Heartbeat, ParkedTask
from ops.tasks import heartbeat
from tests.conftest import wait_for
from tests.factories import ClaimantFactory, ClaimFactory, UserFactory


def _seed(clean_broker):
    ClaimFactory(status=ClaimStatus.QUEUED)
    services.claim_create(
        actor=None, text="Gallup: 41% say the U.S. does too much.", claim_reviewed="41% say too much",
        claimant=ClaimantFactory(),
    )  # fmt: skip
    ParkedTask.objects.create(task_id="t1", name="claims.triage", args=[1], deliveries=3)


def test_queue_status_prints_states_queues_parked_and_heartbeat(transactional_db, clean_broker):
    _seed(clean_broker)
    Heartbeat.objects.create(name="celery@a", at=timezone.now() - datetime.timedelta(hours=1))
    out = StringIO()

    call_command("queue_status", "--json", stdout=out)

    data = json.loads(out.getvalue())
    assert data["claims_per_status"]["queued"] == 1
    assert data["claims_per_status"]["received"] == 1
    assert data["tasks_per_queue"]["intake"] == 1  # the new claim's triage, on the real broker
    assert data["parked_tasks"] == 1
    assert data["heartbeat_stale"] is True
    assert data["oldest_waiting"]["status"] in {"queued", "received"}

    text = StringIO()
    call_command("queue_status", stdout=text)
    assert "intake" in text.getvalue() and "STALE" in text.getvalue()


def test_queue_status_says_when_the_broker_is_down(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    out = StringIO()
    call_command("queue_status", stdout=out)
    assert "broker down" in out.getvalue()


def test_admin_queue_page_shows_the_snapshot(client, transactional_db, clean_broker):
    _seed(clean_broker)
    admin = UserFactory(username="ops-admin", roles=["Admin"])
    client.force_login(admin)

    response = client.get(reverse("admin:ops_heartbeat_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="queue-status"' in page and "intake" in page and "Parked tasks: 1" in page


def test_parked_task_can_be_run_again_from_the_admin(client, transactional_db, clean_broker):
    parked = ParkedTask.objects.create(
        task_id="t9", name="ops.heartbeat", args=[], deliveries=3, queue="default"
    )
    admin = UserFactory(username="ops-admin", roles=["Admin"])
    client.force_login(admin)

    response = client.post(
        reverse("admin:ops_parkedtask_changelist"),
        {"action": "run_again", "_selected_action": [parked.pk]},
    )

    assert response.status_code == 302
    assert not ParkedTask.objects.exists()
    assert clean_broker.llen("default") == 1


@pytest.mark.worker
def test_heartbeat_task_run_by_a_real_worker_freshens_healthz(celery_workers, client):
    celery_workers.start(queues="default")
    heartbeat.delay()

    beat = wait_for(lambda: Heartbeat.objects.first(), timeout=60)

    assert beat.name.startswith("test0@")
    assert client.get("/healthz").json()["checks"]["worker"] == "ok"
