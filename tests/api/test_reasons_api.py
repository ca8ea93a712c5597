"""GET /api/reasons: the active reason taxonomy."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Reason
from feedback.taxonomy import DEFAULT_REASON_FIELDS
from learning.why import known_lead_fields
from tests.conftest import ApiClient


@pytest.mark.django_db
def test_it_lists_the_active_reasons_in_the_design_shape(rep: Any, api_for: Any) -> None:
    response = api_for(rep).get("/api/reasons")

    assert response.status_code == 200
    body = response.json()
    champion = {"code": "champion", "label": "Strong internal champion", "outcome": "converted"}
    no_budget = {"code": "no_budget", "label": "No budget", "outcome": "not_converted"}
    by_code = {reason["code"]: reason for reason in body}
    assert by_code["champion"] == {**champion, "fields": known(DEFAULT_REASON_FIELDS["champion"])}
    assert by_code["no_budget"] == {**no_budget, "fields": known(DEFAULT_REASON_FIELDS["no_budget"])}
    assert all(set(reason) == {"code", "label", "outcome", "fields"} for reason in body)
    assert {reason["outcome"] for reason in body} == {"converted", "not_converted"}
    assert len(body) == Reason.objects.filter(active=True).count()


def known(fields: list[str]) -> list[str]:
    return [name for name in fields if name in known_lead_fields()]


@pytest.mark.django_db
def test_it_lists_only_the_fields_a_label_may_mark_now(rep: Any, admin: Any, api_for: Any, make_leads: Any) -> None:
    lead = make_leads(1)[0]
    listed = {reason["code"]: reason["fields"] for reason in api_for(rep).get("/api/reasons").json()}
    assert "annual_revenue" in DEFAULT_REASON_FIELDS["no_budget"] and "annual_revenue" not in listed["no_budget"]
    api_for(admin).post("/api/leads/bulk", {"items": [{"external_id": lead, "annual_revenue": "1200000"}]})

    after = {reason["code"]: reason["fields"] for reason in api_for(rep).get("/api/reasons").json()}
    body = {"lead": lead, "outcome": "not_converted", "reason": "no_budget", "fields": after["no_budget"]}

    assert "annual_revenue" in after["no_budget"]  # once leads have it, a label may mark it
    assert api_for(rep).post("/api/labels", body).status_code == 201


@pytest.mark.django_db
def test_a_retired_reason_is_not_listed(rep: Any, api_for: Any) -> None:
    Reason.objects.filter(code="champion").update(active=False)

    codes = [reason["code"] for reason in api_for(rep).get("/api/reasons").json()]

    assert "champion" not in codes
    assert "urgent_pain" in codes


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager", "admin"])
def test_every_role_can_read_the_reasons(role: str, request: pytest.FixtureRequest, api_for: Any) -> None:
    assert api_for(request.getfixturevalue(role)).get("/api/reasons").status_code == 200


@pytest.mark.django_db
def test_a_user_without_a_role_gets_403(nobody: Any, api_for: Any) -> None:
    assert api_for(nobody).get("/api/reasons").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "bad-key"])
def test_it_answers_401_without_a_valid_token(key: str | None, defaults: None) -> None:
    response = ApiClient(key).get("/api/reasons")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_it_answers_405_to_a_post(admin: Any, api_for: Any) -> None:
    response = api_for(admin).post("/api/reasons", {"code": "x", "label": "X", "outcome": "converted"})

    assert response.status_code == 405
    assert not Reason.objects.filter(code="x").exists()
