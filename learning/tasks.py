from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from learning import services


@shared_task(name="learning.learn", ignore_result=True, acks_late=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def learn() -> int:
    """Train on pending labels and rescore; the database says what is pending, so running
    it twice, or after a lost message, is harmless."""
    return services.run_learning_loop()


@worker_ready.connect
def catch_up_on_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts (after a crash, a deploy, a broker outage) picks up pending work."""
    learn.delay()
