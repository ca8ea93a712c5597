"""(7) The broker stops while reps label: labels still save (201) without hanging the request,
and when Redis returns the pending learning catches up by itself (the database says what is pending)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from feedback.models import Label
from learning.models import LoopState, ModelVersion
from learning.services.loop import run_learning_loop
from tests.reliability.conftest import (
    Workers,
    redis_start,
    redis_stop,
    require_fault_injection,
    settled,
    wait_for,
)

pytestmark = [pytest.mark.integration]


def test_labels_save_while_redis_is_down_and_learning_catches_up_when_it_returns(
    workers: Workers, make_leads: Any, rep: Any, api_for: Any
) -> None:
    require_fault_injection("redis")
    make_leads(80, seed=6, labeled=0.4)
    run_learning_loop()
    versions = ModelVersion.objects.count()
    workers.start(beat=True, env={"LEADLOOP_CATCH_UP_SECONDS": "3"})
    wait_for(settled, what="the worker to settle")
    api = api_for(rep)
    leads = api.get("/api/queue", limit=6).json()["leads"]

    try:
        redis_stop()
        slowest = 0.0
        for i, lead in enumerate(leads):
            converted = i % 2 == 0
            body = {
                "lead": lead["external_id"],
                "outcome": "converted" if converted else "not_converted",
                "reason": "champion" if converted else "no_budget",
            }
            started = time.monotonic()
            response = api.post("/api/labels", body)
            slowest = max(slowest, time.monotonic() - started)
            assert response.status_code == 201, response.content
        assert slowest < 10, f"a label took {slowest:.1f}s with the broker down: publishing must fail fast"
        state = LoopState.objects.get()
        assert state.labels_revision > state.trained_revision, "the database records the pending learning"
        assert Label.objects.filter(lead__external_id__in=[lead["external_id"] for lead in leads]).count() == 6
    finally:
        redis_start()

    seconds = wait_for(
        lambda: settled() and ModelVersion.objects.count() > versions,
        timeout=180,
        what="the worker to catch up once Redis is back",
    )
    print(f"caught up {seconds:.1f}s after Redis returned")
    assert ModelVersion.objects.order_by("-version").first().labels == Label.objects.count()
