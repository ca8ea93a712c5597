"""An integrator's mistakes get a 400 in the API's one shape, naming what to fix: a mistyped option,
a body that is not JSON, a bad item counted as items are counted elsewhere (from 1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from feedback.models import Label
from leads.models import Lead
from tests.test_security import API_OPERATIONS


@pytest.mark.django_db
def test_a_mistyped_option_is_a_400_naming_it_and_nothing_is_saved(admin: Any, api_for: Any) -> None:
    body = {"items": [{"external_id": "OC-6", "stage": "won"}], "outcome_colum": "stage"}

    response = api_for(admin).post("/api/leads/bulk", body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "outcome_colum", "message": "not an option of this endpoint (see /api/openapi.json)"}
    ]
    assert not Lead.objects.exists()  # "stage" never became a custom attribute carrying the outcome


@pytest.mark.django_db
def test_the_activities_endpoint_refuses_the_leads_options(admin: Any, api_for: Any) -> None:
    response = api_for(admin).post("/api/activities/bulk", {"items": [], "outcome_column": "stage"})

    assert (response.status_code, response.json()["field"]) == (400, "outcome_column")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/leads/bulk", "/api/labels"])
def test_a_body_that_is_not_json_is_a_400_naming_the_body(path: str, admin: Any, api_for: Any) -> None:
    client = api_for(admin)

    response = client.client.post(path, "{bad json", content_type="application/json", headers=client.headers)

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "body" and body["errors"][0]["message"].startswith("not valid JSON (Expecting")


@pytest.mark.django_db
def test_an_item_that_is_not_an_object_is_counted_from_one(admin: Any, api_for: Any) -> None:
    items: list[Any] = [{"external_id": f"A{i}"} for i in range(16)] + ["not an object"]

    response = api_for(admin).post("/api/leads/bulk", {"items": items})

    assert response.status_code == 400
    assert response.json()["field"] == "items.17"  # the 17th item, as per-item errors count them


@pytest.mark.django_db
def test_a_validators_message_reads_without_pydantics_prefix(rep: Any, api_for: Any) -> None:
    response = api_for(rep).get("/api/leads", updated_since="2026-12-01T10:00:00")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "give a time zone, e.g. 2026-11-01T12:00:00Z"


@pytest.mark.django_db
def test_a_score_range_that_ends_below_its_start_is_a_400(rep: Any, api_for: Any) -> None:
    response = api_for(rep).get("/api/leads", min_score="0.9", max_score="0.1")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "max_score", "message": "0.1 is below min_score 0.9: no lead could match"}
    ]


@pytest.mark.django_db
def test_an_item_given_twice_is_named_as_an_item_and_a_date_ahead_is_left_out(
    admin: Any, rep: Any, api_for: Any
) -> None:
    items = [
        {"external_id": "A1", "created_at": "2026-03-14"},
        {"external_id": "A1"},
        {"external_id": "B2", "created_at": "2099-01-01"},
    ]

    body = api_for(admin).post("/api/leads/bulk", {"items": items}).json()

    assert body["errors"] == [
        {"item": 2, "field": "external_id", "message": "'A1' already appears on item 1 (the first is kept)"}
    ]
    assert body["warnings"][0]["item"] == 3 and "is in the future" in body["warnings"][0]["message"]
    read = api_for(rep).get("/api/leads/A1").json()
    assert (
        read["created_at"].startswith("2026-03-14") and api_for(rep).get("/api/leads/B2").json()["created_at"] is None
    )


@pytest.mark.django_db
def test_json_nested_deeper_than_the_parser_goes_is_a_400_not_a_500(rep: Any, api_for: Any) -> None:
    client = api_for(rep)
    deep = "[" * 100_000 + "]" * 100_000

    response = client.client.post("/api/labels", deep, content_type="application/json", headers=client.headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("not valid JSON (maximum recursion depth")


@pytest.mark.django_db
def test_a_mistyped_key_of_a_label_is_a_400_and_no_label_is_stored(rep: Any, api_for: Any, make_leads: Any) -> None:
    lead = make_leads(1)[0]
    body = {"lead": lead, "outcome": "not_converted", "reason": "no_budget", "nots": "budget frozen"}

    response = api_for(rep).post("/api/labels", body)

    assert (response.status_code, response.json()["field"]) == (400, "nots")
    assert not Label.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/leads", "/api/leads.csv"])
def test_a_mistyped_filter_is_a_400_naming_it(path: str, manager: Any, api_for: Any) -> None:
    response = api_for(manager).get(path, min_scor="0.9")

    assert (response.status_code, response.json()["field"]) == (400, "min_scor")
    assert api_for(manager).get(path, min_score="0.9").status_code == 200


# Every write endpoint, with a body it would accept: a new one fails the walk until it is listed here.
WRITE_BODIES: dict[str, dict[str, Any]] = {
    "/api/leads/bulk": {"items": [{"external_id": "QP-1", "company": "Acme"}]},
    "/api/activities/bulk": {"items": [{"lead": "L-0", "type": "email", "occurred_at": "2026-01-05T10:00:00Z"}]},
    "/api/labels": {"lead": "L-0", "outcome": "converted", "reason": "champion"},
}
WRITES = sorted(url for method, url, _ in API_OPERATIONS if method != "GET")


def test_the_walk_knows_every_write_endpoint() -> None:
    assert sorted(WRITE_BODIES) == WRITES


@pytest.mark.django_db
@pytest.mark.parametrize("path", WRITES)
def test_a_write_refuses_a_query_parameter_and_saves_nothing(
    path: str, admin: Any, api_for: Any, make_leads: Any
) -> None:
    lead = make_leads(1)[0]
    body = json.loads(json.dumps(WRITE_BODIES[path]).replace('"L-0"', json.dumps(lead)))
    leads_before, events_before = Lead.objects.count(), Lead.objects.get(external_id=lead).activities.count()

    response = api_for(admin).post(f"{path}?dry_run=1", body)

    assert response.status_code == 400
    assert response.json()["field"] == "dry_run"
    assert Lead.objects.count() == leads_before and not Label.objects.exists()
    assert Lead.objects.get(external_id=lead).activities.count() == events_before
