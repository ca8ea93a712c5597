from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.utils import timezone

from learning import scheduled
from learning.core.webhook import backoff_seconds
from learning.rescoring import chunks_work
from learning.services.loop import run_learning_loop
from learning.services.webhooks import WEBHOOK_MAX_ATTEMPTS, webhook_deliver, webhook_deliveries_resend_stuck
from learning.services.workers import learning_started


@shared_task(name="learning.learn", ignore_result=True, acks_late=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def learn() -> int:
    """Train on pending labels and rescore; the database says what is pending, so running
    it twice, or after a lost message, is harmless."""
    learning_started()
    return run_learning_loop()


@shared_task(
    name="learning.rescore_chunks", ignore_result=True, acks_late=True, soft_time_limit=10 * 60, time_limit=15 * 60
)
def rescore_chunks(run_key: str) -> int:
    """Help a rescore: score its pending chunks until none is left. A message for a finished run,
    or one delivered twice, finds nothing to claim."""
    return chunks_work(run_key=run_key)


@shared_task(name="learning.resend_stuck_deliveries", ignore_result=True, soft_time_limit=60, time_limit=90)
def resend_stuck_deliveries() -> int:
    """Webhook deliveries whose message was lost while the broker was down go out now."""
    return webhook_deliveries_resend_stuck()


@shared_task(name="learning.rescore_if_stale", ignore_result=True, soft_time_limit=60, time_limit=90)
def rescore_if_stale() -> bool:
    """Beat's check: rescore every open lead once the scores are older than the admin's interval."""
    return scheduled.rescore_if_stale(now=timezone.now())


@worker_ready.connect
def catch_up_on_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts (after a crash, a deploy, a broker outage) picks up pending work."""
    learn.delay()


@shared_task(
    name="learning.deliver_webhook",
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=WEBHOOK_MAX_ATTEMPTS - 1,
    soft_time_limit=60,
    time_limit=90,
)
def deliver_webhook(self: Task, delivery_id: int) -> str:
    """POST one delivery of changed scores; on failure retry with exponential backoff."""
    last = self.request.retries >= self.max_retries
    outcome = webhook_deliver(delivery_id=delivery_id, last_attempt=last)
    if outcome == "retry":
        raise self.retry(countdown=backoff_seconds(self.request.retries))
    return outcome
