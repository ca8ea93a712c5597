"""A cursor sync of GET /api/leads is a snapshot (issue 16, finding 3): it ends after about
total/limit pages whatever happens meanwhile, returns every lead that existed at its start at least
once, and a next sync from its start time catches the rest."""

from __future__ import annotations

import math
from typing import Any

import pytest

from leads.models import Lead
from leads.services import import_leads
from learning import rescoring

pytestmark = pytest.mark.django_db


# Real transactions: on PostgreSQL an import stamps updated_at with now(), its transaction's start,
# which inside a test-wide transaction would be before the sync started.
@pytest.mark.django_db(transaction=True)
def test_a_sync_ends_and_sees_every_lead_while_every_page_rescores_everything_and_leads_arrive(
    make_leads: Any, manager: Any, api_for: Any
) -> None:
    start_ids = set(make_leads(30))
    rescoring.rescore_open_leads()
    client = api_for(manager)
    limit = 4

    seen: list[str] = []
    body = client.get("/api/leads", limit=limit, status="open").json()
    started = body.get("sync_started_at")
    pages = 1
    while True:
        seen += [lead["external_id"] for lead in body["leads"]]
        # Meanwhile: reps label (a rescore moves every open lead) and the CRM sends new leads.
        rescoring.rescore_open_leads()
        import_leads(rows=[(2, {"external_id": f"NEW-{pages}", "industry": "software"})])
        if body["next_cursor"] is None:
            break
        body = client.get("/api/leads", limit=limit, status="open", cursor=body["next_cursor"]).json()
        assert body.get("sync_started_at") == started, "every page of one sync belongs to the same snapshot"
        pages += 1
        assert pages <= math.ceil(len(start_ids) / limit) + 1, "the sync did not end"

    assert start_ids <= set(seen)
    assert started is not None, "the sync says when its snapshot was taken"
    new_ids = set(Lead.objects.filter(external_id__startswith="NEW-").values_list("external_id", flat=True))
    next_sync = set()
    cursor = None
    for _ in range(100):
        params = {"limit": 50, "status": "open", "updated_since": started, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/leads", **params).json()
        next_sync |= {lead["external_id"] for lead in page["leads"]}
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert new_ids <= next_sync, "the next sync from this one's start catches the leads that arrived"


def test_a_cursor_from_another_snapshot_format_is_refused_with_400(manager: Any, api_for: Any) -> None:
    response = api_for(manager).get("/api/leads", cursor="MjAyNi0xMS0wMVQxMjowMDowMCswMDowMHwxMg")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("cursor: ")
