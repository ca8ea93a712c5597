"""The scheduled rescore: scores older than the admin's interval are rescored with nothing new arriving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from learning.models import LoopSettings, LoopState
from learning.scheduled import scheduled_rescore_due
from learning.selectors import loop_state
from learning.services.loop import run_learning_loop
from learning.tasks import rescore_if_stale


def age_scores(hours: float) -> None:
    LoopState.objects.filter(pk=loop_state().pk).update(scores_updated_at=timezone.now() - timedelta(hours=hours))


@pytest.mark.django_db(transaction=True)
def test_scores_older_than_the_interval_are_rescored_by_the_beat_task(make_leads: Any) -> None:
    make_leads(20, labeled=0.5)
    age_scores(25)
    before = loop_state().scores_version

    assert rescore_if_stale() is True
    # The request reached the loop (at once, with eager Celery, unless another test's learning
    # message is still flagged as queued in the shared loop cache); a run serves it either way.
    run_learning_loop()

    state = loop_state()
    assert state.scores_version > before
    assert not state.rescore_requested
    assert timezone.now() - state.scores_updated_at < timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_fresh_scores_are_left_alone(make_leads: Any) -> None:
    make_leads(10, labeled=0.5)
    age_scores(23)
    before = loop_state().scores_version

    assert rescore_if_stale() is False
    assert loop_state().scores_version == before


@pytest.mark.django_db
def test_the_admins_interval_decides_and_zero_turns_it_off(defaults: None) -> None:
    now = timezone.now()
    LoopState.objects.update_or_create(pk=1, defaults={"scores_updated_at": now - timedelta(hours=3)})
    LoopSettings.objects.update_or_create(pk=1, defaults={"rescore_every_hours": 2})
    assert scheduled_rescore_due(now=now)
    LoopSettings.objects.filter(pk=1).update(rescore_every_hours=4)
    assert not scheduled_rescore_due(now=now)
    LoopSettings.objects.filter(pk=1).update(rescore_every_hours=0)
    assert not scheduled_rescore_due(now=now - timedelta(days=30))


@pytest.mark.django_db
def test_never_scored_is_due(defaults: None) -> None:
    LoopState.objects.update_or_create(pk=1, defaults={"scores_updated_at": None})
    assert scheduled_rescore_due(now=timezone.now())


def test_beat_runs_the_check() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "learning.rescore_if_stale" in tasks
