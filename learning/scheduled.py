"""The scheduled rescore: scores follow the clock even when no label or import arrives.

Recency, last-30-days counts and time decay change with the date alone, so a lead nobody touched
still needs rescoring. Celery beat asks every few minutes (``learning.rescore_if_stale``); this
decides from the admin's interval and the scores' age, and leaves the work to the learning loop.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from learning.selectors import loop_settings, loop_state
from learning.services.workers import rescore_requested


def scheduled_rescore_due(*, now: datetime) -> bool:
    """Whether the scores are older than the admin's interval (0 hours: never by schedule)."""
    hours = loop_settings().rescore_every_hours
    if not hours:
        return False
    updated = loop_state().scores_updated_at
    return updated is None or now - updated >= timedelta(hours=hours)


def rescore_if_stale(*, now: datetime) -> bool:
    """Ask the loop for a rescore when the scores are due one; returns whether it asked."""
    if not scheduled_rescore_due(now=now):
        return False
    rescore_requested()
    return True
