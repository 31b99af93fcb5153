"""Counting deliveries of a task, to park one that keeps killing its worker.

With acks_late and reject_on_worker_lost, a message whose task kills the worker process
(a segfault, the OOM killer, the hard time limit) goes back to the queue, and would come
back forever. Celery has no delivery limit for the Redis transport, so we count: each
delivery increments a counter in Redis keyed by task id before the task runs; a task
that returns or raises (its worker survived) clears it. A counter above
FACTCHECK_MAX_DELIVERIES means every earlier delivery died mid-task: the task is parked.
"""

import logging

import redis
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import IntegrityError, transaction

from factcheck.redis import redis_client

logger = logging.getLogger(__name__)
KEY = "factcheck:deliveries:{}"


def count_delivery(task_id: str) -> int:
    key = KEY.format(task_id)
    pipe = redis_client().pipeline()
    pipe.incr(key)
    # Forget counters of messages that never come back (a day is far past any redelivery).
    pipe.expire(key, 86400)
    return int(pipe.execute()[0])


def clear(task_id: str) -> None:
    redis_client().delete(KEY.format(task_id))


def park(*, task_id: str, name: str, args: list, kwargs: dict, queue: str, deliveries: int) -> None:
    from ops.models import ParkedTask

    try:
        with transaction.atomic():
            ParkedTask.objects.create(
                task_id=task_id, name=name, args=list(args), kwargs=dict(kwargs),
                queue=queue, deliveries=deliveries,
            )  # fmt: skip
    except IntegrityError:
        pass  # parked already by an earlier delivery of the same message
    logger.error("Parked task %s[%s] after %s deliveries", name, task_id, deliveries)


class CountedTask(DjangoTask):
    """Every task of the project: counts deliveries and parks the poison ones."""

    def __call__(self, *args, **kwargs):
        request = self.request
        if request.called_directly or request.is_eager or not request.id:
            return super().__call__(*args, **kwargs)
        try:
            delivered = count_delivery(request.id)
        except redis.RedisError:
            logger.warning("Cannot count deliveries of %s; running it", request.id)
            return super().__call__(*args, **kwargs)
        limit = settings.FACTCHECK_MAX_DELIVERIES
        if delivered > limit:
            queue = (request.delivery_info or {}).get("routing_key") or ""
            park(
                task_id=request.id,
                name=self.name,
                args=args,
                kwargs=kwargs,
                queue=queue,
                deliveries=delivered - 1,
            )
            return None
        try:
            return super().__call__(*args, **kwargs)
        finally:
            # Returned, raised or asked for a retry: the worker survived this delivery.
            try:
                clear(request.id)
            except redis.RedisError:
                logger.warning("Cannot clear the delivery count of %s", request.id)
