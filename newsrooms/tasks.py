"""Thin Celery tasks over the digest and subscription services: ids in, one call."""

from celery import shared_task

from factcheck.outbox import SEND_TASK_RETRY
from newsrooms import digests, subscriptions

# The task's own backstop on retries (factcheck.outbox.SEND_TASK_RETRY); a digest's
# attempt counter (digests.DIGEST_MAX_ATTEMPTS) bounds its attempts across redeliveries
# and later runs, and the digest run hands a lost confirmation over again.
EMAIL_MAX_RETRIES = 5
# A run fans out the whole change log backlog and opens every due digest: give it longer
# than an ordinary task. Two runs at once are safe (row locks), just slower.
RUN_SOFT_TIME_LIMIT = 540
RUN_TIME_LIMIT = 600


@shared_task(
    name="newsrooms.run_digests", soft_time_limit=RUN_SOFT_TIME_LIMIT, time_limit=RUN_TIME_LIMIT
)
def run_digests() -> int:
    """Beat: hand lost confirmation emails over again and forget those the daily cap
    no longer counts; extend the ledger, open the digests due, enqueue a send for each."""
    subscriptions.confirmations_requeue()
    subscriptions.confirmation_emails_prune()
    return len(digests.digests_run(enqueue=send_digest.delay))


@shared_task(name="newsrooms.send_digest", max_retries=EMAIL_MAX_RETRIES, **SEND_TASK_RETRY)
def send_digest(digest_id: int) -> bool:
    """Send one digest; one already sent (or being sent) is left alone."""
    return digests.digest_send(digest_id)


@shared_task(name="newsrooms.send_confirmation", max_retries=EMAIL_MAX_RETRIES, **SEND_TASK_RETRY)
def send_confirmation(subscription_id: int) -> object:
    """Send a pending subscription its confirmation email."""
    return subscriptions.confirmation_send(subscription_id)
