"""News from the leads app, for the apps above it (receivers connect in their ``apps.py``).

``outcomes_imported`` is sent inside an import's transaction with ``outcomes`` (lead id ->
outcome) and ``outcome_dates`` (lead id -> when the outcome happened, where the import said); a
receiver returns an ``OutcomesTaken``: how many labels it recorded, and how many outcomes it left
out because a rep's label on the lead says otherwise. ``outcomes_withdrawn`` is sent inside an import's
transaction with ``lead_ids``: leads the import says are still open (an open value in the outcome
column); a receiver withdraws an outcome an earlier import gave them and returns how many.
``leads_imported`` is sent when an import (from a file, the API or the demo) stored rows, with
``kind``: ``leads`` or ``activities``.
"""

from typing import NamedTuple

from django.dispatch import Signal


class OutcomesTaken(NamedTuple):
    recorded: int  # labels recorded or updated
    overruled: int  # outcomes left out: a rep labeled the lead otherwise, and a rep's label stands


outcomes_imported = Signal()
outcomes_withdrawn = Signal()
leads_imported = Signal()
