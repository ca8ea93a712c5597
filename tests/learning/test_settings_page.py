"""Settings: audited saves, the threshold and rule previews, reasons, actions, model promotion."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache

from config.audit import audit_record
from config.models import AuditLog
from feedback.dashboards.filters import LabelFilters
from feedback.dashboards.mix import reason_counts
from feedback.models import Label, Reason
from feedback.selectors import reasons_by_outcome
from feedback.services import LabelError, label_submit
from learning.models import LoopSettings, LoopState, ModelVersion, NextAction
from learning.selectors import threshold_preview
from tests.feedback.dashboard_fixture import build_team
from tests.scores import create_scored_lead

FETCH = {"X-Requested-With": "fetch"}


from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY  # noqa: E402


def settings_body(**change: Any) -> dict[str, Any]:
    body = {
        "hot_threshold": 50,  # percent, as the form shows it
        "cost_per_lead": 50,
        "expected_value_threshold": 0,
        "strategy": DEFAULT_STRATEGY,
        "exploration": 100 * DEFAULT_EXPLORATION,
        "min_labels_per_outcome": 5,
        "retrain_every_labels": 1,
        "retrain_every_minutes": 0,
        "lease_minutes": 15,
        "cold_start_hot_points": 50,
        "rescore_every_hours": 24,
    }
    return {**body, **change}


@pytest.fixture
def scored(rep: Any, rep2: Any) -> None:
    """The hand-worked labels plus three open leads with scores and deal values."""
    build_team({"rep1": rep, "rep2": rep2})
    create_scored_lead(external_id="O1", company="Open One", score=0.6, deal_value=1000)
    create_scored_lead(external_id="O2", company="Open Two", score=0.4, deal_value=5000)
    create_scored_lead(external_id="O3", company="Open Three", score=None, deal_value=100)


@pytest.mark.django_db
def test_saving_settings_records_who_changed_what_from_what_to_what(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    response = client.post("/settings/", settings_body(hot_threshold=35, lease_minutes=12))

    assert response.status_code == 302
    saved = LoopSettings.objects.get()
    assert (saved.hot_threshold, saved.lease_minutes, saved.updated_by) == (0.35, 12, admin)
    entry = AuditLog.objects.get()
    assert (entry.user, entry.action, entry.target) == (admin, "settings.update", "loop settings")
    assert entry.changes == {"hot_threshold": [0.5, 0.35], "lease_minutes": [15, 12]}
    assert LoopState.objects.get().rescore_requested is True  # learning runs after commit
    page = client.get("/settings/").content.decode()
    assert "Saved: Hot lead at a chance to convert of at least; Queue lease." in page  # the page's words
    assert "hot_threshold" not in page.split("Saved:")[1].split("</")[0]


@pytest.mark.django_db
def test_saving_unchanged_settings_records_nothing(admin: Any, page_for: Any) -> None:
    page_for(admin).post("/settings/", settings_body())

    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_retrain_trigger_fields_are_saved(admin: Any, page_for: Any) -> None:
    page_for(admin).post("/settings/", settings_body(retrain_every_labels=20, retrain_every_minutes=30))

    saved = LoopSettings.objects.get()
    assert (saved.retrain_every_labels, saved.retrain_every_minutes) == (20, 30)


@pytest.mark.django_db
def test_a_bad_threshold_is_400_and_nothing_is_saved(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/", settings_body(hot_threshold=150))

    assert response.status_code == 400
    assert LoopSettings.objects.get().hot_threshold == 0.5
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_threshold_preview_by_hand(scored: None) -> None:
    preview = threshold_preview(hot_threshold=0.5, cost_per_lead=50, expected_value_threshold=600)

    # Labels: hot = .9 won, .85 lost, .7 won → precision 2/3; conversions .9, .7, .1 → recall 2/3.
    assert preview["labeled"]["precision"] == pytest.approx(2 / 3)
    assert preview["labeled"]["recall"] == pytest.approx(2 / 3)
    # Open leads scored .6 and .4: one hot. EV: .6*1000-50 = 550, .4*5000-50 = 1950 → one above 600.
    assert (preview["open"], preview["hot"], preview["worth_acting"]) == (3, 1, 1)
    assert preview["worth_acting_value"] == pytest.approx(1950)


@pytest.mark.django_db
def test_the_preview_gives_precision_and_recall_their_sample_size(scored: None) -> None:
    preview = threshold_preview(hot_threshold=0.5, cost_per_lead=50, expected_value_threshold=600)

    precision, recall = preview["rates"]["precision"], preview["rates"]["recall"]
    assert (precision.n, recall.n) == (3, 3)  # three labels scored at or above 50%; three converted
    assert precision.value == pytest.approx(2 / 3)
    assert precision.low is not None and precision.high is not None and precision.low < 2 / 3 < precision.high


@pytest.mark.django_db
def test_a_threshold_no_label_reaches_shows_no_precision_rather_than_zero(
    admin: Any, page_for: Any, scored: None
) -> None:
    text = page_for(admin).get("/settings/preview/", {"hot_threshold": "99"}, headers=FETCH).content.decode()

    assert (
        threshold_preview(hot_threshold=0.99, cost_per_lead=50, expected_value_threshold=0)["rates"]["precision"].value
        is None
    )
    assert '<span class="kpi">—</span><span>precision <span class="few">no label scored this high</span>' in text
    assert "0% precision" not in text and ">0%</span><span>precision" not in text
    assert '<span class="kpi">0%</span><span>recall' in text  # recall is defined: no conversion was called hot


@pytest.mark.django_db
def test_a_lower_threshold_finds_more_and_is_less_precise(scored: None) -> None:
    preview = threshold_preview(hot_threshold=0.05, cost_per_lead=50, expected_value_threshold=0)

    assert preview["labeled"]["recall"] == 1.0
    assert preview["labeled"]["precision"] == pytest.approx(3 / 5)
    assert preview["hot"] == 2


@pytest.mark.django_db
def test_the_preview_endpoint_answers_a_fragment_without_saving(admin: Any, page_for: Any, scored: None) -> None:
    response = page_for(admin).get("/settings/preview/", {"hot_threshold": "50"}, headers=FETCH)

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "67%" in text  # precision and recall
    assert "<strong>2</strong> of 2 open leads with a deal value, worth $2,500" in text  # EV 550 + 1950 > 0
    assert LoopSettings.objects.get().hot_threshold == 0.5
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_the_preview_endpoint_rejects_a_bad_threshold(admin: Any, page_for: Any) -> None:
    response = page_for(admin).get("/settings/preview/", {"hot_threshold": "200"})

    assert response.status_code == 400
    assert response.content.decode() == "Hot lead at a chance to convert of at least: enter a percentage from 1 to 99"


@pytest.mark.django_db
def test_the_no_js_preview_button_shows_the_effect_and_saves_nothing(admin: Any, page_for: Any, scored: None) -> None:
    response = page_for(admin).post("/settings/", settings_body(hot_threshold=5, preview="1"))

    text = response.content.decode()
    assert response.status_code == 200
    assert "100%" in text  # recall at 5%
    assert LoopSettings.objects.get().hot_threshold == 0.5
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_the_rule_preview_shows_top_leads_and_the_hot_count(admin: Any, page_for: Any, defaults: None) -> None:
    create_scored_lead(external_id="A", company="Alpha Soft", industry="software")
    create_scored_lead(external_id="B", company="Beta Retail", industry="retail")

    query = {"kind": "profile", "field": "industry", "value": "software", "points": "60"}
    response = page_for(admin).get("/settings/rules/preview/", query, headers=FETCH)

    text = response.content.decode()
    assert response.status_code == 200
    assert "<strong>1</strong> of 2 open leads would be hot (now 0)" in text
    assert text.index("Alpha Soft") < text.index("Beta Retail")
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_the_rule_preview_without_js_renders_the_settings_page(admin: Any, page_for: Any, defaults: None) -> None:
    create_scored_lead(external_id="A", company="Alpha Soft", industry="software")

    response = page_for(admin).get(
        "/settings/rules/preview/", {"kind": "profile", "field": "industry", "value": "software", "points": "60"}
    )

    assert response.status_code == 200
    assert "<html" in response.content.decode() and "Alpha Soft" in response.content.decode()


@pytest.mark.django_db
def test_adding_and_deleting_a_rule_is_audited(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    client.post("/settings/rules/", {"kind": "profile", "field": "industry", "value": "software", "points": "20"})
    from learning.models import PointRule

    rule = PointRule.objects.get(field="industry", value="software")
    client.post(f"/settings/rules/{rule.pk}/delete/")

    actions = list(AuditLog.objects.order_by("id").values_list("action", "changes"))
    assert actions == [("rule.save", {"points": [None, 20.0]}), ("rule.delete", {"points": [20.0, None]})]


@pytest.mark.django_db
def test_a_retired_reason_leaves_the_label_form_and_keeps_its_history(
    admin: Any, rep: Any, rep2: Any, page_for: Any
) -> None:
    build_team({"rep1": rep, "rep2": rep2})

    response = page_for(admin).post("/settings/reasons/no_budget/retire/")

    assert response.status_code == 302
    assert "no_budget" not in [r.code for r in reasons_by_outcome()["not_converted"]]
    assert Label.objects.filter(reason__code="no_budget").count() == 2
    totals = reason_counts(filters=LabelFilters(history=True))
    assert ("not_converted", "no_budget", 2) in [(r.outcome, r.reason, r.n) for r in totals]
    lead = create_scored_lead(external_id="NEW")
    with pytest.raises(LabelError):
        label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget")
    entry = AuditLog.objects.get()
    assert (entry.action, entry.target, entry.changes) == (
        "reason.retire",
        "reason no_budget",
        {"active": [True, False]},
    )
    assert 'name="reason" value="no_budget"' not in page_for(rep).get("/queue/").content.decode()


@pytest.mark.django_db
def test_a_retired_reason_can_be_restored(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    client.post("/settings/reasons/no_budget/retire/")
    client.post("/settings/reasons/no_budget/retire/", {"restore": "1"})

    assert Reason.objects.get(code="no_budget").active
    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == ["reason.retire", "reason.restore"]


@pytest.mark.django_db
def test_renaming_a_reason_keeps_its_labels_and_is_audited(admin: Any, rep: Any, rep2: Any, page_for: Any) -> None:
    build_team({"rep1": rep, "rep2": rep2})

    page_for(admin).post("/settings/reasons/champion/rename/", {"label": "Champion inside"})

    assert Label.objects.filter(reason__label="Champion inside").count() == 2
    assert AuditLog.objects.get().changes == {"label": ["Strong internal champion", "Champion inside"]}


@pytest.mark.django_db
def test_adding_a_reason_puts_it_on_the_label_form(admin: Any, page_for: Any) -> None:
    page_for(admin).post(
        "/settings/reasons/", {"code": "legal_block", "label": "Legal said no", "outcome": "not_converted"}
    )

    assert "legal_block" in [r.code for r in reasons_by_outcome()["not_converted"]]
    assert AuditLog.objects.get().action == "reason.add"


@pytest.mark.django_db
def test_adding_a_taken_reason_code_changes_nothing(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/reasons/", {"code": "champion", "label": "Dup", "outcome": "converted"})

    assert response.status_code == 400
    assert "&#x27;champion&#x27; is taken; rename or restore that reason instead" in response.content.decode()
    assert Reason.objects.get(code="champion").label == "Strong internal champion"
    assert not AuditLog.objects.exists()


def make_version(version: int, status: str) -> ModelVersion:
    return ModelVersion.objects.create(
        version=version, labels=10 * version, estimator="x", artifact=b"", status=status, metrics={"roc_auc": 0.7}
    )


@pytest.mark.django_db
def test_rolling_back_a_model_is_audited(admin: Any, page_for: Any) -> None:
    make_version(1, "retired")
    make_version(2, "active")

    response = page_for(admin).post("/settings/models/1/activate/")

    assert response.status_code == 302
    assert ModelVersion.objects.get(status="active").version == 1
    entry = AuditLog.objects.get()
    assert (entry.user, entry.action) == (admin, "model.rollback")
    assert entry.changes == {"active": ["v2", "v1"], "pinned": [None, "v1"]}


@pytest.mark.django_db
def test_promoting_a_newer_model_is_audited(admin: Any, page_for: Any) -> None:
    make_version(1, "active")
    make_version(2, "rejected")

    page_for(admin).post("/settings/models/2/activate/", {"confirm": "1"})  # rejected: the admin confirmed

    assert AuditLog.objects.get().action == "model.promote"
    assert "Roll back to v1" in page_for(admin).get("/settings/").content.decode()


@pytest.mark.django_db
def test_audit_record_is_callable_by_other_code(admin: Any) -> None:
    entry = audit_record(user=admin, action="import.leads", target="leads.csv", changes={"rows": [None, 12]})

    assert AuditLog.objects.get() == entry
    assert entry.user == admin


@pytest.mark.django_db
def test_the_settings_page_lists_the_audit_log(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    client.post("/settings/", settings_body(hot_threshold=42))

    text = client.get("/settings/").content.decode()

    assert "settings.update" in text
    assert "hot_threshold: 50% → 42%" in text


@pytest.mark.django_db
def test_imports_have_a_table_of_their_own_so_a_busy_crm_does_not_bury_the_changes(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    client.post("/settings/", settings_body(hot_threshold=42))
    for i in range(40):  # a CRM posting to the bulk API every minute for 40 minutes
        audit_record(user=admin, action="import.activities", target="activities from API", changes={"imported": i})

    response = client.get("/settings/")
    changes, imports = response.context["audit"], response.context["audit_imports"]

    assert [entry.action for entry in changes] == ["settings.update"]
    assert len(imports) == 10 and {entry.action for entry in imports} == {"import.activities"}
    assert imports[0].changes == {"imported": 39}  # the latest first
    text = response.content.decode()
    assert "hot_threshold: 50% → 42%" in text and "No imports recorded yet." not in text


@pytest.mark.django_db
def test_saving_a_next_action_parses_its_rules_and_is_audited(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post(
        "/settings/actions/",
        {
            "code": "exec_dinner",
            "label": "Executive dinner",
            "value": "900",
            "rules": "seniority in c-level, vp\nemployees >= 200",
            "active": "on",
        },
    )

    assert response.status_code == 302
    action = NextAction.objects.get(code="exec_dinner")
    assert action.rules == [
        {"field": "seniority", "op": "in", "value": ["c-level", "vp"]},
        {"field": "employees", "op": ">=", "value": 200.0},
    ]
    assert AuditLog.objects.get().action == "action.save"


@pytest.mark.django_db
def test_a_next_action_with_a_bad_rule_is_400(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post(
        "/settings/actions/", {"code": "x", "label": "X", "value": "1", "rules": "employees >= many"}
    )

    assert response.status_code == 400
    assert "needs a number" in response.content.decode()
    assert not NextAction.objects.filter(code="x").exists()


@pytest.mark.django_db
def test_a_next_action_rule_on_a_field_no_lead_has_is_400_naming_it(admin: Any, page_for: Any) -> None:
    cache.clear()  # the custom attribute names are cached for a few minutes: this test's lead must be among them
    create_scored_lead(external_id="A", score=0.5, attributes={"crm_stage": "qualified"})
    body = {"code": "case_study", "label": "Case study", "value": "300", "active": "on"}

    response = page_for(admin).post("/settings/actions/", {**body, "rules": "score >= 0.2\nemployeez >= 10"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "employeez: no lead has this field" in page
    assert "employees" in page and "crm_stage" in page  # what it may test instead
    assert not NextAction.objects.filter(code="case_study").exists()

    # a custom attribute some lead has is a field, whether or not it is among the newest leads'
    assert page_for(admin).post("/settings/actions/", {**body, "rules": "crm_stage = qualified"}).status_code == 302


@pytest.mark.django_db
def test_the_preview_names_a_cost_by_its_label(admin: Any, page_for: Any) -> None:
    response = page_for(admin).get("/settings/preview/", {"hot_threshold": "40", "cost_per_lead": "-1"})

    assert response.status_code == 400
    assert response.content.decode() == "Cost of working a lead: must be 0 or more"


@pytest.mark.django_db
def test_a_refused_rule_names_its_field_by_label(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    client.post("/settings/rules/", {"kind": "profile", "value": "software", "points": "20"})

    page = client.get("/settings/").content.decode()

    assert "Field: a profile rule needs the field it matches (e.g. industry)" in page


@pytest.mark.django_db
@pytest.mark.parametrize("rule", ["score >= nan", "employees >= 1e999", "score >= -inf"])
def test_a_next_action_rule_with_no_finite_number_is_400_not_500(rule: str, admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/actions/", {"code": "odd", "label": "Odd", "value": "1", "rules": rule})

    assert response.status_code == 400
    assert "needs a number" in response.content.decode()
    assert not NextAction.objects.filter(code="odd").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1e308", "-5", "nan"])
def test_a_next_action_value_must_be_an_amount_a_person_would_type(value: str, admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/actions/", {"code": "big", "label": "Big", "value": value, "rules": ""})

    assert response.status_code == 400
    assert not NextAction.objects.filter(code="big").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("points", ["1e308", "-20000"])
def test_a_point_rule_keeps_its_points_within_bounds(points: str, admin: Any, page_for: Any) -> None:
    from learning.models import PointRule

    before = PointRule.objects.count()
    response = page_for(admin).post(
        "/settings/rules/", {"kind": "profile", "field": "industry", "value": "software", "points": points}, follow=True
    )

    assert "must be between -10,000 and 10,000 points" in response.content.decode()
    assert PointRule.objects.count() == before


@pytest.mark.django_db
def test_each_model_version_says_at_which_hot_threshold_its_precision_was_measured(admin: Any, page_for: Any) -> None:
    """Two versions measured at 50% and 60% are not comparable on precision and recall: the table says so."""
    ModelVersion.objects.create(
        version=1, labels=10, estimator="x", artifact=b"", status="retired", metrics={"roc_auc": 0.7, "threshold": 0.5}
    )
    ModelVersion.objects.create(
        version=2, labels=10, estimator="x", artifact=b"", status="active", metrics={"roc_auc": 0.7, "threshold": 0.6}
    )
    page = page_for(admin).get("/settings/").content.decode()
    models = page[page.index('id="models"') :]
    assert ">Hot at</th>" in models
    assert re.search(r"<td>v2</td>.*?<td class=\"num\">60%</td>", models, flags=re.S)
    assert re.search(r"<td>v1</td>.*?<td class=\"num\">50%</td>", models, flags=re.S)


@pytest.mark.django_db
def test_an_amount_reads_as_it_is_typed(admin: Any, page_for: Any) -> None:
    """50, not 50.0: amounts are typed in whole units of the currency, mostly."""
    LoopSettings.objects.update(cost_per_lead=50.0, expected_value_threshold=12.5)
    page = page_for(admin).get("/settings/").content.decode()

    assert re.search(r'<input[^>]*name="cost_per_lead"[^>]*value="50"[ >]', page)
    assert re.search(r'<input[^>]*name="expected_value_threshold"[^>]*value="12.5"[ >]', page)


@pytest.mark.django_db
def test_a_refused_action_lands_on_its_form_not_the_pages_top(admin: Any, page_for: Any) -> None:
    body = {"code": "bad", "label": "Bad", "value": "100", "rules": "score >= 30", "active": "on"}

    response = page_for(admin).post("/settings/actions/", body)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'action="/settings/actions/#actions"' in page
    assert "write it in percent (score &gt;= 30%)" in page
