from celery import shared_task
from django.utils import timezone

from ops.models import Heartbeat


@shared_task(name="ops.heartbeat", bind=True, ignore_result=True)
def heartbeat(self) -> None:
    """Run by beat on the default queue: the worker that takes it records that it lives."""
    name = self.request.hostname or "unknown"
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
