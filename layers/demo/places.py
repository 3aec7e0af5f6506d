"""组织场所 of the demo city: a few in every grid cell, of every class, with business attributes
that fit their class's schema (made from the schema itself, so a class edited in the admin still
gets valid demo values), tags, a risk level and a responsible person."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import Point

from layers import models as m
from layers.derivation import derive_many

from .city import person_name, phone_number

RISK_WEIGHTS = {"low": 0.6, "general": 0.25, "high": 0.12, "major": 0.03}


def _value(spec: dict[str, Any], rng: np.random.Generator) -> Any:
    if "enum" in spec:
        return str(rng.choice(spec["enum"]))
    kind = spec.get("type")
    if kind == "integer":
        return int(rng.integers(max(spec.get("minimum", 0), 0), 200))
    if kind == "number":
        return round(float(rng.uniform(max(spec.get("minimum", 0), 0), 5000)), 1)
    if kind == "boolean":
        return bool(rng.random() < 0.5)
    return f"9144530{int(rng.integers(0, 10**11)):011d}"  # strings: a licence-like number


def _attributes(schema: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    return {name: _value(spec, rng) for name, spec in schema.get("properties", {}).items()}


def places(scale: float, seed: int) -> list[m.Place]:
    """About 4 places per grid cell (at least one), with their derived fields filled."""
    rng = np.random.default_rng([seed, 41])
    classes = list(m.PlaceClass.objects.filter(parent__isnull=False, active=True).select_related("parent"))
    tags = list(m.PlaceTag.objects.values_list("key", flat=True))
    if not classes:
        return []
    made: list[m.Place] = []
    for cell in m.GridCell.objects.filter(parent__isnull=True).order_by("code"):
        shape = shapely.from_wkb(bytes(cell.geom.wkb))
        x0, y0, x1, y1 = shape.bounds
        for n in range(max(1, int(rng.poisson(4 * min(scale * 20, 1.0))))):
            for _try in range(20):
                x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
                if shapely.contains_xy(shape, x, y):
                    break
            else:
                x, y = shape.representative_point().x, shape.representative_point().y
            cls = classes[int(rng.integers(0, len(classes)))]
            made.append(
                m.Place(
                    name=f"{cell.name}{cls.name_zh}{n + 1}号",
                    place_class=cls,
                    tags=sorted(set(rng.choice(tags, size=int(rng.integers(0, 3))).tolist())) if tags else [],
                    attributes=_attributes(cls.schema(), rng),
                    risk_level=str(rng.choice(list(RISK_WEIGHTS), p=list(RISK_WEIGHTS.values()))),
                    address=f"{cell.name}{int(rng.integers(1, 99))}号",
                    responsible_name=person_name(rng),
                    responsible_phone=phone_number(rng),
                    geom=Point(float(x), float(y), srid=4326),
                )
            )
    derive_many(made)
    return made
