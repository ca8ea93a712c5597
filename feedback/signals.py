"""News from the feedback app, for the apps above it (receivers connect in their ``apps.py``)."""

from django.dispatch import Signal

# Sent inside the transaction that adds or removes labels (a submit, an undo, an import).
labels_changed = Signal()
