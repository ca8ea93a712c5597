"""The learning app's answers to news from the apps below it (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from learning.services.workers import labels_changed, rescore_requested


def on_labels_changed(sender: Any, **kwargs: Any) -> None:
    """Labels were added or removed: count them, learn after commit."""
    labels_changed()


def on_leads_imported(sender: Any, **kwargs: Any) -> None:
    """An import stored leads or activities: rescore every open lead."""
    rescore_requested()
