"""POST /api/labels: an outcome and its reason for a lead; errors name the field."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label, Lease, Reason
from leads.models import Lead
from tests.conftest import ApiClient


@pytest.fixture
def lead_id(make_leads: Any) -> str:
    return make_leads(3)[0]


@pytest.mark.django_db
def test_it_stores_a_label_and_answers_201(rep: Any, api_for: Any, lead_id: str) -> None:
    body = {"lead": lead_id, "outcome": "converted", "reason": "champion", "note": "CFO signed off"}

    response = api_for(rep).post("/api/labels", body)

    assert response.status_code == 201
    assert response.json() == {
        "lead": lead_id,
        "outcome": "converted",
        "reason": "champion",
        "note": "CFO signed off",
        "fields": [],
        "created": True,
    }
    label = Label.objects.get()
    assert (label.lead.external_id, label.outcome, label.reason.code) == (lead_id, "converted", "champion")
    assert (label.user, label.source, label.note) == (rep, "api", "CFO signed off")
    assert Lead.objects.get(external_id=lead_id).status == "converted"


@pytest.mark.django_db
def test_the_note_is_optional(rep: Any, api_for: Any, lead_id: str) -> None:
    response = api_for(rep).post("/api/labels", {"lead": lead_id, "outcome": "not_converted", "reason": "no_budget"})

    assert response.status_code == 201
    assert response.json()["note"] == ""


@pytest.mark.django_db
def test_labeling_releases_the_lease(rep: Any, api_for: Any, lead_id: str) -> None:
    client = api_for(rep)
    client.get("/api/queue", limit=3)
    assert Lease.objects.filter(lead__external_id=lead_id).exists()

    client.post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"})

    assert not Lease.objects.filter(lead__external_id=lead_id).exists()
    assert lead_id not in [lead["external_id"] for lead in client.get("/api/queue", limit=3).json()["leads"]]


@pytest.mark.django_db
def test_the_same_label_twice_is_stored_once(rep: Any, api_for: Any, lead_id: str) -> None:
    client = api_for(rep)
    body = {"lead": lead_id, "outcome": "converted", "reason": "champion", "note": ""}

    first = client.post("/api/labels", body)
    second = client.post("/api/labels", body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {**first.json(), "created": False}
    assert Label.objects.count() == 1


@pytest.mark.django_db
def test_another_outcome_on_a_labeled_lead_answers_409(rep: Any, rep2: Any, api_for: Any, lead_id: str) -> None:
    api_for(rep).post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"})

    response = api_for(rep2).post("/api/labels", {"lead": lead_id, "outcome": "not_converted", "reason": "no_budget"})

    assert response.status_code == 409
    assert response.json()["field"] == "lead"
    label = Label.objects.get()
    assert (label.outcome, label.user) == ("converted", rep)


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"note": "they called back: budget after all"}, {"fields": ["industry"]}])
def test_another_note_or_fields_on_a_labeled_lead_answers_409_and_keeps_the_first(
    rep: Any, api_for: Any, lead_id: str, change: dict[str, Any]
) -> None:
    client = api_for(rep)
    first = {"lead": lead_id, "outcome": "not_converted", "reason": "no_budget", "note": "no budget this year"}
    assert client.post("/api/labels", first).status_code == 201

    response = client.post("/api/labels", {**first, **change})

    assert response.status_code == 409
    assert response.json()["field"] == "lead" and "the first answer stands" in response.json()["detail"]
    assert Label.objects.values_list("note", "fields").get() == ("no budget this year", [])


@pytest.mark.django_db
def test_a_retired_reason_is_named_as_retired(rep: Any, api_for: Any, lead_id: str) -> None:
    Reason.objects.filter(code="no_budget").update(active=False)

    response = api_for(rep).post("/api/labels", {"lead": lead_id, "outcome": "not_converted", "reason": "no_budget"})

    assert response.status_code == 400
    assert response.json()["field"] == "reason" and "retired" in response.json()["detail"]
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_another_reason_on_a_labeled_lead_answers_409(rep: Any, api_for: Any, lead_id: str) -> None:
    client = api_for(rep)
    client.post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"})

    response = client.post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "urgent_pain"})

    assert response.status_code == 409
    assert Label.objects.get().reason.code == "champion"


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_lead(rep: Any, api_for: Any, lead_id: str) -> None:
    response = api_for(rep).post("/api/labels", {"lead": "NOPE-1", "outcome": "converted", "reason": "champion"})

    assert response.status_code == 404
    assert "NOPE-1" in response.json()["detail"]
    assert not Label.objects.exists()


BAD_BODIES = [
    pytest.param({"outcome": "maybe", "reason": "champion"}, "outcome", id="bad outcome"),
    pytest.param({"outcome": "Converted", "reason": "champion"}, "outcome", id="outcome in the wrong case"),
    pytest.param({"outcome": "converted", "reason": "telepathy"}, "reason", id="unknown reason"),
    pytest.param({"outcome": "converted", "reason": "no_budget"}, "reason", id="reason of the other outcome"),
    pytest.param({"outcome": "converted"}, "reason", id="missing reason"),
    pytest.param({"outcome": "converted", "reason": ""}, "reason", id="empty reason"),
    pytest.param({"reason": "champion"}, "outcome", id="missing outcome"),
    pytest.param({"outcome": "converted", "reason": "champion", "note": "x" * 2001}, "note", id="note too long"),
    pytest.param({"outcome": 1, "reason": "champion"}, "outcome", id="outcome not a string"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "field"), BAD_BODIES)
def test_it_answers_400_naming_the_field(
    fields: dict[str, Any], field: str, rep: Any, api_for: Any, lead_id: str
) -> None:
    response = api_for(rep).post("/api/labels", {"lead": lead_id, **fields})

    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith(f"{field}: ")
    assert body["field"] == field  # the one shape of a 400, whether the schema or the service refused it
    assert [e["field"] for e in body["errors"]] == [field]
    assert not Label.objects.exists()
    assert Lead.objects.get(external_id=lead_id).status == "open"


@pytest.mark.django_db
def test_an_other_reason_without_a_note_is_stored_as_the_contract_keeps_the_note_optional(
    rep: Any, api_for: Any, lead_id: str
) -> None:
    body = {"lead": lead_id, "outcome": "not_converted", "reason": "other_not_converted"}

    stored = api_for(rep).post("/api/labels", body)

    assert stored.status_code == 201  # a CRM syncing outcomes need not invent a note; the forms ask reps for one
    assert (Label.objects.get().reason.code, Label.objects.get().note) == ("other_not_converted", "")


@pytest.mark.django_db
def test_a_missing_lead_field_answers_400_naming_it(rep: Any, api_for: Any, lead_id: str) -> None:
    response = api_for(rep).post("/api/labels", {"outcome": "converted", "reason": "champion"})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("lead: ")


@pytest.mark.django_db
def test_a_body_that_is_not_json_answers_400(rep: Any, api_for: Any, lead_id: str) -> None:
    client = api_for(rep)

    response = client.client.post("/api/labels", "lead=x", content_type="application/json", headers=client.headers)

    assert response.status_code == 400
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_a_retired_reason_is_refused(rep: Any, api_for: Any, lead_id: str) -> None:
    from feedback.models import Reason

    Reason.objects.filter(code="champion").update(active=False)

    response = api_for(rep).post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"})

    assert response.status_code == 400
    assert response.json()["field"] == "reason"


@pytest.mark.django_db
def test_an_admin_may_label(admin: Any, api_for: Any, lead_id: str) -> None:
    response = api_for(admin).post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"})

    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "nobody"])
def test_it_answers_403_to_anyone_but_reps_and_admins(
    role: str, request: pytest.FixtureRequest, api_for: Any, lead_id: str
) -> None:
    response = api_for(request.getfixturevalue(role)).post(
        "/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"}
    )

    assert response.status_code == 403
    assert not Label.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "bad-key"])
def test_it_answers_401_without_a_valid_token(key: str | None, lead_id: str) -> None:
    response = ApiClient(key).post("/api/labels", {"lead": lead_id, "outcome": "converted", "reason": "champion"})

    assert response.status_code == 401
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_it_answers_405_to_a_get(rep: Any, api_for: Any, lead_id: str) -> None:
    assert api_for(rep).get("/api/labels").status_code == 405


@pytest.mark.django_db
def test_the_rep_can_name_the_fields_that_were_the_real_reason(rep: Any, api_for: Any, lead_id: str) -> None:
    body = {
        "lead": lead_id,
        "outcome": "converted",
        "reason": "urgent_pain",
        "fields": ["activity:pricing_visit", "recency"],
    }

    response = api_for(rep).post("/api/labels", body)

    assert response.status_code == 201
    assert response.json()["fields"] == ["activity:pricing_visit", "recency"]
    assert Label.objects.get(lead__external_id=lead_id).fields == ["activity:pricing_visit", "recency"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "again", [["recency", "activity:pricing_visit"], ["recency", "activity:pricing_visit", "recency"]]
)
def test_the_same_fields_in_another_order_are_the_same_label(
    rep: Any, api_for: Any, lead_id: str, again: list[str]
) -> None:
    client = api_for(rep)
    body = {
        "lead": lead_id,
        "outcome": "converted",
        "reason": "urgent_pain",
        "fields": ["activity:pricing_visit", "recency"],
    }
    first = client.post("/api/labels", body)

    second = client.post("/api/labels", {**body, "fields": again})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {**first.json(), "created": False}
    assert Label.objects.get().fields == ["activity:pricing_visit", "recency"]


@pytest.mark.django_db
def test_an_unknown_field_is_a_400_naming_it(rep: Any, api_for: Any, lead_id: str) -> None:
    fields = ["industry", "shoe_size", "hat"]
    body = {"lead": lead_id, "outcome": "converted", "reason": "champion", "fields": fields}

    response = api_for(rep).post("/api/labels", body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "fields: unknown fields 'shoe_size', 'hat'",
        "field": "fields",
        "errors": [{"field": "fields", "message": "unknown fields 'shoe_size', 'hat'"}],
    }
    assert not Label.objects.filter(lead__external_id=lead_id).exists()
    assert Lead.objects.get(external_id=lead_id).status == "open"


@pytest.mark.django_db
@pytest.mark.parametrize("fields", ["industry", [1], [None], ["x"] * 21])
def test_fields_that_are_not_a_short_list_of_names_are_a_400(fields: Any, rep: Any, api_for: Any, lead_id: str) -> None:
    body = {"lead": lead_id, "outcome": "converted", "reason": "champion", "fields": fields}

    response = api_for(rep).post("/api/labels", body)

    assert response.status_code == 400
    assert "fields" in response.json()["detail"]
    assert not Label.objects.filter(lead__external_id=lead_id).exists()


@pytest.mark.django_db
def test_the_openapi_document_describes_the_fields(rep: Any, api_for: Any) -> None:
    schemas = api_for(rep).get("/api/openapi.json").json()["components"]["schemas"]

    given = schemas["LabelIn"]["properties"]["fields"]
    assert given["type"] == "array" and given["items"] == {"type": "string"}
    assert "real reason" in given["description"] and "fields" not in schemas["LabelIn"].get("required", [])
    assert schemas["LabelCreated"]["properties"]["fields"]["type"] == "array"
    assert "fields" in schemas["ReasonOut"]["properties"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"text"', "123", "null"])
def test_a_body_that_is_not_a_json_object_is_named_as_such(body: str, rep: Any, api_for: Any) -> None:
    from django.test import Client

    from config.tokens import token_create

    key = token_create(user=rep, name="raw body")
    response = Client().post(
        "/api/labels", body, content_type="application/json", headers={"Authorization": f"Token {key}"}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body", "message": "expected a JSON object"}]
    assert response.json()["field"] == "body"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/labels", "/api/leads/bulk"])
def test_an_empty_body_is_named_as_empty_not_as_a_missing_field(path: str, admin: Any) -> None:
    from django.test import Client

    from config.tokens import token_create

    key = token_create(user=admin, name="raw body")
    response = Client().post(path, "", content_type="application/json", headers={"Authorization": f"Token {key}"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "body", "message": "empty; send a JSON object (Content-Type: application/json)"}
    ]
