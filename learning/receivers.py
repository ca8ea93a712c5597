"""The learning app's answers to news from the apps below it (connected in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from learning.services.workers import labels_changed, rescore_requested


def on_labels_changed(sender: Any, **kwargs: Any) -> None:
    """Labels were added or removed: count them, learn after commit."""
    labels_changed()


def on_leads_imported(sender: Any, *, kind: str = "leads", **kwargs: Any) -> None:
    """An import stored leads or activities: rescore every open lead. New activity changes what the
    labeled leads look like too, so the model trains again first: until then it would weigh
    behaviour as it was before the events came in (imported on their own, they bring no label)."""
    rescore_requested(retrain=kind == "activities")
