"""The model-quality dashboard shows what the why bought: metrics with and without the reasons,
and per reason the fields it points at with the weight they carry now."""

from __future__ import annotations

import re
from typing import Any

import pytest

from feedback.models import Reason
from learning.models import ModelVersion
from learning.why import why_bought

METRICS = {"roc_auc": 0.81, "precision": 0.70, "recall": 0.60, "accuracy": 0.75, "brier": 0.18, "threshold": 0.5}


def active(metrics: dict[str, Any]) -> ModelVersion:
    return ModelVersion.objects.create(
        version=1, labels=120, estimator="x", artifact=b"", status="active", metrics=metrics
    )


def section(html: str) -> str:
    return html.split('id="why-bought"')[1].split('<p class="note-box')[0]  # up to the next part of the section


def text(html: str) -> str:
    return re.sub(r"\s+([,)])", r"\1", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.django_db
def test_without_an_ablation_it_says_not_measured_yet(manager: Any, page_for: Any) -> None:
    active(METRICS)

    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "Not measured yet" in shown
    assert "How much weight each reason and field carries: not measured yet" in shown
    assert "No budget not converted deal value, employees, revenue, annual revenue" in shown


@pytest.mark.django_db
def test_without_any_model_it_says_not_measured_yet(manager: Any, page_for: Any) -> None:
    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "Not measured yet" in shown and "there is no active model" in shown


@pytest.mark.django_db
def test_the_difference_with_and_without_the_reasons_and_the_weights_now(manager: Any, page_for: Any) -> None:
    without = {**METRICS, "roc_auc": 0.77, "recall": 0.65, "brier": 0.20}
    trust = {"no_budget": 0.8, "poor_fit": 0.25}
    weights = {"deal_value": 0.9}
    active(
        {
            **METRICS,
            "without_reasons": without,
            "reason_trust": trust,
            "reason_labels": {"no_budget": 1234},
            "field_weights": weights,
            "reason_strength": 4.0,
        }
    )

    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "ROC AUC 0.810 0.770 +0.040 better" in shown
    assert "recall 0.600 0.650 -0.050 worse" in shown
    assert "Brier score (lower is better) 0.180 0.200 +0.020 better" in shown
    assert "precision 0.700 0.700 0.000 same" in shown
    assert "the strength the held-out outcomes chose (now 4)" in shown
    assert "No budget not converted 1,234 80% 3.20 deal value (0.90), employees (not measured)" in shown
    assert "Poor fit not converted 0 25% 1.00 industry (not measured)" in shown
    assert "Bad timing not converted 0 not measured not measured recent activity" in shown


@pytest.mark.django_db
def test_each_difference_shows_its_standard_error_and_a_difference_within_it_is_a_tie(
    manager: Any, page_for: Any
) -> None:
    without = {**METRICS, "roc_auc": 0.77, "precision": 0.694, "recall": 0.603, "brier": 0.20}
    errors = {"roc_auc": 0.0121, "precision": 0.0084, "recall": 0.0042, "accuracy": 0.0, "brier": 0.0049}
    active({**METRICS, "without_reasons": without, "reasons_difference_se": errors})

    html = section(page_for(manager).get("/dashboards/").content.decode())
    shown = text(html)

    assert "Gain from the reasons ± s.e." in shown
    assert "ROC AUC 0.810 0.770 +0.040 ± 0.012 better" in shown
    assert "precision 0.700 0.694 +0.006 ± 0.008 no clear difference" in shown  # within 1.96 s.e.: a tie
    assert "recall 0.600 0.603 -0.003 ± 0.004 no clear difference" in shown
    assert "accuracy 0.750 0.750 0.000 ± 0.000 same" in shown
    assert "Brier score (lower is better) 0.180 0.200 +0.020 ± 0.005 better" in shown
    assert "A difference within 1.96 standard errors (its 95% interval holds 0) reads “no clear difference”" in shown
    assert "no clear difference</td>" in html and 'class="num">+0.006' in html  # a tie is neither green nor red


@pytest.mark.django_db
def test_a_version_trained_before_the_standard_errors_shows_no_interval(manager: Any, page_for: Any) -> None:
    active({**METRICS, "without_reasons": {**METRICS, "roc_auc": 0.805}})

    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "ROC AUC 0.810 0.805 +0.005 better" in shown
    assert "±" not in shown and "no clear difference" not in shown
    assert "trained before the differences' standard errors were recorded: no interval" in shown


@pytest.mark.django_db
def test_a_difference_within_its_95_percent_interval_is_a_tie_and_one_beyond_it_is_not(defaults: None) -> None:
    without = {"roc_auc": 0.796, "precision": 0.5, "recall": 0.6, "brier": 0.2}
    errors = {"roc_auc": 0.0041, "precision": 0.0, "recall": 0.004, "brier": 0.00449}
    bought = why_bought(
        {"roc_auc": 0.8, "precision": 0.5, "recall": 0.607, "brier": 0.191, "without_reasons": without}
        | {"reasons_difference_se": errors}
    )

    verdicts = {row["key"]: (row["gain"], row["se"], row["verdict"]) for row in bought["metrics"]}
    assert verdicts["roc_auc"] == (0.004, 0.004, "no clear difference")  # one s.e.
    assert verdicts["recall"] == (0.007, 0.004, "no clear difference")  # 1.75 s.e. (it read "better" before)
    assert verdicts["precision"] == (0.0, 0.0, "same")
    assert verdicts["brier"] == (0.009, 0.004, "better")  # 2.25 s.e.


@pytest.mark.django_db
def test_trusted_reasons_carry_no_weight_when_the_plain_model_won(manager: Any, page_for: Any) -> None:
    metrics = {**METRICS, "without_reasons": METRICS, "reason_trust": {"no_budget": 1.0}, "reason_strength": 0.0}
    active({**metrics, "field_weights": {"deal_value": 0.0}})

    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "the plain model won, the reasons carry no weight" in shown
    assert "No budget not converted — 100% 0.00 deal value (0.00)" in shown


@pytest.mark.django_db
def test_a_metric_missing_on_one_side_is_left_out(defaults: None) -> None:
    bought = why_bought({"roc_auc": 0.8, "precision": 0.5, "without_reasons": {"roc_auc": 0.75}})

    assert [row["key"] for row in bought["metrics"]] == ["roc_auc"]
    assert bought["measured"] and not bought["trust_measured"]
    assert [row["reason"].code for row in bought["reasons"]] == list(
        Reason.objects.filter(active=True).values_list("code", flat=True)
    )
