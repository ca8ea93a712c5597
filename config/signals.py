"""News from the config app, for the apps above it (receivers connect in their ``apps.py``)."""

from django.dispatch import Signal

# Sent inside the transaction that stops a user working the queue (``user=``): deactivated, or given
# a role that does not label. Their leased leads go back to the team.
user_left_queue = Signal()
