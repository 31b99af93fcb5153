"""What operators watch: tasks parked after killing their workers, worker heartbeats."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParkedTask(models.Model):
    """A task delivered too many times without finishing (it keeps killing its worker,
    or keeps hitting the hard time limit). It is not run again until an operator acts."""

    task_id = models.CharField(_("task id"), max_length=64, unique=True)
    name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    queue = models.CharField(_("queue"), max_length=50, blank=True)
    deliveries = models.PositiveSmallIntegerField(_("deliveries"))
    parked_at = models.DateTimeField(_("parked at"), auto_now_add=True)

    class Meta:
        ordering = ["-parked_at"]
        verbose_name = _("parked task")
        verbose_name_plural = _("parked tasks (dead letters)")

    def __str__(self) -> str:
        return f"{self.name}{tuple(self.args)}"


class Heartbeat(models.Model):
    """The last time a worker ran the periodic heartbeat task: proof that beat, the
    broker and a worker all work, end to end."""

    name = models.CharField(_("worker"), max_length=200, unique=True)
    at = models.DateTimeField(_("last heartbeat"))

    class Meta:
        ordering = ["-at"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("queue status and worker heartbeats")

    def __str__(self) -> str:
        return self.name
