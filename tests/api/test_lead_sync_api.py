"""GET /api/leads: a filtered list with a stable cursor, and "changed since T" for CRM sync."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from leads.models import Lead, LeadScore
from tests.scores import set_score

pytestmark = pytest.mark.django_db


def all_pages(client: Any, **params: Any) -> list[dict[str, Any]]:
    leads, cursor = [], params.pop("cursor", None)
    for _ in range(100):
        body = client.get("/api/leads", **params, **({"cursor": cursor} if cursor else {})).json()
        leads += body["leads"]
        cursor = body["next_cursor"]
        if cursor is None:
            return leads
    raise AssertionError("the cursor never ended")


def test_pages_follow_the_cursor_and_cover_every_lead_once(scored_leads: list[str], manager: Any, api_for: Any) -> None:
    client = api_for(manager)

    leads = all_pages(client, limit=4)

    assert sorted(lead["external_id"] for lead in leads) == sorted(scored_leads), "every lead once"
    assert {"score", "model_version", "scored_at", "updated_at"} <= set(leads[0])


def test_it_filters_by_status_and_score(scored_leads: list[str], rep: Any, api_for: Any) -> None:
    Lead.objects.filter(external_id=scored_leads[0]).update(status="converted")
    set_score(Lead.objects.get(external_id=scored_leads[1]), score=0.99)
    client = api_for(rep)

    open_ids = {lead["external_id"] for lead in all_pages(client, status="open")}
    hot = {lead["external_id"] for lead in all_pages(client, status="open", min_score=0.95)}

    assert scored_leads[0] not in open_ids and len(open_ids) == len(scored_leads) - 1
    assert hot == {scored_leads[1]}


def test_updated_since_returns_only_what_changed_after_it(scored_leads: list[str], admin: Any, api_for: Any) -> None:
    past = timezone.now() - timedelta(hours=1)
    Lead.objects.update(updated_at=past)
    LeadScore.objects.update(scored_at=past)
    since = timezone.now() - timedelta(minutes=1)
    set_score(Lead.objects.get(external_id=scored_leads[2]), scored_at=timezone.now())

    changed = all_pages(api_for(admin), updated_since=since.isoformat())

    assert [lead["external_id"] for lead in changed] == [scored_leads[2]]


def test_a_lead_that_changes_while_paging_is_seen_again_never_lost(
    scored_leads: list[str], admin: Any, api_for: Any
) -> None:
    client = api_for(admin)
    first = client.get("/api/leads", limit=3).json()
    set_score(Lead.objects.get(external_id=first["leads"][0]["external_id"]), scored_at=timezone.now())

    rest = all_pages(client, limit=3, cursor=first["next_cursor"])

    seen = {lead["external_id"] for lead in first["leads"] + rest}
    assert seen == set(scored_leads)


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"status": "maybe"},
        {"min_score": "2"},
        {"limit": "0"},
        {"limit": "100000"},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-11-01T12:00:00"},
    ],
)
def test_bad_parameters_get_400_naming_the_field(params: dict[str, str], rep: Any, api_for: Any) -> None:
    response = api_for(rep).get("/api/leads", **params)

    assert response.status_code == 400
    assert next(iter(params)) in response.json()["detail"]


def test_no_token_401_and_no_role_403(nobody: Any, api_for: Any) -> None:
    assert api_for(None).get("/api/leads").status_code == 401
    assert api_for(nobody).get("/api/leads").status_code == 403
