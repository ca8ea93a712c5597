"""The feedback app's answers to news from the leads app (connected in ``apps.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feedback.services import labels_import


def on_outcomes_imported(
    sender: Any, *, outcomes: Mapping[int, str], outcome_dates: Mapping[int, datetime] | None = None, **kwargs: Any
) -> int:
    """Historical outcomes came with an import: record them as labels (dated where the import said
    when); returns how many."""
    return labels_import(outcomes=outcomes, outcome_dates=outcome_dates)
