"""News from the leads app, for the apps above it (receivers connect in their ``apps.py``).

``outcomes_imported`` is sent inside an import's transaction with ``outcomes`` (lead id ->
outcome) and ``outcome_dates`` (lead id -> when the outcome happened, where the import said); a
receiver returns how many labels it recorded. ``leads_imported`` is sent when an
import (leads or activities, from a file, the API or the demo) stored rows.
"""

from django.dispatch import Signal

outcomes_imported = Signal()
leads_imported = Signal()
