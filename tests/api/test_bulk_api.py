"""POST /api/leads/bulk and /api/activities/bulk: admin-only upserts, validated like the CSV import."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label
from leads.models import Activity, Lead
from tests.conftest import ApiClient


@pytest.mark.django_db
def test_it_upserts_leads_and_reports_bad_items(admin: Any, api_for: Any) -> None:
    items = [
        {"external_id": "B1", "company": "Acme", "employees": "51-200", "deal_value": 1500, "crm": "hubspot"},
        {"external_id": "B2", "employees": "many"},
        {"external_id": "B3", "company": "Globex", "employees": 12, "created_at": "2026-10-01"},
    ]

    response = api_for(admin).post("/api/leads/bulk", {"items": items})

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("imported", "labels", "rejected")} == {"imported": 3, "labels": 0, "rejected": 0}
    assert body["errors"] == []
    assert body["warnings"] == [{"item": 2, "field": "employees", "message": "expected a number, got 'many'"}]
    b1 = Lead.objects.get(external_id="B1")
    assert (b1.company, b1.employees, b1.deal_value, b1.attributes) == ("Acme", 125, 1500, {"crm": "hubspot"})
    assert Lead.objects.get(external_id="B3").employees == 12
    assert Lead.objects.get(external_id="B2").employees is None


@pytest.mark.django_db
def test_a_json_integer_no_float_holds_is_a_warning_naming_it_and_the_other_items_are_saved(
    admin: Any, api_for: Any
) -> None:
    """A 400-digit deal value once answered 500 and lost the whole batch."""
    items = [
        {"external_id": "OK-1", "company": "fine"},
        {"external_id": "BIG-1", "deal_value": int("9" * 400), "employees": 10**309},
    ]

    response = api_for(admin).post("/api/leads/bulk", {"items": items})

    assert response.status_code == 200
    assert response.json()["warnings"] == [
        {"item": 2, "field": "employees", "message": "expected a finite number"},
        {"item": 2, "field": "deal_value", "message": "expected a finite number"},
    ]
    assert Lead.objects.filter(external_id__in=["OK-1", "BIG-1"]).count() == 2
    assert Lead.objects.get(external_id="BIG-1").deal_value is None


@pytest.mark.django_db
def test_sending_the_same_leads_again_updates_them_and_duplicates_nothing(admin: Any, api_for: Any) -> None:
    client = api_for(admin)
    client.post(
        "/api/leads/bulk",
        {"items": [{"external_id": "B1", "company": "Acme", "won": "converted"}], "outcome_column": "won"},
    )

    response = client.post(
        "/api/leads/bulk",
        {"items": [{"external_id": "B1", "company": "Acme Corp", "won": "converted"}], "outcome_column": "won"},
    )

    assert response.status_code == 200
    assert Lead.objects.count() == 1
    assert Lead.objects.get().company == "Acme Corp"
    assert Label.objects.count() == 1


@pytest.mark.django_db
def test_an_outcome_column_with_positive_creates_labels(admin: Any, api_for: Any) -> None:
    items = [
        {"external_id": "H1", "stage": "Won"},
        {"external_id": "H2", "stage": "Lost"},
        {"external_id": "H3", "stage": ""},
    ]

    body = api_for(admin).post("/api/leads/bulk", {"items": items, "outcome_column": "stage", "positive": "Won"}).json()

    assert (body["imported"], body["labels"], body["rejected"]) == (3, 2, 0)
    assert dict(Lead.objects.values_list("external_id", "status")) == {
        "H1": "converted",
        "H2": "not_converted",
        "H3": "open",
    }


@pytest.mark.django_db
def test_an_outcome_value_without_positive_is_a_warning_naming_the_apis_option(admin: Any, api_for: Any) -> None:
    items = [{"external_id": "W1", "stage": "won"}]

    body = api_for(admin).post("/api/leads/bulk", {"items": items, "outcome_column": "stage"}).json()

    assert body["imported"] == 1 and body["labels"] == 0
    (warning,) = body["warnings"]
    assert "got 'won'" in warning["message"] and "'positive' in the API" in warning["message"]


@pytest.mark.django_db
def test_it_rejects_items_with_the_same_external_id_and_wrong_types(admin: Any, api_for: Any) -> None:
    items = [
        {"external_id": "B1"},
        {"external_id": "B1"},
        {"external_id": "B2", "company": ["not", "text"]},
        {"external_id": "B3", "employees": True},
        {"company": "No id"},
    ]

    body = api_for(admin).post("/api/leads/bulk", {"items": items}).json()

    assert [(e["item"], e["field"]) for e in body["errors"]] == [(2, "external_id"), (5, "external_id")]
    assert [(w["item"], w["field"]) for w in body["warnings"]] == [(3, "company"), (4, "employees")]
    assert (body["imported"], body["rejected"]) == (3, 2)


@pytest.mark.django_db
def test_it_inserts_activities_and_reports_an_unknown_lead(admin: Any, api_for: Any) -> None:
    Lead.objects.create(external_id="L1")
    items = [
        {"lead": "L1", "type": "email_open", "occurred_at": "2026-10-01T10:00:00Z"},
        {"lead": "GHOST", "type": "call", "occurred_at": "2026-10-01"},
        {"lead": "L1", "type": "call", "occurred_at": "last week"},
    ]
    client = api_for(admin)

    body = client.post("/api/activities/bulk", {"items": items}).json()
    client.post("/api/activities/bulk", {"items": items[:1]})

    assert (body["imported"], body["labels"], body["rejected"]) == (1, 0, 2)
    assert [(e["item"], e["field"]) for e in body["errors"]] == [(2, "lead"), (3, "occurred_at")]  # in item order
    assert Activity.objects.count() == 1


@pytest.mark.django_db
def test_it_counts_new_activities_and_the_ones_already_stored_apart(admin: Any, api_for: Any) -> None:
    Lead.objects.create(external_id="L1")
    items = [{"lead": "L1", "type": "call", "occurred_at": f"2026-10-0{day}"} for day in range(1, 4)]
    client = api_for(admin)
    client.post("/api/activities/bulk", {"items": items[:1]})

    body = client.post("/api/activities/bulk", {"items": items}).json()
    leads = client.post("/api/leads/bulk", {"items": [{"external_id": "L2"}]}).json()

    assert (body["imported"], body["duplicates"], body["rejected"]) == (2, 1, 0)
    assert leads["duplicates"] is None  # an import updates leads: none is a duplicate (docs/api.md)
    keys = {"imported", "labels", "rejected", "errors", "warnings", "duplicates", "reopened", "notices"}
    assert set(leads) == set(body) == keys
    assert Activity.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/leads/bulk", "/api/activities/bulk"])
def test_a_body_without_items_answers_400_naming_items(path: str, admin: Any, api_for: Any) -> None:
    response = api_for(admin).post(path, {"rows": []})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("items: ")


@pytest.mark.django_db
def test_more_than_ten_thousand_items_answers_400(admin: Any, api_for: Any) -> None:
    items = [{"external_id": f"B{i}"} for i in range(10_001)]

    response = api_for(admin).post("/api/leads/bulk", {"items": items})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("items: ")
    assert not Lead.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/leads/bulk", "/api/activities/bulk"])
@pytest.mark.parametrize("role", ["rep", "manager", "nobody"])
def test_it_answers_403_to_anyone_but_an_admin(
    path: str, role: str, request: pytest.FixtureRequest, api_for: Any
) -> None:
    response = api_for(request.getfixturevalue(role)).post(path, {"items": [{"external_id": "B1"}]})

    assert response.status_code == 403
    assert not Lead.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/leads/bulk", "/api/activities/bulk"])
@pytest.mark.parametrize("key", [None, "bad-key"])
def test_it_answers_401_without_a_valid_token(path: str, key: str | None, defaults: None) -> None:
    response = ApiClient(key).post(path, {"items": [{"external_id": "B1"}]})

    assert response.status_code == 401
    assert not Lead.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/leads/bulk", "/api/activities/bulk"])
def test_it_answers_405_to_a_get(path: str, admin: Any, api_for: Any) -> None:
    assert api_for(admin).get(path).status_code == 405


@pytest.mark.django_db
def test_a_trailing_slash_is_told_the_path_without_it(admin: Any, api_for: Any) -> None:
    client = api_for(admin)

    post = client.post("/api/leads/bulk/", {"items": []})  # a lead's path ("bulk/"), which takes GET only
    queue = client.get("/api/queue/")

    assert post.status_code == 405
    assert post.json()["detail"] == (
        "POST is not allowed at /api/leads/bulk/ (did you mean /api/leads/bulk, without the trailing slash?)"
    )
    assert queue.status_code == 404
    assert "(did you mean /api/queue, without the trailing slash?)" in queue.json()["detail"]
    assert (
        client.get("/api/nothing-here/").json()["detail"]
        == "no API endpoint at /api/nothing-here/; see /api/openapi.json"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["outcome_column", "outcome_date_column"])
def test_a_column_no_item_has_answers_400_naming_it_as_the_csv_importer_does(
    field: str, admin: Any, api_for: Any
) -> None:
    body = {"items": [{"external_id": "HW4", "won": "converted"}], "outcome_column": "won", field: "nonexistent"}

    response = api_for(admin).post("/api/leads/bulk", body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}: missing required column(s): nonexistent")
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_an_outcome_column_with_a_nul_answers_400_naming_it(admin: Any, api_for: Any) -> None:
    body = {"items": [{"external_id": "HW4", "won": "converted"}], "outcome_column": "won\u0000"}

    response = api_for(admin).post("/api/leads/bulk", body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("outcome_column: ")
    assert "NUL" in response.json()["detail"]
    assert not Lead.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("positive", "Won"), ("outcome_date_column", "closed")])
def test_an_option_of_the_outcome_column_without_one_answers_400(
    field: str, value: str, admin: Any, api_for: Any
) -> None:
    response = api_for(admin).post("/api/leads/bulk", {"items": [{"external_id": "HW4", "closed": "x"}], field: value})

    assert response.status_code == 400
    assert response.json()["detail"] == f"{field}: needs outcome_column"


@pytest.mark.django_db
def test_an_empty_converted_value_answers_400_naming_it(admin: Any, api_for: Any) -> None:
    """``"positive": ""`` once read every outcome as a lost deal."""
    body = {"items": [{"external_id": "E1", "stage": "Won"}], "outcome_column": "stage", "positive": " "}

    response = api_for(admin).post("/api/leads/bulk", body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("positive: is empty: name the value that means converted")
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_key_with_spaces_around_reads_as_the_field_it_names_as_a_csv_header_does(admin: Any, api_for: Any) -> None:
    items = [{"external_id ": "SP1", " company": "Acme", "won ": "converted"}]

    body = api_for(admin).post("/api/leads/bulk", {"items": items, "outcome_column": "won"}).json()

    assert (body["imported"], body["labels"], body["warnings"]) == (1, 1, [])
    lead = Lead.objects.get(external_id="SP1")
    assert (lead.company, lead.attributes, lead.status) == ("Acme", {}, "converted")


@pytest.mark.django_db
def test_two_keys_that_differ_only_in_spaces_are_never_merged_silently(admin: Any, api_for: Any) -> None:
    items = [
        {"external_id": "SP1", "crm": "a", "crm ": "b"},
        {"external_id": "SP2", "external_id ": "SP3"},
    ]

    body = api_for(admin).post("/api/leads/bulk", {"items": items}).json()

    assert body["warnings"] == [
        {"item": 1, "field": "crm", "message": "given twice, under keys that differ only in spaces; both left out"}
    ]
    assert body["errors"] == [
        {"item": 2, "field": "external_id", "message": "given twice, under keys that differ only in spaces"}
    ]
    assert list(Lead.objects.values_list("external_id", "attributes")) == [("SP1", {})]


@pytest.mark.django_db
@pytest.mark.parametrize("external_id", ["import", "export.csv", "bulk", ".", "..", "HX/label", "HX/score"])
def test_an_external_id_that_is_the_address_of_another_page_is_an_error_naming_the_item(
    external_id: str, admin: Any, api_for: Any
) -> None:
    items = [{"external_id": "OK1"}, {"external_id": external_id}]

    body = api_for(admin).post("/api/leads/bulk", {"items": items}).json()

    assert [(e["item"], e["field"]) for e in body["errors"]] == [(2, "external_id")]
    assert list(Lead.objects.values_list("external_id", flat=True)) == ["OK1"]


@pytest.mark.django_db
def test_an_activity_with_an_offset_beyond_fourteen_hours_is_an_error_naming_the_item(admin: Any, api_for: Any) -> None:
    Lead.objects.create(external_id="L1")
    items = [
        {"lead": "L1", "type": "call", "occurred_at": "2026-10-01T10:00:00+15:00"},
        {"lead": "L1", "type": "call", "occurred_at": "2026-10-01T10:00:00+14:00"},
    ]

    body = api_for(admin).post("/api/activities/bulk", {"items": items}).json()

    assert body["errors"] == [
        {
            "item": 1,
            "field": "occurred_at",
            "message": "a time zone offset is at most ±14:00, got '2026-10-01T10:00:00+15:00'",
        }
    ]
    assert body["imported"] == 1


@pytest.mark.django_db
def test_a_long_item_key_is_left_out_with_a_warning_never_cut_short(admin: Any, api_for: Any) -> None:
    items = [{"external_id": "LK1", "k" * 100 + "A": "first", "k" * 100 + "B": "second"}]

    body = api_for(admin).post("/api/leads/bulk", {"items": items}).json()

    assert [(w["item"], w["field"]) for w in body["warnings"]] == [(1, "attributes"), (1, "attributes")]
    assert Lead.objects.get(external_id="LK1").attributes == {}
