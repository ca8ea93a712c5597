"""Writes of the feedback loop, by concern: labels, undo, the queue and skips, the reason taxonomy."""

from feedback.services.labels import (
    MAX_FIELDS,
    MAX_NOTE,
    LabelError,
    LabelResult,
    checked_fields,
    label_submit,
    labels_import,
    labels_import_withdraw,
)
from feedback.services.queue import CLAIM_ATTEMPTS, lead_skip, lease_next_leads, leases_release
from feedback.services.reasons import (
    reason_add,
    reason_add_from_notes,
    reason_create,
    reason_file_labels,
    reason_rename,
    reason_set_active,
    reason_set_fields,
)
from feedback.services.undo import UNDO_WINDOW, Undone, label_undo, last_action_undo

__all__ = [
    "CLAIM_ATTEMPTS",
    "MAX_FIELDS",
    "MAX_NOTE",
    "UNDO_WINDOW",
    "LabelError",
    "LabelResult",
    "Undone",
    "checked_fields",
    "label_submit",
    "label_undo",
    "labels_import",
    "labels_import_withdraw",
    "last_action_undo",
    "lead_skip",
    "lease_next_leads",
    "leases_release",
    "reason_add",
    "reason_add_from_notes",
    "reason_create",
    "reason_file_labels",
    "reason_rename",
    "reason_set_active",
    "reason_set_fields",
]
