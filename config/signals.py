"""News from the config app, for the apps above it (receivers connect in their ``apps.py``)."""

from django.dispatch import Signal

# Sent inside the transaction that deactivates a user (``user=``): their work goes back to the team.
user_deactivated = Signal()
