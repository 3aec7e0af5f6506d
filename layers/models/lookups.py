"""Kept for older imports: the derivation of division, park, grid cell, area and length now lives in
``layers.derivation`` (one set-based implementation for save, ingest and the demo loader)."""

from layers.derivation import geodesic_area_m2, geodesic_length_m

__all__ = ["geodesic_area_m2", "geodesic_length_m"]
