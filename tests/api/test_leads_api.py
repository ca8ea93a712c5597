"""GET /api/leads/<external_id>: a lead's score, explanation and label."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.services import label_submit
from leads.models import Lead
from tests.api.conftest import LEAD_KEYS


@pytest.mark.django_db
def test_it_returns_the_score_of_an_open_lead(rep: Any, api_for: Any, scored_leads: list[str]) -> None:
    response = api_for(rep).get(f"/api/leads/{scored_leads[0]}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= LEAD_KEYS
    assert body["external_id"] == scored_leads[0]
    assert 0.0 <= body["score"] <= 1.0
    assert isinstance(body["fit_score"], float)
    assert isinstance(body["behavior_score"], float)
    assert isinstance(body["expected_value"], float)
    assert 0.0 <= body["uncertainty"] <= 0.5
    assert body["model_version"] is None  # cold start: the point rules scored it
    assert body["scored_at"] is not None
    assert body["explanation"]
    assert all(isinstance(line, str) for line in body["explanation"])
    assert body["label"] is None


@pytest.mark.django_db
def test_an_unscored_lead_has_null_scores(rep: Any, api_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)

    body = api_for(rep).get(f"/api/leads/{ids[0]}").json()

    assert {key: body[key] for key in ("score", "model_version", "scored_at", "explanation", "label")} == {
        "score": None,
        "model_version": None,
        "scored_at": None,
        "explanation": [],
        "label": None,
    }


@pytest.mark.django_db
def test_a_labeled_lead_carries_its_label(rep: Any, manager: Any, api_for: Any, scored_leads: list[str]) -> None:
    lead = Lead.objects.get(external_id=scored_leads[1])
    label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget", note="Frozen until Q3")

    body = api_for(manager).get(f"/api/leads/{lead.external_id}").json()

    label = body["label"]
    assert {k: label[k] for k in ("outcome", "reason", "note", "user", "source")} == {
        "outcome": "not_converted",
        "reason": "no_budget",
        "note": "Frozen until Q3",
        "user": "rep1",
        "source": "rep",
    }
    assert label["fields"] == [] and label["created_at"]


@pytest.mark.django_db
def test_a_label_carries_the_fields_the_rep_marked(
    rep: Any, manager: Any, api_for: Any, scored_leads: list[str]
) -> None:
    lead = Lead.objects.get(external_id=scored_leads[1])
    label_submit(
        user=rep,
        lead=lead,
        outcome="converted",
        reason_code="urgent_pain",
        fields=["recency", "industry"],
        known_fields={"recency", "industry"},
    )

    label = api_for(manager).get(f"/api/leads/{lead.external_id}").json()["label"]

    assert label["fields"] == ["recency", "industry"]


@pytest.mark.django_db
def test_an_imported_label_has_no_user_and_no_reason(rep: Any, api_for: Any, make_leads: Any) -> None:
    from leads.services import import_leads

    make_leads(1)
    import_leads(rows=[(2, {"external_id": "H1", "won": "converted"})], outcome_column="won")

    label = api_for(rep).get("/api/leads/H1").json()["label"]

    assert (label["outcome"], label["reason"], label["user"], label["source"]) == ("converted", None, None, "import")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager", "admin"])
def test_every_role_can_read_a_lead(role: str, request: pytest.FixtureRequest, api_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)

    assert api_for(request.getfixturevalue(role)).get(f"/api/leads/{ids[0]}").status_code == 200


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_lead(rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(1)

    response = api_for(rep).get("/api/leads/NOPE-1")

    assert response.status_code == 404
    assert "NOPE-1" in response.json()["detail"]


@pytest.mark.django_db
def test_a_trailing_slash_is_told_the_lead_without_it(rep: Any, api_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)
    client = api_for(rep)

    response = client.get(f"/api/leads/{ids[0]}/")

    assert response.status_code == 404
    assert response.json()["detail"] == (
        f"no lead with external_id '{ids[0]}/' (did you mean /api/leads/{ids[0]}, without the trailing slash?)"
    )
    assert "did you mean" not in client.get("/api/leads/NOPE-1/").json()["detail"]  # no such lead either way


@pytest.mark.django_db
def test_it_answers_401_without_a_token(api_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)

    response = api_for(None).get(f"/api/leads/{ids[0]}")

    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Token not-a-real-key", "Bearer whatever", "Token ", "garbage"])
def test_it_answers_401_with_a_bad_token(header: str, make_leads: Any) -> None:
    from django.test import Client

    ids = make_leads(1)

    response = Client().get(f"/api/leads/{ids[0]}", headers={"Authorization": header})

    assert response.status_code == 401


@pytest.mark.django_db
def test_a_revoked_token_or_an_inactive_user_gets_401(rep: Any, api_for: Any, make_leads: Any) -> None:
    from config.tokens import token_revoke

    ids = make_leads(1)
    client = api_for(rep)
    assert client.get(f"/api/leads/{ids[0]}").status_code == 200

    token_revoke(user=rep)
    assert client.get(f"/api/leads/{ids[0]}").status_code == 401

    other = api_for(rep)
    rep.is_active = False
    rep.save()
    assert other.get(f"/api/leads/{ids[0]}").status_code == 401


@pytest.mark.django_db
def test_a_user_without_a_role_gets_403(nobody: Any, api_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)

    assert api_for(nobody).get(f"/api/leads/{ids[0]}").status_code == 403


@pytest.mark.django_db
def test_it_answers_405_to_a_write_method(admin: Any, api_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)

    response = api_for(admin).post(f"/api/leads/{ids[0]}", {"company": "Changed"})

    assert response.status_code == 405
    assert Lead.objects.get(external_id=ids[0]).company != "Changed"


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["token", "TOKEN", "Token"])
def test_the_token_scheme_is_case_insensitive(scheme: str, rep: Any, make_leads: Any) -> None:
    from django.test import Client

    from config.tokens import token_create

    ids = make_leads(1)
    key = token_create(user=rep, name="any case")

    response = Client().get(f"/api/leads/{ids[0]}", headers={"Authorization": f"{scheme} {key}"})

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [("updated_since=2026-11-01", "updated_since"), ("cursor=garbage", "cursor"), ("min_score=NaN", "min_score")],
)
def test_a_bad_query_names_its_field_in_the_one_error_shape(
    query: str, field: str, rep: Any, api_for: Any, make_leads: Any
) -> None:
    make_leads(1)

    response = api_for(rep).get(f"/api/leads?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["detail"].startswith(f"{field}: ")
    assert "less than or equal" not in body["detail"]
