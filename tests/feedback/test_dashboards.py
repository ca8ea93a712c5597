"""Every dashboard figure against numbers worked out by hand on tests/feedback/dashboard_fixture.py."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest

from feedback.models import Lease
from feedback.selectors import LabelFilters, disagreements, labeled_scores, labels_drilldown, reason_counts, reason_mix
from feedback.selectors import team_activity as select_team
from leads.models import Lead
from learning.models import ModelVersion
from learning.selectors import model_quality
from tests.feedback.dashboard_fixture import build_team


@pytest.fixture
def team(rep: Any, rep2: Any, manager: Any) -> dict[str, Any]:
    users = {"rep1": rep, "rep2": rep2}
    build_team(users)
    return users


def ids(labels: list[Any]) -> list[str]:
    return sorted(label.lead.external_id for label in labels)


@pytest.mark.django_db
def test_reason_counts_and_shares_within_each_outcome(team: Any) -> None:
    rows = {(r["outcome"], r["reason__code"]): (r["n"], r["share"]) for r in reason_counts()}

    assert rows == {
        ("converted", "champion"): (2, pytest.approx(2 / 3)),
        ("converted", "budget_approved"): (1, pytest.approx(1 / 3)),
        ("not_converted", "no_budget"): (2, pytest.approx(2 / 3)),
        ("not_converted", "poor_fit"): (1, pytest.approx(1 / 3)),
    }


@pytest.mark.django_db
def test_reason_mix_per_month_counts_wins_and_shares(team: Any) -> None:
    october, november = reason_mix(by="month")

    assert (october.key, october.total, october.converted) == ("2026-10-01", 3, 2)
    assert october.win_rate == pytest.approx(2 / 3)
    assert {(c.reason, c.n, round(c.share, 3)) for c in october.cells} == {
        ("champion", 1, 0.333),
        ("budget_approved", 1, 0.333),
        ("no_budget", 1, 0.333),
    }
    assert (november.key, november.total, november.converted) == ("2026-11-01", 3, 1)


@pytest.mark.django_db
def test_reason_mix_per_week_starts_on_mondays(team: Any) -> None:
    weeks = reason_mix(by="week")

    assert [(b.key, b.total) for b in weeks] == [("2026-10-05", 2), ("2026-10-12", 1), ("2026-11-02", 3)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("industry", {"software": (2, 2), "retail": (2, 0), "logistics": (2, 1)}),
        ("source", {"referral": (3, 2), "outbound": (3, 1)}),
        ("country", {"DE": (3, 3), "FR": (2, 0), "US": (1, 0)}),
        ("rep", {"rep1": (2, 2), "rep2": (3, 1), "-": (1, 0)}),
        ("band", {"80-100": (2, 1), "60-80": (1, 1), "20-40": (1, 0), "0-20": (1, 1), "-": (1, 0)}),
    ],
)
def test_reason_mix_by_segment(team: Any, segment: str, expected: dict[str, tuple[int, int]]) -> None:
    buckets = reason_mix(by=segment)

    assert {b.key: (b.total, b.converted) for b in buckets} == expected


@pytest.mark.django_db
def test_score_bands_come_lowest_first_and_unscored_last(team: Any) -> None:
    assert [b.key for b in reason_mix(by="band")] == ["0-20", "20-40", "60-80", "80-100", "-"]


@pytest.mark.django_db
def test_every_bar_links_to_the_labels_behind_it(team: Any) -> None:
    october = reason_mix(by="month")[0]
    champion = next(c for c in october.cells if c.reason == "champion")

    assert champion.query == "outcome=converted&reason=champion&start=2026-10-01&end=2026-11-01"
    assert ids(
        labels_drilldown(
            filters=LabelFilters(outcome="converted", reason="champion", start=date(2026, 10, 1), end=date(2026, 11, 1))
        )
    ) == ["L1"]
    assert ids(labels_drilldown(filters=LabelFilters(start=date(2026, 10, 1), end=date(2026, 11, 1)))) == [
        "L1",
        "L2",
        "L3",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (LabelFilters(outcome="converted", reason="champion"), ["L1", "L5"]),
        (LabelFilters(industry="retail", outcome="not_converted"), ["L3", "L4"]),
        (LabelFilters(rep="-"), ["L6"]),
        (LabelFilters(rep="rep2", outcome="converted"), ["L5"]),
        (LabelFilters(band="80-100"), ["L1", "L3"]),
        (LabelFilters(band="-"), ["L6"]),
        (LabelFilters(country="DE", source="referral"), ["L1", "L5"]),
    ],
)
def test_drilldown_filters(team: Any, filters: LabelFilters, expected: list[str]) -> None:
    assert ids(labels_drilldown(filters=filters)) == expected


@pytest.mark.django_db
def test_the_drilldown_page_shows_the_leads_and_the_reps_notes(team: Any, manager: Any, page_for: Any) -> None:
    response = page_for(manager).get("/dashboards/reasons/", {"outcome": "converted", "reason": "champion"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "Company L1" in text and "Company L5" in text and "Company L3" not in text
    assert "Surprise win" in text
    assert "2 labels" in text


@pytest.mark.django_db
def test_labeled_scores_leave_out_labels_without_a_score(team: Any) -> None:
    y, p = labeled_scores()

    assert sorted(zip(p, y, strict=True)) == [(0.1, 1), (0.3, 0), (0.7, 1), (0.85, 0), (0.9, 1)]


@pytest.mark.django_db
def test_model_quality_from_the_scores_reps_saw(team: Any) -> None:
    quality = model_quality()  # hot threshold 0.5 by default

    # Hot: L1 .9, L2 .7, L3 .85 → 2 of 3 converted; 2 of the 3 conversions found.
    assert quality["seen"]["precision"] == pytest.approx(2 / 3)
    assert quality["seen"]["recall"] == pytest.approx(2 / 3)
    assert quality["seen"]["accuracy"] == pytest.approx(3 / 5)
    # Five labels, five one-label "deciles", lowest score first.
    assert [(r["predicted"], r["actual"]) for r in quality["calibration"]] == [
        (0.1, 1.0),
        (0.3, 0.0),
        (0.7, 1.0),
        (0.85, 0.0),
        (0.9, 1.0),
    ]
    # Best first: .9 (won), .85 (lost), .7 (won), .3 (lost), .1 (won); base rate 3/5.
    gain = quality["gain"]
    assert [round(r["gain"], 3) for r in gain] == [0.333, 0.333, 0.667, 0.667, 1.0]
    assert [round(r["share_of_leads"], 1) for r in gain] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert gain[0]["lift"] == pytest.approx(1 / 0.6)
    assert gain[1]["lift"] == 0.0


@pytest.mark.django_db
def test_the_learning_curve_follows_the_model_versions_by_labels(team: Any) -> None:
    for version, labels, auc, status in ((1, 40, 0.70, "retired"), (2, 80, 0.78, "active"), (3, 60, 0.74, "rejected")):
        ModelVersion.objects.create(
            version=version, labels=labels, estimator="x", artifact=b"", status=status, metrics={"roc_auc": auc}
        )

    quality = model_quality()

    assert [(v.labels, v.metrics["roc_auc"]) for v in quality["history"]] == [(40, 0.70), (60, 0.74), (80, 0.78)]
    assert quality["active"].version == 2


@pytest.mark.django_db
def test_disagreements_with_the_reasons_reps_gave(team: Any) -> None:
    found = disagreements()

    assert ids(found["won_low"]) == ["L5"]
    assert [(r["reason__code"], r["n"]) for r in found["won_low_reasons"]] == [("champion", 1)]
    assert ids(found["lost_high"]) == ["L3"]
    assert [(r["reason__code"], r["n"]) for r in found["lost_high_reasons"]] == [("no_budget", 1)]


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
def test_the_dashboard_page_draws_svg_charts_with_tables_and_links(team: Any, manager: Any, page_for: Any) -> None:
    response = page_for(manager).get("/dashboards/", {"period": "week", "segment": "band"})

    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("<svg") >= 8
    assert text.count("<details>") >= 6
    assert html.escape("/dashboards/reasons/?outcome=converted&reason=champion") in text
    assert "score each rep saw" in text
    assert "cdn" not in text.lower()
    assert "Surprise win" in text  # the disagreement table shows the rep's note


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"period": "month", "segment": "rep"}, {"segment": "nonsense", "days": "0"}])
def test_the_dashboard_page_answers_on_an_empty_database(manager: Any, page_for: Any, query: dict[str, str]) -> None:
    assert page_for(manager).get("/dashboards/", query).status_code == 200
