"""Every dashboard figure against numbers worked out by hand on tests/feedback/dashboard_fixture.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest

from feedback.dashboards.filters import LabelFilters, labels_drilldown
from feedback.dashboards.matrix import matrix_headline, reason_matrix, segment_phrase
from feedback.dashboards.mix import reason_counts, reason_mix
from feedback.dashboards.quality import disagreements, labeled_scores
from feedback.dashboards.team import team_activity as select_team
from feedback.forms import DrilldownForm
from feedback.models import Label, Lease, Reason
from leads.models import Lead
from learning.models import ModelVersion
from learning.selectors import model_quality

OCTOBER = LabelFilters(start=date(2026, 10, 1), end=date(2026, 11, 1))
AUTUMN = LabelFilters(start=date(2026, 10, 1), end=date(2026, 12, 1))


def ids(labels: list[Any]) -> list[str]:
    return sorted(label.lead.external_id for label in labels)


def filters_of(query: str) -> LabelFilters:
    """What a drill-down link asks for, read the way the drill-down page reads it."""
    form = DrilldownForm(dict(parse_qsl(query)))
    assert form.is_valid(), form.errors
    return LabelFilters(**{k: v for k, v in form.cleaned_data.items() if v})


@pytest.mark.django_db
def test_reason_counts_leave_imported_history_out_unless_asked(team: Any) -> None:
    rows = {(r.outcome, r.reason): (r.n, r.share.value) for r in reason_counts(filters=AUTUMN)}
    history = LabelFilters(start=AUTUMN.start, end=AUTUMN.end, history=True)
    with_history = {(r.outcome, r.reason): r.n for r in reason_counts(filters=history)}

    assert rows == {
        ("converted", "champion"): (2, pytest.approx(2 / 3)),
        ("converted", "budget_approved"): (1, pytest.approx(1 / 3)),
        ("not_converted", "no_budget"): (2, pytest.approx(1.0)),
    }
    assert with_history[("not_converted", "poor_fit")] == 1


@pytest.mark.django_db
def test_reason_counts_obey_the_period(team: Any) -> None:
    rows = {(r.outcome, r.reason): r.n for r in reason_counts(filters=OCTOBER)}

    assert rows == {
        ("converted", "champion"): 1,
        ("converted", "budget_approved"): 1,
        ("not_converted", "no_budget"): 1,
    }


@pytest.mark.django_db
def test_labels_are_dated_by_their_outcome_date_not_the_day_they_were_entered(team: Any) -> None:
    Label.objects.filter(lead__external_id="L3").update(outcome_at=datetime(2026, 11, 20, tzinfo=UTC))

    assert ids(labels_drilldown(filters=OCTOBER)) == ["L1", "L2"]


@pytest.mark.django_db
def test_the_mix_per_month_counts_the_outcome_and_its_reasons(team: Any) -> None:
    october, november = reason_mix(filters=AUTUMN, outcome="not_converted", by="month")

    assert (october.key, october.total, october.count) == ("2026-10-01", 3, 1)
    assert [(c.reason, c.n, c.share.value) for c in october.cells] == [("no_budget", 1, 1.0)]
    assert october.cells[0].query == "outcome=not_converted&reason=no_budget&start=2026-10-01&end=2026-11-01"
    assert (november.key, november.total, november.count) == ("2026-11-01", 2, 1)


@pytest.mark.django_db
def test_time_buckets_are_clipped_to_the_period_in_their_drill_downs(team: Any) -> None:
    period = LabelFilters(start=date(2026, 10, 6), end=date(2026, 10, 14))

    weeks = reason_mix(filters=period, outcome="converted", by="week")

    assert [(b.key, b.total, b.count) for b in weeks] == [("2026-10-05", 1, 1), ("2026-10-12", 1, 0)]
    assert ids(labels_drilldown(filters=filters_of(weeks[0].query))) == ["L2"]  # not L1, on 5 Oct
    assert "start=2026-10-06" in weeks[0].query


@pytest.mark.django_db
def test_the_mix_by_segment_puts_the_most_of_the_outcome_first(team: Any) -> None:
    history = LabelFilters(start=AUTUMN.start, end=AUTUMN.end, history=True)

    buckets = reason_mix(filters=history, outcome="converted", by="industry")

    assert [(b.key, b.total, b.count) for b in buckets] == [("software", 2, 2), ("logistics", 2, 1), ("retail", 2, 0)]


@pytest.mark.django_db
def test_score_bands_come_lowest_first_and_unscored_last(team: Any) -> None:
    history = LabelFilters(start=AUTUMN.start, end=AUTUMN.end, history=True)

    assert [b.key for b in reason_mix(filters=history, outcome="converted", by="band")] == [
        "0-20",
        "20-40",
        "60-80",
        "80-100",
        "-",
    ]


@pytest.mark.django_db
def test_the_reason_matrix_splits_lost_deals_by_reason_and_industry(team: Any) -> None:
    matrix = reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry")

    assert [code for code, _ in matrix.reasons][:2] == ["no_budget", "bad_timing"]
    assert [(r.key, r.count, r.labels) for r in matrix.rows] == [
        ("retail", 2, 2),
        ("software", 0, 2),
        ("logistics", 0, 1),
    ]
    retail = matrix.rows[0]
    budget = next(c for c in retail.cells if c.reason == "no_budget")
    assert (budget.n, budget.share.value) == (2, 1.0)
    assert retail.outcome_rate.value == 1.0
    assert (matrix.total.count, matrix.total.labels) == (2, 5)
    assert budget.query == "outcome=not_converted&reason=no_budget&industry=retail&start=2026-10-01&end=2026-12-01"
    assert ids(labels_drilldown(filters=filters_of(budget.query))) == ["L3", "L4"]


@pytest.mark.django_db
def test_the_matrix_with_history_gets_a_no_reason_column_and_carries_the_toggle(team: Any) -> None:
    Label.objects.filter(lead__external_id="L6").update(reason=None)
    history = LabelFilters(start=AUTUMN.start, end=AUTUMN.end, history=True)

    matrix = reason_matrix(filters=history, outcome="not_converted", segment="industry")

    assert matrix.reasons[-1] == ("-", "No reason given")
    logistics = next(r for r in matrix.rows if r.key == "logistics")
    cell = logistics.cells[-1]
    assert (cell.reason, cell.n) == ("-", 1)
    assert "history=1" in cell.query
    assert ids(labels_drilldown(filters=filters_of(cell.query))) == ["L6"]


@pytest.mark.django_db
def test_rates_are_weighted_by_inverse_propensity(team: Any) -> None:
    for lead, propensity in (("L1", 0.5), ("L2", 0.5), ("L3", 0.1), ("L4", 0.1)):  # L5: outside the queue
        Label.objects.filter(lead__external_id=lead).update(propensity=propensity)

    matrix = reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry")

    # Weights 1/p scaled to a queue mean of 1: L1, L2 1/3; L3, L4 5/3; L5 1. Lost: 10/3 of 5.
    rate = matrix.total.outcome_rate
    assert (rate.n, rate.hits) == (5, 2)
    assert rate.value == pytest.approx(2 / 3)
    assert rate.effective_n == pytest.approx(225 / 61)
    assert rate.low is not None and rate.high is not None and rate.low < 2 / 3 < rate.high


@pytest.mark.django_db
def test_the_headline_names_the_top_reason_and_the_biggest_spot(team: Any) -> None:
    headline = matrix_headline(reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry"))

    assert headline is not None
    assert (headline["count"], headline["top_reason"], headline["top_n"]) == (2, "No budget", 2)
    assert (headline["row"].label, headline["cell_reason"], headline["cell"].n) == ("retail", "No budget", 2)


@pytest.mark.django_db
def test_an_empty_period_has_no_headline(team: Any) -> None:
    empty = LabelFilters(start=date(2025, 1, 1), end=date(2025, 2, 1))

    assert matrix_headline(reason_matrix(filters=empty, outcome="not_converted", segment="rep")) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (LabelFilters(outcome="converted", reason="champion"), ["L1", "L5"]),
        (LabelFilters(industry="retail", outcome="not_converted"), ["L3", "L4"]),
        (LabelFilters(rep="-"), []),
        (LabelFilters(rep="-", history=True), ["L6"]),
        (LabelFilters(rep="rep2", outcome="converted"), ["L5"]),
        (LabelFilters(band="80-100"), ["L1", "L3"]),
        (LabelFilters(band="-", history=True), ["L6"]),
        (LabelFilters(country="DE", source="referral"), ["L1", "L5"]),
    ],
)
def test_drilldown_filters(team: Any, filters: LabelFilters, expected: list[str]) -> None:
    assert ids(labels_drilldown(filters=filters)) == expected


def test_drilldown_chips_are_words_not_codes() -> None:
    filters = LabelFilters(
        outcome="not_converted",
        reason="-",
        industry="retail",
        band="80-100",
        start=date(2026, 10, 1),
        end=date(2026, 11, 1),
    )

    assert filters.words({"no_budget": "No budget"}) == [
        ("Outcome", "Not converted"),
        ("Reason", "No reason given"),
        ("Industry", "retail"),
        ("Score band", "score 80–100%"),
        ("Dated", "1 Oct 2026 – 31 Oct 2026"),
        ("Imported history", "left out"),
    ]


def test_a_period_still_running_is_dated_up_to_today_so_far() -> None:
    """'This month' opened from the dashboard (which says '1-6 Dec 2026 so far') ends at today, not
    at the month's last day."""
    from django.utils import timezone

    today = timezone.localdate()
    running = LabelFilters(start=today.replace(day=1), end=today + timedelta(days=40))
    future = LabelFilters(start=today + timedelta(days=10), end=today + timedelta(days=20))

    assert dict(running.words({}))["Dated"] == f"{today.replace(day=1):%-d %b %Y} – {today:%-d %b %Y} so far"
    assert dict(future.words({}))["Dated"].endswith(f"{today + timedelta(days=19):%-d %b %Y}")


