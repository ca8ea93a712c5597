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
    return html.split('id="why-bought"')[1].split("</div>")[0]


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
        {**METRICS, "without_reasons": without, "reason_trust": trust, "field_weights": weights, "reason_strength": 4.0}
    )

    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "ROC AUC 0.810 0.770 +0.040 better" in shown
    assert "recall 0.600 0.650 -0.050 worse" in shown
    assert "Brier score 0.180 0.200 +0.020 better" in shown  # lower is better
    assert "precision 0.700 0.700 0.000 same" in shown
    assert "the strength the held-out outcomes chose (now 4)" in shown
    assert "No budget not converted 80% 3.20 deal value (0.90), employees (not measured)" in shown
    assert "Poor fit not converted 25% 1.00 industry (not measured)" in shown
    assert "Bad timing not converted not measured not measured recent activity" in shown


@pytest.mark.django_db
def test_trusted_reasons_carry_no_weight_when_the_plain_model_won(manager: Any, page_for: Any) -> None:
    metrics = {**METRICS, "without_reasons": METRICS, "reason_trust": {"no_budget": 1.0}, "reason_strength": 0.0}
    active({**metrics, "field_weights": {"deal_value": 0.0}})

    shown = text(section(page_for(manager).get("/dashboards/").content.decode()))

    assert "the plain model won, the reasons carry no weight" in shown
    assert "No budget not converted 100% 0.00 deal value (0.00)" in shown


@pytest.mark.django_db
def test_a_metric_missing_on_one_side_is_left_out(defaults: None) -> None:
    bought = why_bought({"roc_auc": 0.8, "precision": 0.5, "without_reasons": {"roc_auc": 0.75}})

    assert [row["key"] for row in bought["metrics"]] == ["roc_auc"]
    assert bought["measured"] and not bought["trust_measured"]
    assert [row["reason"].code for row in bought["reasons"]] == list(
        Reason.objects.filter(active=True).values_list("code", flat=True)
    )
