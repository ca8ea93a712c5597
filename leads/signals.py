"""News from the leads app, for the apps above it (receivers connect in their ``apps.py``).

``outcomes_imported`` is sent inside an import's transaction with ``outcomes`` (lead id ->
outcome) and ``outcome_dates`` (lead id -> when the outcome happened, where the import said); a
receiver returns how many labels it recorded. ``outcomes_withdrawn`` is sent inside an import's
transaction with ``lead_ids``: leads the import says are still open (an open value in the outcome
column); a receiver withdraws an outcome an earlier import gave them and returns how many.
``leads_imported`` is sent when an import (from a file, the API or the demo) stored rows, with
``kind``: ``leads`` or ``activities``.
"""

from django.dispatch import Signal

outcomes_imported = Signal()
outcomes_withdrawn = Signal()
leads_imported = Signal()
