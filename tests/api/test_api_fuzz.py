"""Fuzzing the API with hypothesis: wrong types, unknown reasons and outcomes, absurd values,
hostile text. Every request ends in a 2xx or a clear 4xx, never a 500; nothing saved is lost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import Label
from leads.models import Lead

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["\x00", "\ud800", "x" * 5000, "-1", "1e400", "converted", "champion", "no_budget", "<script>"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def post_raw(client: Any, path: str, body: Any) -> Any:
    try:
        text = json.dumps(body)
    except (TypeError, ValueError):
        text = "{not json"
    return client.client.post(path, text, content_type="application/json", headers=client.headers)


@pytest.fixture
def world(make_leads: Any, admin: Any, rep: Any, api_for: Any) -> dict[str, Any]:
    ids = make_leads(6, labeled=0.5)
    return {
        "ids": ids,
        "rep": api_for(rep),
        "admin": api_for(admin),
        "labels": dict(Label.objects.values_list("lead__external_id", "outcome")),
        "leads": dict(Lead.objects.values_list("external_id", "company")),
    }


def assert_nothing_lost(world: dict[str, Any]) -> None:
    labels = dict(Label.objects.values_list("lead__external_id", "outcome"))
    assert all(labels.get(k) == v for k, v in world["labels"].items()), "no saved label changed or vanished"
    leads = dict(Lead.objects.values_list("external_id", "company"))
    assert all(k in leads for k in world["leads"])


@pytest.mark.django_db
@FUZZ
@given(
    lead=st.one_of(values, st.sampled_from(["S0000", "S0001", "S0002", "nope"])),
    outcome=st.one_of(values, st.sampled_from(["converted", "not_converted", "maybe"])),
    reason=st.one_of(values, st.sampled_from(["champion", "no_budget", "unknown_reason"])),
    note=values,
    extra=st.dictionaries(st.text(max_size=5), values, max_size=2),
)
def test_label_requests_never_fail_with_500(
    lead: Any, outcome: Any, reason: Any, note: Any, extra: dict[str, Any], world: dict[str, Any]
) -> None:
    body = {**extra, "lead": lead, "outcome": outcome, "reason": reason, "note": note}

    response = post_raw(world["rep"], "/api/labels", body)

    assert response.status_code in (200, 201, 400, 404, 409, 422), response.content[:300]
    if response.status_code >= 400:
        assert response.json()["detail"]
    assert_nothing_lost(world)


@pytest.mark.django_db
@FUZZ
@given(
    items=st.lists(
        st.one_of(
            values,
            st.fixed_dictionaries(
                {"external_id": st.one_of(values, st.sampled_from(["Z1", "Z2", "S0000"]))},
                optional={
                    "company": values,
                    "employees": values,
                    "deal_value": values,
                    "created_at": values,
                    "won": values,
                    "custom": values,
                },
            ),
        ),
        max_size=6,
    ),
    outcome_column=st.one_of(st.none(), st.just("won"), values),
)
def test_bulk_lead_requests_never_fail_with_500(items: Any, outcome_column: Any, world: dict[str, Any]) -> None:
    before = Lead.objects.count()

    response = post_raw(world["admin"], "/api/leads/bulk", {"items": items, "outcome_column": outcome_column})

    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        body = response.json()
        assert Lead.objects.count() <= before + body["imported"]
        assert all(e["field"] and e["message"] and e["item"] >= 1 for e in body["errors"])
    else:
        assert Lead.objects.count() == before
    leads = set(Lead.objects.values_list("external_id", flat=True))
    assert set(world["leads"]) <= leads


@pytest.mark.django_db
@FUZZ
@given(items=st.lists(values, max_size=5))
def test_bulk_activity_requests_never_fail_with_500(items: Any, world: dict[str, Any]) -> None:
    response = post_raw(world["admin"], "/api/activities/bulk", {"items": items})
    assert response.status_code in (200, 400), response.content[:300]
    assert_nothing_lost(world)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["nul \x00 inside", "lone \ud800 surrogate"])
def test_text_a_database_cannot_store_is_a_clear_error(bad: str, world: dict[str, Any]) -> None:
    open_lead = Lead.objects.filter(status="open").values_list("external_id", flat=True).first()
    bulk = post_raw(world["admin"], "/api/leads/bulk", {"items": [{"external_id": "T1", "company": bad}]})
    label = post_raw(
        world["rep"], "/api/labels", {"lead": open_lead, "outcome": "converted", "reason": "champion", "note": bad}
    )

    assert bulk.status_code == 200 and bulk.json()["warnings"][0]["field"] == "company"
    assert Lead.objects.get(external_id="T1").company == ""
    assert label.status_code == 400 and "note" in label.json()["detail"]
