"""The feedback app's answers to news from the leads app (connected in ``apps.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedback.services import labels_import


def on_outcomes_imported(sender: Any, *, outcomes: Mapping[int, str], **kwargs: Any) -> int:
    """Historical outcomes came with an import: record them as labels; returns how many."""
    return labels_import(outcomes=outcomes)
