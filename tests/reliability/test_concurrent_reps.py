"""(9) 20 reps labeling at once through the queue for 60 s (20 s on a dev machine unless
LEADLOOP_CONCURRENCY_SECONDS says otherwise): every label stored exactly once, no lead labeled by
two reps, and the worker's learning keeps up."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from feedback.models import Label
from learning.models import ModelVersion
from learning.services.loop import run_learning_loop
from tests.conftest import IN_CI, ApiClient, make_user
from tests.reliability.conftest import Workers, settled, wait_for

pytestmark = [pytest.mark.integration]
REPS = 20
SECONDS = float(os.environ.get("LEADLOOP_CONCURRENCY_SECONDS") or (60 if IN_CI else 20))


def test_twenty_reps_label_through_the_queue_and_every_label_is_stored_once(
    workers: Workers, make_leads: Any, api_for: Any
) -> None:
    from config.roles import Role

    make_leads(2500, seed=9, labeled=0.05)
    run_learning_loop()
    workers.start()
    clients = [(f"rush{i}", api_for(make_user(f"rush{i}", Role.REP))) for i in range(REPS)]
    labels_before = Label.objects.count()
    results: list[tuple[str, str, int]] = []  # (rep, lead, status)
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    def rep_at_work(name: str, api: ApiClient) -> None:
        try:
            n = 0
            while time.monotonic() < deadline:
                queue = api.get("/api/queue", limit=1)
                if queue.status_code != 200:
                    errors.append(f"{name}: queue {queue.status_code}")
                    continue
                leads = queue.json()["leads"]
                if not leads:
                    time.sleep(0.1)
                    continue
                lead = leads[0]["external_id"]
                converted = n % 3 == 0
                body = {
                    "lead": lead,
                    "outcome": "converted" if converted else "not_converted",
                    "reason": "champion" if converted else "no_budget",
                    "note": f"{name} #{n}",
                }
                results.append((name, lead, api.post("/api/labels", body).status_code))
                n += 1
        except Exception as exc:  # reported below, with the rep's name
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=rep_at_work, args=client) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)

    statuses = Counter(status for _, _, status in results)
    print(f"{len(results)} labels by {REPS} reps in {SECONDS:.0f}s: {dict(statuses)}")
    assert not errors, errors[:5]
    assert set(statuses) == {201}, f"every label is new (a 409 means two reps got one lead): {dict(statuses)}"
    leads = [lead for _, lead, _ in results]
    assert len(leads) == len(set(leads)), "no lead labeled twice"
    assert len(results) >= REPS, "every rep labeled"
    stored = dict(Label.objects.filter(note__startswith="rush").values_list("lead__external_id", "user__username"))
    assert Label.objects.count() == labels_before + len(results), "every label stored exactly once"
    assert stored == {lead: name for name, lead, _ in results}, "each label belongs to the rep who sent it"

    wait_for(settled, timeout=300, what="the worker to learn from every label")
    assert ModelVersion.objects.order_by("-version").first().labels == Label.objects.count()
