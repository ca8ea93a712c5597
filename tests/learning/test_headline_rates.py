"""The model-quality tiles: each out-of-fold figure with the labels behind it and an interval."""

from __future__ import annotations

import pytest

from learning.selectors import headline_rates


def test_each_figure_has_its_own_sample_size_and_an_interval() -> None:
    metrics = {"precision": 0.75, "recall": 0.6, "accuracy": 0.8, "n": 200, "positives": 50, "called_hot": 40}

    rates = headline_rates(metrics)

    assert {name: rate.n for name, rate in rates.items()} == {"precision": 40, "recall": 50, "accuracy": 200}
    assert rates["precision"].value == pytest.approx(0.75)
    low, high = rates["precision"].low, rates["precision"].high
    assert low is not None and high is not None and 0.59 < low < 0.75 < high < 0.87  # Wilson on 30 of 40


def test_no_lead_called_hot_gives_no_precision_and_an_old_version_gives_no_interval() -> None:
    assert headline_rates({"precision": 0.0, "n": 50, "positives": 10, "called_hot": 0})["precision"].value is None
    assert "precision" not in headline_rates({"precision": 0.7, "n": 50, "positives": 10})  # stored before called_hot
    assert headline_rates(None) == {}
