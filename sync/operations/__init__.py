"""The operation handlers, one module per concern; importing them fills ``sync.registry.HANDLERS``."""

from . import events, field_points, patrols

__all__ = ["events", "field_points", "patrols"]
