"""The feedback app's answers to news from the apps below it (connected in ``apps.py``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from feedback.services import labels_import, labels_import_withdraw, leases_release
from leads.signals import OutcomesTaken


def on_outcomes_imported(
    sender: Any, *, outcomes: Mapping[int, str], outcome_dates: Mapping[int, datetime] | None = None, **kwargs: Any
) -> OutcomesTaken:
    """Historical outcomes came with an import: record them as labels (dated where the import said
    when); returns how many, and how many a rep's label on the lead overrules."""
    return labels_import(outcomes=outcomes, outcome_dates=outcome_dates)


def on_outcomes_withdrawn(sender: Any, *, lead_ids: Collection[int], **kwargs: Any) -> int:
    """An import says these leads are still open: an outcome an earlier import gave them is withdrawn
    (a rep's label stands); returns how many."""
    return labels_import_withdraw(lead_ids=lead_ids)


def on_user_left_queue(sender: Any, *, user: User, **kwargs: Any) -> int:
    """A user may no longer work the queue (deactivated, or a role that does not label): the leads
    leased to them go back to it at once, not when their leases run out; returns how many."""
    return leases_release(user=user)
