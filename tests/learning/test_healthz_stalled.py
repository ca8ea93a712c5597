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


def waiting(*, labels: int = 0, rescore: bool = False, last_run: timedelta | None = None) -> None:
    """Labels untrained and a rescore asked for, both STALLED_AFTER and a little ago; the loop's last
    run ``last_run`` ago (None: never)."""
    since = timezone.now() - STALLED_AFTER - timedelta(seconds=5)
    LoopState.objects.update_or_create(
        pk=1,
        defaults={
            "labels_revision": labels,
            "trained_revision": 0,
            "pending_since": since if labels else None,
            "rescore_requested": rescore,
            "rescore_requested_at": since if rescore else None,
        },
    )
    ran = None if last_run is None else timezone.now() - last_run
    LoopLock.objects.update_or_create(pk=1, defaults={"running_since": None, "last_success_at": ran})


@pytest.mark.parametrize(("labels", "rescore"), [(3, False), (0, True), (3, True)])
def test_work_waiting_five_minutes_with_no_run_for_as_long_reads_degraded(
    labels: int, rescore: bool, defaults: None, client: Any
) -> None:
    waiting(labels=labels, rescore=rescore, last_run=timedelta(hours=1))

    body = client.get("/healthz").json()

    assert (body["status"], body["stalled"], body["running"]) == ("degraded", "no_worker", False)


def test_labels_that_wait_for_the_retrain_trigger_while_the_clock_runs_the_loop_are_not_a_stall(
    defaults: None, client: Any
) -> None:
    """Three labels waiting for a retrain every 50 labels: the catch-up still runs the loop each minute."""
    LoopSettings.objects.update_or_create(pk=1, defaults={"retrain_every_labels": 50, "retrain_every_minutes": 0})
    waiting(labels=3, last_run=timedelta(seconds=40))

    body = client.get("/healthz").json()

    assert (body["status"], body["stalled"]) == ("ok", None)


def test_nothing_waiting_is_no_stall_however_long_ago_the_loop_ran(defaults: None, client: Any) -> None:
    waiting(last_run=timedelta(days=2))

    assert client.get("/healthz").json()["stalled"] is None


def test_admins_see_the_stall_in_the_banner_and_reps_do_not(
    defaults: None, admin: Any, rep: Any, page_for: Any
) -> None:
    waiting(labels=3, last_run=None)

    assert "is a worker running?" in page_for(admin).get("/settings/").content.decode()
    assert "is a worker running?" not in page_for(rep).get("/queue/").content.decode()
