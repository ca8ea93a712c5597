"""Every filter and page parameter is validated (issue 16, findings 6 and 10): NUL bytes,
out-of-range numbers and bad datetimes get a 400 naming the parameter on the API, a friendly 400
or a clamped page on HTML pages; exports fail loudly rather than truncate."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DataError
from django.test import Client

from leads import export
from leads.models import Lead

pytestmark = pytest.mark.django_db

BAD_API_PARAMS = [
    pytest.param("industry", "\x00", id="industry NUL"),
    pytest.param("source", "web\x00", id="source NUL"),
    pytest.param("status", "\x00", id="status NUL"),
    pytest.param("industry", "x" * 101, id="industry too long"),
    pytest.param("updated_since", "2197-02-06T14:45:02+21:30", id="offset out of range"),
    pytest.param("updated_since", "9999-12-31T23:59:59-14:00", id="past the end of time in UTC"),
    pytest.param("updated_since", "0001-01-01T00:00:00+14:00", id="before the start of time in UTC"),
    pytest.param("updated_since", "2026-11-01T12:00:00", id="no time zone"),
    pytest.param("min_score", "nan", id="min_score NaN"),
    pytest.param("max_score", "1e400", id="max_score infinite"),
    pytest.param("limit", "9223372036854775807", id="limit huge"),
    pytest.param("cursor", "\x00", id="cursor NUL"),
]


@pytest.mark.parametrize(("name", "value"), BAD_API_PARAMS)
def test_the_lead_list_api_answers_400_naming_a_bad_parameter(
    scored_leads: list[str], manager: Any, api_for: Any, name: str, value: str
) -> None:
    response = api_for(manager).get("/api/leads", **{name: value})

    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"].startswith(f"{name}: ") or f"{name}:" in response.json()["detail"]


@pytest.mark.parametrize(("name", "value"), [p for p in BAD_API_PARAMS if p.id not in ("limit huge", "cursor NUL")])
def test_the_csv_export_api_answers_400_naming_a_bad_parameter_instead_of_an_empty_file(
    scored_leads: list[str], manager: Any, api_for: Any, name: str, value: str
) -> None:
    response = api_for(manager).get("/api/leads.csv", **{name: value})

    assert response.status_code == 400
    assert f"{name}:" in response.json()["detail"]


def test_an_export_whose_query_fails_is_an_error_not_a_header_only_file(
    scored_leads: list[str], manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise DataError("the database refused the query")
        yield  # a generator, like the real reader

    monkeypatch.setattr(export, "lead_export_rows", broken)
    client = Client(raise_request_exception=False)
    client.force_login(manager)

    response = client.get("/leads/export.csv")

    assert response.status_code == 500


def test_an_export_that_fails_midway_ends_with_an_error_not_a_short_file(
    scored_leads: list[str], manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_after_one(**_: Any) -> Any:
        yield ("L1",)
        raise DataError("the connection went away")

    monkeypatch.setattr(export, "lead_export_rows", failing_after_one)
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    response = client.get("/leads/export.csv")

    with pytest.raises(DataError):
        b"".join(response.streaming_content)


def test_the_lead_list_page_clamps_a_huge_page_number(scored_leads: list[str], manager: Any, page_for: Any) -> None:
    response = page_for(manager).get("/leads/", {"page": "9223372036854775807"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [("industry", "\x00"), ("source", "\x00"), ("q", "\x00"), ("score_min", "500"), ("ev_min", "nan")],
)
def test_the_lead_list_page_answers_a_friendly_400_naming_a_bad_filter(
    scored_leads: list[str], manager: Any, page_for: Any, name: str, value: str
) -> None:
    response = page_for(manager).get("/leads/", {name: value})

    assert response.status_code == 400
    body = response.content.decode()
    assert "<html" in body and name in body


def test_the_csv_export_page_answers_400_for_a_bad_filter(scored_leads: list[str], manager: Any, page_for: Any) -> None:
    response = page_for(manager).get("/leads/export.csv", {"industry": "\x00"})

    assert response.status_code == 400
    assert Lead.objects.count() == len(scored_leads)


HOSTILE_VALUES = ["\x00", "9223372036854775807", "-9223372036854775809", "nan", "2197-02-06T14:45:02+21:30", "x" * 5000]
GET_PARAMETERS = [
    ("/leads/", ["status", "industry", "source", "q", "sort", "score_min", "ev_min", "reason", "page"]),
    ("/leads/export.csv", ["status", "industry", "score_max"]),
    ("/dashboards/", ["period", "segment", "days"]),
    ("/dashboards/reasons/", ["outcome", "reason", "industry", "rep", "band", "start", "end"]),
    ("/settings/preview/", ["hot_threshold", "cost_per_lead", "expected_value_threshold"]),
    ("/settings/rules/preview/", ["kind", "field", "value", "points", "hot_points"]),
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
@pytest.mark.parametrize(("path", "names"), GET_PARAMETERS)
def test_no_page_answers_500_to_a_hostile_parameter(
    scored_leads: list[str], admin: Any, page_for: Any, path: str, names: list[str], value: str
) -> None:
    client = page_for(admin)
    for name in names:
        response = client.get(path, {name: value})
        assert response.status_code in (200, 400), (name, response.status_code)
