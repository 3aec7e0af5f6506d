"""Signals the base floor sends for the floors above to act on (the audit log listens)."""

from django.dispatch import Signal

# Sent for every 401/403 answered by the REST API or a plain view:
# ``request`` (the HttpRequest), ``status`` (401 or 403), ``reason`` (the message shown).
access_denied = Signal()

# Sent once at the end of a request whose response showed personal data unmasked (a lead's phone
# to an officer): ``request``, ``shown`` ({object type: {"ids": [...], "fields": [...]}}).
personal_data_shown = Signal()

# Sent when an overlay-check finding is verified on review (核实), in its transaction:
# ``finding`` (spatial.Finding), ``user`` (the reviewer). Grid governance files it as an event.
finding_verified = Signal()
