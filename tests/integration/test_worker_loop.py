"""The whole loop on real parts: labels through the API → a real Celery worker retrains →
fresh scores on the other open leads."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label
from leads.models import Lead, LeadStatus
from learning.models import LoopState, ModelVersion
from learning.services.loop import run_learning_loop
from tests.loop import settled, wait_for

pytestmark = [pytest.mark.integration]


def test_labels_posted_through_the_api_make_the_worker_train_a_new_version_and_rescore(
    worker: Any, make_leads: Any, rep: Any, api_for: Any
) -> None:
    make_leads(120, seed=3, labeled=0.3)
    wait_for(settled, what="the worker to learn the imported history")  # the import enqueued it
    first = ModelVersion.objects.get()
    before = dict(Lead.objects.filter(status=LeadStatus.OPEN).values_list("external_id", "score"))
    scores_version = LoopState.objects.get().scores_version

    api = api_for(rep)
    leads = api.get("/api/queue", limit=12).json()["leads"]
    assert len(leads) == 12
    for i, lead in enumerate(leads):
        converted = i % 2 == 0
        body = {
            "lead": lead["external_id"],
            "outcome": "converted" if converted else "not_converted",
            "reason": "champion" if converted else "no_budget",
            "note": "integration",
        }
        assert api.post("/api/labels", body).status_code == 201

    seconds = wait_for(
        lambda: (
            ModelVersion.objects.filter(version__gt=first.version).exists()
            and LoopState.objects.get().scores_version > scores_version
            and LoopState.objects.get().trained_revision == LoopState.objects.get().labels_revision
        ),
        what="a new model version and fresh scores from the worker",
    )
    print(f"labels → new model and fresh scores in {seconds:.2f}s")

    newest = ModelVersion.objects.order_by("-version").first()
    assert newest.labels == Label.objects.count()
    after = dict(Lead.objects.filter(status=LeadStatus.OPEN).values_list("external_id", "score"))
    labeled = {lead["external_id"] for lead in leads}
    still_open = [key for key in after if key not in labeled]
    assert still_open, "some leads stay open"
    assert any(abs(after[key] - before[key]) > 1e-9 for key in still_open), "the other open leads were rescored"
    assert Label.objects.filter(note="integration").count() == 12


def test_a_worker_that_starts_late_catches_up_on_labels_saved_while_it_was_away(
    transactional_db: None, make_leads: Any, rep: Any, api_for: Any, request: Any
) -> None:
    make_leads(60, seed=4, labeled=0.4)
    run_learning_loop()
    state = LoopState.objects.get()
    api = api_for(rep)
    # No worker yet: tasks run eagerly only in-process; pretend the broker lost them.
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = "nobody-listens-here"
    lead = api.get("/api/queue", limit=1).json()["leads"][0]
    assert (
        api.post("/api/labels", {"lead": lead["external_id"], "outcome": "converted", "reason": "champion"}).status_code
        == 201
    )
    assert LoopState.objects.get().labels_revision > state.trained_revision
    request.getfixturevalue("worker")  # starts now; its start-up kick finds the pending label
    wait_for(
        lambda: LoopState.objects.get().trained_revision == LoopState.objects.get().labels_revision,
        what="the late worker to train on the pending label",
    )
