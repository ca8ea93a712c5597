"""Reasons name what they are about: the default mapping, and the admin's editor on /settings/."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from config.models import AuditLog
from feedback.models import Reason
from feedback.selectors import reasons_by_outcome
from feedback.services import reason_add
from feedback.taxonomy import DEFAULT_REASON_FIELDS, OTHER_CODES, default_reasons_apply, default_reasons_create
from learning.core.fields import ACTIVITY_PREFIX, ENGAGEMENT, LEAD_AGE, RECENCY
from learning.models import ModelVersion
from learning.why import known_lead_fields

PROFILE = {"industry", "employees", "title", "seniority", "department", "country", "source", "deal_value"}
SIZE_LIKE = {"revenue", "annual_revenue"}  # custom attributes a team may import


@pytest.mark.django_db
def test_every_shipped_reason_has_its_default_fields(defaults: None) -> None:
    stored = {reason.code: reason.fields for reason in Reason.objects.all()}

    assert {code: stored[code] for code in DEFAULT_REASON_FIELDS} == DEFAULT_REASON_FIELDS
    assert set(stored) == set(DEFAULT_REASON_FIELDS) | OTHER_CODES
    assert all(stored[code] == [] for code in OTHER_CODES)


def test_the_defaults_say_what_each_reason_is_about() -> None:
    assert {"deal_value", "employees"} <= set(DEFAULT_REASON_FIELDS["no_budget"])
    assert {"industry", "employees", "department"} <= set(DEFAULT_REASON_FIELDS["poor_fit"])
    assert {"seniority", "title"} <= set(DEFAULT_REASON_FIELDS["no_authority"])
    assert {RECENCY, ENGAGEMENT} <= set(DEFAULT_REASON_FIELDS["unresponsive"])
    assert {"activity:pricing_visit", "activity:demo_request"} <= set(DEFAULT_REASON_FIELDS["urgent_pain"])


def test_every_default_field_is_a_name_of_the_field_vocabulary() -> None:
    groups = {RECENCY, ENGAGEMENT, LEAD_AGE}
    for code, fields in DEFAULT_REASON_FIELDS.items():
        assert fields, code
        assert len(set(fields)) == len(fields), code
        for name in fields:
            assert name in PROFILE | SIZE_LIKE | groups or name.startswith(ACTIVITY_PREFIX), (code, name)


@pytest.mark.django_db
def test_the_defaults_keep_the_fields_an_admin_chose(defaults: None) -> None:
    Reason.objects.filter(code="no_budget").update(fields=["crm_stage"])
    Reason.objects.filter(code="other_converted").delete()
    default_reasons_create(Reason)  # what the initial data migration runs
    default_reasons_apply(Reason)  # twice: nothing more changes

    assert Reason.objects.get(code="no_budget").fields == ["crm_stage"]
    assert Reason.objects.get(code="poor_fit").fields == DEFAULT_REASON_FIELDS["poor_fit"]
    assert Reason.objects.filter(code="other_converted", outcome="converted").count() == 1


@pytest.mark.django_db
def test_the_known_fields_before_any_model_are_the_profile_attributes_and_activity_types(make_leads: Any) -> None:
    make_leads(6)

    known = known_lead_fields()

    assert {"industry", "employees", "seniority", "deal_value", "source"} <= set(known)
    assert {"activity:pricing_visit", "activity:email_open", RECENCY, ENGAGEMENT, LEAD_AGE} <= set(known)
    assert "company" not in known and "created_at" not in known


@pytest.mark.django_db
def test_an_admin_picks_a_reasons_fields_from_the_known_ones_audited(
    make_leads: Any, admin: Any, page_for: Any
) -> None:
    make_leads(6)
    client = page_for(admin)
    page = client.get("/settings/").content.decode()
    assert 'action="/settings/reasons/no_budget/fields/"' in page
    assert 'value="activity:pricing_visit"' in page

    response = client.post("/settings/reasons/no_budget/fields/", {"fields": ["deal_value", "activity:pricing_visit"]})

    assert response.status_code == 302
    assert Reason.objects.get(code="no_budget").fields == ["deal_value", "activity:pricing_visit"]
    entry = AuditLog.objects.get()
    assert (entry.action, entry.target, entry.user) == ("reason.fields", "reason no_budget", admin)
    assert entry.changes == {"fields": [DEFAULT_REASON_FIELDS["no_budget"], ["deal_value", "activity:pricing_visit"]]}


@pytest.mark.django_db
def test_an_unknown_field_is_refused_by_name_and_nothing_changes(make_leads: Any, admin: Any, page_for: Any) -> None:
    make_leads(6)
    client = page_for(admin)

    response = client.post("/settings/reasons/poor_fit/fields/", {"fields": ["industry", "shoe_size"]}, follow=True)

    assert "unknown field &#x27;shoe_size&#x27;" in response.content.decode()
    assert Reason.objects.get(code="poor_fit").fields == DEFAULT_REASON_FIELDS["poor_fit"]
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_a_field_the_data_lacks_can_be_kept_or_dropped(make_leads: Any, admin: Any, page_for: Any) -> None:
    make_leads(6)
    client = page_for(admin)
    assert 'annual revenue <span class="muted small">(not in the data)' in client.get("/settings/").content.decode()

    client.post("/settings/reasons/no_budget/fields/", {"fields": ["deal_value", "annual_revenue"]})
    assert Reason.objects.get(code="no_budget").fields == ["deal_value", "annual_revenue"]

    response = client.post("/settings/reasons/no_budget/fields/", {"fields": ["deal_value"]}, follow=True)
    assert Reason.objects.get(code="no_budget").fields == ["deal_value"]
    assert "now speaks to 1 field." in response.content.decode()


@pytest.mark.django_db
def test_no_field_at_all_is_a_choice_too(admin: Any, page_for: Any) -> None:
    page_for(admin).post("/settings/reasons/bad_timing/fields/", {})

    assert Reason.objects.get(code="bad_timing").fields == []
    assert AuditLog.objects.get().changes == {"fields": [DEFAULT_REASON_FIELDS["bad_timing"], []]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_admins_edit_a_reasons_fields(role: str, request: pytest.FixtureRequest, page_for: Any) -> None:
    response = page_for(request.getfixturevalue(role)).post("/settings/reasons/poor_fit/fields/", {"fields": []})

    assert response.status_code == 403
    assert Reason.objects.get(code="poor_fit").fields == DEFAULT_REASON_FIELDS["poor_fit"]


@pytest.mark.django_db
def test_a_get_does_not_edit_and_an_unknown_reason_is_404(admin: Any, page_for: Any) -> None:
    client = page_for(admin)

    assert client.get("/settings/reasons/poor_fit/fields/").status_code == 405
    assert client.post("/settings/reasons/nope/fields/", {"fields": []}).status_code == 404


@pytest.mark.django_db
def test_under_a_model_the_known_fields_are_the_ones_its_columns_speak_to(make_leads: Any) -> None:
    make_leads(6)  # the database's attributes and types no longer count
    columns = ["industry", "crm_stage", "count__webinar", "recent30__webinar", "act_last_7d", "_as_of"]
    ModelVersion.objects.create(version=1, labels=50, estimator="x", artifact=b"", status="active", features=columns)

    assert known_lead_fields() == ["industry", "crm_stage", "activity:webinar", RECENCY]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["aaa_first_by_code", "built_in_house", "zzz_last_by_code"])
def test_an_added_reason_comes_last_before_other_so_the_reps_keys_stay(defaults: None, code: str) -> None:
    before = [reason.code for reason in reasons_by_outcome()["not_converted"]]
    admin = get_user_model().objects.create_user(username="admin-reasons")
    reason_add(user=admin, code=code, label="Built it in-house", outcome="not_converted")

    after = [reason.code for reason in reasons_by_outcome()["not_converted"]]
    assert after == [*before[:-1], code, before[-1]]  # the last before is "Other"
    assert before[-1] in OTHER_CODES
