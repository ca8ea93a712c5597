"""'What the why bought' reads as it adds up: each difference is the one between the values shown."""

from __future__ import annotations

import re
from typing import Any

import pytest

from learning.models import ModelVersion
from learning.why import shown, why_bought

# The walkthrough's figures: precision 0.756 vs 0.749 read "+0.006", recall 0.745 vs 0.748 read "-0.002".
WITH = {"roc_auc": 0.8214, "precision": 0.7555, "recall": 0.7454, "accuracy": 0.7406, "brier": 0.1735}
WITHOUT = {"roc_auc": 0.8206, "precision": 0.7494, "recall": 0.7475, "accuracy": 0.7396, "brier": 0.1745}


def rows(metrics: dict[str, Any]) -> dict[str, float]:
    return {row["key"]: row["gain"] for row in why_bought(metrics)["metrics"]}


def test_shown_rounds_half_up_as_the_page_does() -> None:
    assert (shown(0.7555), shown(0.7454), shown(0.1745), shown(0.0005)) == (0.756, 0.745, 0.175, 0.001)


@pytest.mark.django_db
def test_each_difference_is_that_of_the_rounded_values_shown(defaults: None) -> None:
    gains = rows({**WITH, "without_reasons": WITHOUT})

    assert gains["precision"] == 0.007  # 0.756 - 0.749, not 0.0061 shown as 0.006
    assert gains["recall"] == -0.003  # 0.745 - 0.748, not -0.0021 shown as -0.002
    assert gains["roc_auc"] == 0.000  # 0.821 and 0.821 read the same
    assert gains["brier"] == 0.001  # lower is better: 0.175 without, 0.174 with


@pytest.mark.django_db
def test_the_dashboard_rows_add_up_as_read(manager: Any, page_for: Any) -> None:
    metrics = {**WITH, "without_reasons": WITHOUT, "threshold": 0.5}
    ModelVersion.objects.create(version=1, labels=832, estimator="x", artifact=b"", status="active", metrics=metrics)

    html = page_for(manager).get("/dashboards/").content.decode().split('id="why-bought"')[1].split("</table>")[0]
    shown_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    assert "precision 0.756 0.749 +0.007 better" in shown_text
    assert "recall 0.745 0.748 -0.003 worse" in shown_text
    assert "ROC AUC 0.821 0.821 0.000 same" in shown_text
