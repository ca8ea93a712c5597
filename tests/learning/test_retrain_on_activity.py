"""Activity imported on its own brings no label, but it changes what the labeled leads look like:
the model trains again, instead of weighing behaviour as it was before the events came in."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from learning.models import LoopState, ModelVersion
from learning.services.loop import run_learning_loop

pytestmark = pytest.mark.django_db


def run(command: str, path: Path) -> None:
    call_command(command, str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_an_activity_import_trains_the_model_again_and_a_leads_import_only_rescores(
    make_leads: Any, tmp_path: Path
) -> None:
    ids = make_leads(60, labeled=0.6)
    run_learning_loop()
    versions = ModelVersion.objects.count()
    assert versions >= 1 and not LoopState.objects.get().retrain_requested

    events = tmp_path / "events.csv"
    events.write_text(
        "lead,type,occurred_at\n" + "".join(f"{i},pricing_visit,2026-11-0{1 + n % 9}\n" for n, i in enumerate(ids))
    )
    run("import_activities", events)

    state = LoopState.objects.get()
    assert state.retrain_requested and state.rescore_requested
    run_learning_loop()
    assert ModelVersion.objects.count() == versions + 1
    assert not LoopState.objects.get().retrain_requested

    leads = tmp_path / "leads.csv"
    leads.write_text("external_id,company\n" + "".join(f"{i},Renamed {n}\n" for n, i in enumerate(ids[:5])))
    run("import_leads", leads)

    assert LoopState.objects.get().rescore_requested and not LoopState.objects.get().retrain_requested
    run_learning_loop()
    assert ModelVersion.objects.count() == versions + 1