@pytest.mark.django_db
def test_the_drilldown_page_shows_the_leads_the_notes_and_its_filters_in_words(
    team: Any, manager: Any, page_for: Any
) -> None:
    response = page_for(manager).get(
        "/dashboards/reasons/",
        {"outcome": "not_converted", "reason": "no_budget", "start": "2026-10-01", "end": "2026-11-01"},
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Company L3" in text and "Company L4" not in text
    assert "CFO froze spend" in text
    assert "Not converted" in text and "No budget" in text and "not_converted:" not in text
    assert "1 label" in text
    assert "period=custom&amp;start=2026-10-01&amp;end=2026-10-31" in text  # back to the same period


@pytest.mark.django_db
def test_labeled_scores_carry_weights_and_leave_out_labels_without_a_score(team: Any) -> None:
    Label.objects.filter(lead__external_id="L1").update(propensity=0.25)
    Label.objects.filter(lead__external_id="L2").update(propensity=0.75)

    seen = labeled_scores()

    assert sorted(zip(seen.scores, seen.outcomes, strict=True)) == [(0.1, 1), (0.3, 0), (0.7, 1), (0.85, 0), (0.9, 1)]
    weights = dict(zip(seen.scores, seen.weights, strict=True))
    assert (weights[0.9], weights[0.7], weights[0.85]) == (pytest.approx(1.5), pytest.approx(0.5), 1.0)


@pytest.mark.django_db
def test_model_quality_says_too_few_instead_of_drawing_five_labels(team: Any) -> None:
    quality = model_quality(filters=AUTUMN)

    assert quality["seen_n"] == 5 and not quality["enough"]
    assert quality["calibration"] == [] and quality["gain"] == []
    assert quality["seen"]["precision"] == pytest.approx(2 / 3)  # hot: L1 .9, L2 .7, L3 .85


@pytest.mark.django_db
def test_model_quality_groups_hold_thirty_labels_each_and_are_weighted(defaults: None, rep: Any) -> None:
    for i in range(90):
        lead = Lead.objects.create(external_id=f"Q{i}")
        won = i % 3 == 0 if i < 60 else i % 3 != 0
        Label.objects.create(
            lead=lead,
            outcome="converted" if won else "not_converted",
            user=rep,
            score_seen=i / 100,
            propensity=0.1 if won else 0.2,
        )

    quality = model_quality()

    assert [row["n"] for row in quality["calibration"]] == [30, 30, 30]
    # Group 1 holds the highest scores, as the gain table's group 1 does.
    assert [row["high"] for row in quality["calibration"]] == [0.89, 0.59, 0.29]
    # Lowest group, last: 10 won (weight 10 each) and 20 lost (weight 5 each): half of the weight.
    assert quality["calibration"][-1]["actual"] == pytest.approx(0.5)
    assert quality["calibration"][-1]["interval"].n == 30
    assert quality["calibration"][-1]["interval"].hits == 10  # the interval is the group's own
    assert quality["calibration"][0]["interval"].hits == 20
    assert len(quality["gain"]) == 3


@pytest.mark.django_db
def test_the_learning_curve_holds_the_versions_trained_by_the_period_end(team: Any) -> None:
    for version, labels, auc, status in ((1, 40, 0.70, "retired"), (2, 80, 0.78, "active"), (3, 60, 0.74, "rejected")):
        ModelVersion.objects.create(
            version=version, labels=labels, estimator="x", artifact=b"", status=status, metrics={"roc_auc": auc}
        )
    ModelVersion.objects.update(created_at=datetime(2026, 11, 20, tzinfo=UTC))
    ModelVersion.objects.filter(version=2).update(created_at=datetime(2026, 12, 5, tzinfo=UTC))

    quality = model_quality(until=datetime(2026, 12, 1, tzinfo=UTC))

    assert [(v.labels, v.metrics["roc_auc"]) for v in quality["history"]] == [(40, 0.70), (60, 0.74)]
    assert quality["active"].version == 2


@pytest.mark.django_db
def test_disagreements_obey_the_period(team: Any) -> None:
    october = disagreements(filters=OCTOBER)
    autumn = disagreements(filters=AUTUMN)

    assert ids(october["lost_high"]) == ["L3"] and october["won_low"] == []
    assert ids(autumn["won_low"]) == ["L5"]
    assert [(r["reason__code"], r["n"]) for r in autumn["lost_high_reasons"]] == [("no_budget", 1)]


@pytest.mark.django_db
def test_team_labels_per_rep_per_day_median_time_and_skip_rate(team: Any) -> None:
    Lead.objects.create(external_id="OPEN1")
    held = Lead.objects.create(external_id="OPEN2")
    from django.utils import timezone

    Lease.objects.create(
        lead=held,
        user=team["rep1"],
        leased_at=timezone.now(),
        expires_at=timezone.now() + timezone.timedelta(minutes=5),
    )

    result = select_team(since=date(2026, 11, 1), until=date(2026, 11, 4))

    assert result["grid"] == {"rep2": [0, 1, 1, 0]}
    per_rep = {r["rep"]: r for r in result["per_rep"]}
    assert (per_rep["rep1"]["labels"], per_rep["rep1"]["skips"], per_rep["rep1"]["skip_rate"]) == (0, 2, 1.0)
    assert per_rep["rep1"]["median_seconds"] is None
    assert (per_rep["rep2"]["labels"], per_rep["rep2"]["skips"]) == (2, 1)
    assert per_rep["rep2"]["skip_rate"] == pytest.approx(1 / 3)
    assert per_rep["rep2"]["median_seconds"] == 9.0
    assert (result["queue_free"], result["leased"]) == (1, 1)


@pytest.mark.django_db
def test_median_seconds_over_a_longer_window(team: Any) -> None:
    per_rep = {r["rep"]: r for r in select_team(since=date(2026, 10, 1), until=date(2026, 11, 4))["per_rep"]}

    assert per_rep["rep1"]["median_seconds"] == 3.0
    assert per_rep["rep2"]["median_seconds"] == 8.0


@pytest.mark.django_db
def test_a_retired_reason_gets_a_matrix_column_only_while_labels_of_the_period_carry_it(team: Any) -> None:
    Reason.objects.filter(code__in=["no_budget", "unresponsive"]).update(active=False)  # L3, L4 carry no_budget

    autumn = reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry")
    spring = reason_matrix(
        filters=LabelFilters(start=date(2026, 3, 1), end=date(2026, 4, 1)), outcome="not_converted", segment="industry"
    )

    codes = [code for code, _ in autumn.reasons]
    assert "unresponsive" not in codes and "bad_timing" in codes  # active reasons keep their columns, even empty
    assert ("no_budget", "No budget (retired)") in autumn.reasons
    assert "no_budget" not in [code for code, _ in spring.reasons]
    assert all(len(row.cells) == len(autumn.reasons) for row in [*autumn.rows, autumn.total])


@pytest.mark.django_db
def test_the_headline_names_a_reason_given_and_counts_the_labels_without_one_apart(team: Any) -> None:
    Label.objects.filter(lead__external_id__in=["L3", "L6"]).update(reason=None)  # L4 keeps no_budget
    history = LabelFilters(start=AUTUMN.start, end=AUTUMN.end, history=True)

    headline = matrix_headline(reason_matrix(filters=history, outcome="not_converted", segment="industry"))

    assert headline is not None
    assert (headline["count"], headline["top_reason"], headline["top_n"]) == (3, "No budget", 1)
    assert headline["no_reason_n"] == 2
    assert ids(labels_drilldown(filters=filters_of(headline["no_reason_query"]))) == ["L3", "L6"]
    assert (headline["cell_reason"], headline["row"].label) == ("No budget", "retail")


@pytest.mark.django_db
def test_a_headline_over_labels_without_reasons_names_no_reason(team: Any) -> None:
    Label.objects.filter(outcome="not_converted").update(reason=None)
    history = LabelFilters(start=AUTUMN.start, end=AUTUMN.end, history=True)

    headline = matrix_headline(reason_matrix(filters=history, outcome="not_converted", segment="industry"))

    assert headline is not None
    assert (headline["top_n"], headline["top_reason"], headline["no_reason_n"]) == (0, "", 3)
    assert headline["cell"] is None


@pytest.mark.parametrize(
    ("segment", "key", "words"),
    [
        ("industry", "retail", "in retail"),
        ("country", "DE", "in DE"),
        ("source", "referral", "from source referral"),
        ("rep", "sam", "for rep sam"),
        ("rep", "-", "among imported labels (no rep)"),
        ("band", "80-100", "at score 80–100%"),
        ("band", "-", "with no score seen"),
        ("industry", "-", "with no industry"),
    ],
)
def test_a_segment_reads_as_the_end_of_a_sentence(segment: str, key: str, words: str) -> None:
    assert segment_phrase(segment, key) == words


@pytest.mark.django_db
def test_the_headlines_top_reason_is_the_top_weighted_share_as_the_all_row_ranks_it(make_leads: Any, rep: Any) -> None:
    """Three "no budget" labels the queue asked about readily (propensity 0.5) against two "went
    silent" ones it seldom drew (0.02): by count no budget leads, by weighted share went silent."""
    leads = list(Lead.objects.filter(external_id__in=make_leads(5)).order_by("external_id"))
    at = datetime(2026, 10, 10, 12, tzinfo=UTC)
    for lead, (code, propensity) in zip(leads, [("no_budget", 0.5)] * 3 + [("unresponsive", 0.02)] * 2, strict=True):
        Label.objects.create(
            lead=lead,
            outcome="not_converted",
            reason=Reason.objects.get(code=code),
            user=rep,
            propensity=propensity,
            outcome_at=at,
        )

    matrix = reason_matrix(filters=OCTOBER, outcome="not_converted", segment="industry")
    headline = matrix_headline(matrix)

    shares = {cell.reason: cell.share.value for cell in matrix.total.cells if cell.n}
    assert shares["unresponsive"] > shares["no_budget"]
    assert headline is not None and (headline["top_reason"], headline["top_n"]) == ("Went silent", 2)


@pytest.mark.django_db
def test_the_quality_tiles_give_each_figure_its_labels_and_interval(manager: Any, page_for: Any) -> None:
    metrics = {"roc_auc": 0.8, "precision": 0.75, "recall": 0.6, "accuracy": 0.8, "brier": 0.15, "threshold": 0.5}
    metrics |= {"n": 200, "positives": 50, "called_hot": 40}
    ModelVersion.objects.create(version=1, labels=200, estimator="x", artifact=b"", status="active", metrics=metrics)

    text = page_for(manager).get("/dashboards/").content.decode()

    assert 'precision <span class="ci"' in text and "· n=40</span>" in text  # precision stands on the 40 called hot
    assert "· n=50</span>" in text and "· n=200</span>" in text  # recall on the converted, accuracy on all


@pytest.mark.django_db
def test_a_manager_sees_how_the_queue_draws_its_picks(manager: Any, page_for: Any) -> None:
    text = page_for(manager).get("/dashboards/").content.decode()

    assert '<div id="queue-mix">' in text and "How the next pick is drawn: random" in text
    assert "In plain words: <em>random</em> picks any open lead alike" in text  # what each strategy does
    assert page_for(manager).get("/settings/").status_code == 403  # the settings stay the admins'


def lost(rep: Any, industry: str, reason: str, n: int) -> None:
    for _ in range(n):
        lead = Lead.objects.create(external_id=f"{industry}-{reason}-{Lead.objects.count()}", industry=industry)
        label = Label.objects.create(
            lead=lead, outcome="not_converted", reason=Reason.objects.get(code=reason), user=rep
        )
        when = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
        Label.objects.filter(pk=label.pk).update(created_at=when, outcome_at=when)


@pytest.mark.django_db
def test_the_headline_says_where_the_top_reason_gathers(defaults: None, rep: Any, manager: Any, page_for: Any) -> None:
    lost(rep, "manufacturing", "competitor", 4)
    lost(rep, "retail", "competitor", 2)
    lost(rep, "energy", "competitor", 2)
    lost(rep, "retail", "no_budget", 5)  # the biggest single spot: no budget in retail

    headline = matrix_headline(reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry"))

    assert headline is not None and headline["top_reason"] == "Chose a competitor"
    assert (headline["top_where"], headline["top_cell"].n) == ("in manufacturing", 4)
    assert (headline["cell_reason"], headline["where"]) == ("No budget", "in retail")
    text = page_for(manager).get("/dashboards/", {"period": "custom", "start": "2026-10-01", "end": "2026-11-30"})
    assert "the most <a" in text.content.decode() and ">in manufacturing</a> (4)" in text.content.decode()


@pytest.mark.django_db
def test_a_top_reason_split_evenly_or_already_the_biggest_spot_names_no_segment(defaults: None, rep: Any) -> None:
    lost(rep, "manufacturing", "competitor", 3)
    lost(rep, "retail", "competitor", 3)
    even = matrix_headline(reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry"))
    lost(rep, "manufacturing", "competitor", 1)
    said = matrix_headline(reason_matrix(filters=AUTUMN, outcome="not_converted", segment="industry"))

    assert even is not None and even["top_cell"] is None and even["top_where"] == ""
    assert said is not None and said["where"] == "in manufacturing" and said["top_cell"] is None


@pytest.mark.django_db
def test_a_week_the_period_cuts_is_named_by_its_days_in_the_period(defaults: None, rep: Any) -> None:
    lost(rep, "retail", "no_budget", 2)  # on Tuesday 20 Oct 2026
    cut = LabelFilters(start=date(2026, 10, 20), end=date(2026, 11, 1))
    whole = LabelFilters(start=date(2026, 10, 19), end=date(2026, 11, 2))

    [week] = reason_mix(filters=cut, outcome="not_converted", by="week")
    [full] = reason_mix(filters=whole, outcome="not_converted", by="week")

    assert week.label == "20–25 Oct"  # Tue-Sun of the week of 19 Oct: the period starts on Tuesday
    assert full.label == "week of 19 Oct"


@pytest.mark.django_db
def test_refused_choices_are_named_and_the_form_shows_what_the_page_used_instead(manager: Any, page_for: Any) -> None:
    html = (
        page_for(manager)
        .get("/dashboards/", {"period": "yesterday", "outcome": "maybe", "segment": "zodiac", "history": "lots"})
        .content.decode()
    )

    for name in ("period", "outcome", "segment", "history"):
        assert re.search(rf"{name}: [^<]*", html), name  # each refused field is named
    assert '<option value="30d" selected>' in html  # the last 30 days, which the page shows
    assert '<option value="not_converted" selected>' in html and '<option value="industry" selected>' in html
    assert not re.search(r'<input type="checkbox" name="history"[^>]*checked', html)  # history left out, as shown


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1", "on", "true"])
def test_history_is_included_by_what_a_checkbox_or_a_link_sends(value: str, manager: Any, page_for: Any) -> None:
    html = page_for(manager).get("/dashboards/", {"history": value}).content.decode()

    assert re.search(r'<input type="checkbox" name="history"[^>]*checked', html)
