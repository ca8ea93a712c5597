"""Model versions are listed in the order they were trained, not by how many labels they learned
from: after an undone label v10 may know fewer labels than v9, and still comes after it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from learning.models import ModelVersion
from learning.selectors import model_quality

LABELS = {8: 831, 9: 832, 10: 831, 11: 830}
METRICS = {"roc_auc": 0.81, "precision": 0.70, "recall": 0.60, "accuracy": 0.75, "brier": 0.18, "threshold": 0.5}


@pytest.fixture
def versions(defaults: None) -> None:
    for version, labels in LABELS.items():
        status = "active" if version == 11 else "retired"
        ModelVersion.objects.create(
            version=version, labels=labels, estimator="x", artifact=b"", status=status, metrics=METRICS
        )


def version_column(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<tr[^>]*>\s*<td>v(\d+)</td>", html)]


@pytest.mark.django_db
def test_the_learning_curve_follows_the_versions_in_order(versions: None) -> None:
    assert [v.version for v in model_quality()["history"]] == [8, 9, 10, 11]


@pytest.mark.django_db
def test_the_dashboards_table_of_versions_reads_in_version_order(versions: None, manager: Any, page_for: Any) -> None:
    html = page_for(manager).get("/dashboards/").content.decode()

    table = html.split("Table: every model version")[1].split("</table>")[0]
    assert version_column(table) == [8, 9, 10, 11]


@pytest.mark.django_db
def test_the_settings_table_of_versions_reads_newest_first(versions: None, admin: Any, page_for: Any) -> None:
    html = page_for(admin).get("/settings/").content.decode()

    assert version_column(html.split('id="models"')[1].split("</table>")[0]) == [11, 10, 9, 8]


@pytest.mark.django_db
def test_the_learning_curves_scale_reads_in_tenths(versions: None, manager: Any, page_for: Any) -> None:
    html = page_for(manager).get("/dashboards/").content.decode()

    chart = html.split("Learning curve: held-out metrics")[-1].split("</svg>")[0]  # the chart's own label is last
    ticks = re.findall(r'text-anchor="end"[^>]*>([\d.]+)</text>', chart)
    assert ticks == ["0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]  # not 0.62 and 0.88


@pytest.mark.django_db
def test_the_dashboards_learning_curve_says_why_a_later_version_can_read_lower(
    versions: None, manager: Any, page_for: Any
) -> None:
    html = page_for(manager).get("/dashboards/").content.decode()

    note = html.split('id="curve-note">')[1].split("</p>")[0]
    assert "a later version, measured on more and harder labels (or a new threshold), can read lower" in note
