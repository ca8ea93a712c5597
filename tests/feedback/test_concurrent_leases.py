"""Reps asking for leads at the same instant, on real concurrent database connections."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from config.roles import Role
from feedback.services import lease_next_leads
from tests.conftest import make_user


@pytest.mark.django_db(transaction=True)
def test_twenty_reps_opening_the_queue_at_once_never_share_a_lead(make_leads: Any) -> None:
    make_leads(200)
    reps = [make_user(f"rep{i}", Role.REP) for i in range(20)]
    barrier = threading.Barrier(len(reps))
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def work(user: Any) -> None:
        try:
            barrier.wait()
            results[user.pk] = [lead.pk for lead in lease_next_leads(user=user, limit=5, lease_minutes=15)]
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(user,)) for user in reps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    handed = [lead for leads in results.values() for lead in leads]
    assert len(handed) == 100
    assert len(set(handed)) == len(handed), "a lead was handed to two reps"


@pytest.mark.django_db
def test_a_rep_whose_candidates_were_all_just_leased_by_another_looks_further(
    make_leads: Any, rep: Any, rep2: Any, monkeypatch: Any
) -> None:
    """Under READ COMMITTED a rep can lock leads another rep leased a moment before (their lease
    committed after this rep's snapshot): those are dropped, and the queue looks further down."""
    from feedback.services import queue as services

    make_leads(10)
    theirs = services.lease_next_leads(user=rep2, limit=4, lease_minutes=15)
    real = services._lockable_candidates
    calls = []

    def stale_first(free: Any, *, count: int) -> list[Any]:
        calls.append(count)
        return theirs if len(calls) == 1 else real(free, count=count)

    monkeypatch.setattr(services, "_lockable_candidates", stale_first)
    mine = services.lease_next_leads(user=rep, limit=3, lease_minutes=15)

    assert len(mine) == 3 and len(calls) == 2
    assert not {lead.pk for lead in mine} & {lead.pk for lead in theirs}
