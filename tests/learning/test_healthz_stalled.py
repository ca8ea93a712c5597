"""/healthz tells monitoring when the loop is stuck, not only when it fails: a claim whose worker
stopped beating, or work due for five minutes with no worker on it, reads "degraded"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from learning.models import LoopLock, LoopSettings, LoopState
from learning.selectors.loop import HEARTBEAT_STALE_AFTER, STALLED_AFTER

pytestmark = pytest.mark.django_db


def test_a_claim_whose_worker_stopped_beating_reads_degraded_with_its_heartbeats_age(
    defaults: None, client: Any
) -> None:
    late = HEARTBEAT_STALE_AFTER + timedelta(seconds=5)
    since = timezone.now() - late
    LoopLock.objects.update_or_create(
        pk=1, defaults={"running_since": since, "heartbeat_at": since, "claimed_by": "gone:1"}
    )

    body = client.get("/healthz").json()

    assert (body["status"], body["stalled"], body["running"]) == ("degraded", "claim_stale", True)
    assert body["heartbeat_age_seconds"] >= late.total_seconds()


def test_a_live_claim_reads_ok_with_its_heartbeats_age(defaults: None, client: Any) -> None:
    now = timezone.now()
    LoopLock.objects.update_or_create(
        pk=1, defaults={"running_since": now - timedelta(minutes=3), "heartbeat_at": now, "claimed_by": "here:1"}
    )

    body = client.get("/healthz").json()

    assert (body["status"], body["stalled"]) == ("ok", None)
    assert 0 <= body["heartbeat_age_seconds"] < 60


def test_labels_due_for_training_with_no_worker_for_five_minutes_read_degraded(defaults: None, client: Any) -> None:
    LoopSettings.objects.update_or_create(pk=1, defaults={"retrain_every_labels": 1})
    waited = timezone.now() - STALLED_AFTER - timedelta(seconds=5)
    LoopState.objects.update_or_create(
        pk=1, defaults={"labels_revision": 3, "trained_revision": 0, "pending_since": waited}
    )

    body = client.get("/healthz").json()

    assert (body["status"], body["stalled"], body["running"]) == ("degraded", "no_worker", False)


def test_labels_that_wait_for_the_admins_retrain_trigger_are_not_a_stall(defaults: None, client: Any) -> None:
    """Three labels waiting for a retrain every 50 labels, and no time trigger: waiting is the setting."""
    LoopSettings.objects.update_or_create(pk=1, defaults={"retrain_every_labels": 50, "retrain_every_minutes": 0})
    LoopState.objects.update_or_create(
        pk=1,
        defaults={"labels_revision": 3, "trained_revision": 0, "pending_since": timezone.now() - timedelta(hours=2)},
    )

    body = client.get("/healthz").json()

    assert (body["status"], body["stalled"]) == ("ok", None)


def test_admins_see_the_stall_in_the_banner_and_reps_do_not(
    defaults: None, admin: Any, rep: Any, page_for: Any
) -> None:
    LoopSettings.objects.update_or_create(pk=1, defaults={"retrain_every_labels": 1})
    waited = timezone.now() - STALLED_AFTER - timedelta(seconds=5)
    LoopState.objects.update_or_create(
        pk=1, defaults={"labels_revision": 3, "trained_revision": 0, "pending_since": waited}
    )

    assert "is a worker running?" in page_for(admin).get("/settings/").content.decode()
    assert "is a worker running?" not in page_for(rep).get("/queue/").content.decode()
