"""The Celery app: configured from Django settings (the CELERY_* block)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

# Every task counts its deliveries and parks itself if it keeps killing workers.
app = Celery("factcheck", task_cls="ops.deliveries:CountedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")


app.autodiscover_tasks()
