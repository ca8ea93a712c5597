"""(6) A worker killed with SIGKILL in the middle of training or of rescoring: no label is lost,
the next worker finishes the pending work, and readers never see a half-written score version."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from feedback.models import Label
from leads.models import Lead, LeadStatus
from learning.models import LoopLock, ModelVersion
from learning.services.loop import run_learning_loop
from tests.reliability.conftest import Workers, settled, wait_for

pytestmark = [pytest.mark.integration]


def one_score_version() -> tuple[int | None, Any]:
    """The (model_version, scored_at) every open lead shares; fails if they are mixed."""
    versions = set(Lead.objects.filter(status=LeadStatus.OPEN).values_list("model_version", "scored_at"))
    assert len(versions) == 1, f"open leads carry {len(versions)} score versions: {sorted(map(str, versions))[:4]}"
    return versions.pop()


def label_some(api: Any, n: int) -> list[str]:
    leads = api.get("/api/queue", limit=n).json()["leads"]
    for i, lead in enumerate(leads):
        converted = i % 2 == 0
        body = {
            "lead": lead["external_id"],
            "outcome": "converted" if converted else "not_converted",
            "reason": "champion" if converted else "no_budget",
        }
        assert api.post("/api/labels", body).status_code == 201
    return [lead["external_id"] for lead in leads]


@pytest.mark.parametrize("stage", ["train", "rescore"])
def test_a_worker_killed_mid_loop_loses_nothing_and_the_next_one_finishes(
    stage: str, workers: Workers, make_leads: Any, rep: Any, api_for: Any
) -> None:
    make_leads(150, seed=5, labeled=0.3)
    run_learning_loop()  # in-process (eager) start: a trained model and one score version
    first_model = ModelVersion.objects.order_by("-version").first()
    before = one_score_version()
    doomed = workers.start(env={"LEADLOOP_FAULT_PAUSE": f"{stage}:300"})

    labeled = label_some(api_for(rep), 8)
    labels = Label.objects.count()
    wait_for(lambda: f"fault pause: {stage}" in workers.log(doomed), timeout=120, what=f"the worker to reach {stage}")
    assert LoopLock.objects.get().claimed_by.endswith(f":{doomed.pid}")
    if stage == "rescore":
        # The new scores are written but not committed: readers still see the old version, whole.
        assert one_score_version() == before

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)

    assert Label.objects.count() == labels, "no label lost"
    assert set(Lead.objects.filter(external_id__in=labeled).values_list("status", flat=True)) <= {
        "converted",
        "not_converted",
    }
    assert one_score_version() == before, "the dead worker's half-written scores rolled back"
    started = time.monotonic()
    workers.start()  # its start-up kick finds the dead claim and takes it over
    wait_for(
        lambda: settled() and ModelVersion.objects.filter(version__gt=first_model.version).exists(),
        timeout=180,
        what="the new worker to finish the dead one's work",
    )
    print(f"recovered {time.monotonic() - started:.1f}s after the kill")
    newest = ModelVersion.objects.order_by("-version").first()
    assert newest.labels == Label.objects.count() == labels
    after = one_score_version()
    assert after != before and after[0] == ModelVersion.objects.get(status="active").version
    # No claim is left behind (a no-op catch-up run may hold one for a moment: wait it out).
    wait_for(lambda: LoopLock.objects.get().claimed_by == "", timeout=30, what="the claim to be released")
