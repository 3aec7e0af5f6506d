"""Search (``/api/search/``): one ranked list across the layers, of what the user may see.

An investor types a park's exact name, a county or "高速" and expects that first. So the hits of
every layer go into one list ranked, best first, by:

1. **how the text matches:** the whole name (Chinese or English, so "Xinxing" finds 新兴县) or
   code, then its start, then anywhere in the name or code, and only then an address or a
   category's name (in either language: "高速" finds the highway exits, whatever they are called);
2. **what it is:** the places people look for by name (divisions, parks), then the carriers
   (parcels, buildings), then amenities, organisations and the roads and rivers;
3. **the shorter name** (the closer match), then the layer and the id, so equal hits keep their
   order from one search to the next.

Each layer contributes at most ``limit`` candidates, already ranked by the database, so the
merged list needs no more than that from any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.gis.db.models.functions import Envelope, PointOnSurface
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Length
from django.utils import translation

from layers.models import DivisionLevel
from layers.registry import LAYERS
from policy.predicates import read_filter

DEFAULT_LIMIT = 8
MAX_LIMIT = 20


@dataclass(frozen=True)
class Searched:
    """How a layer is searched: the fields that name a record, the fields that only describe it,
    a field of choices whose labels count as a description, and where it ranks among layers."""

    names: tuple[str, ...]
    rank: int
    descriptions: tuple[str, ...] = ()
    labelled: str = ""


LAYER_SEARCH: dict[str, Searched] = {
    "divisions": Searched(names=("name", "name_en", "code"), rank=0),
    "parks": Searched(names=("name", "name_en"), rank=0),
    "parcels": Searched(names=("code", "name", "name_en"), rank=1),
    "buildings": Searched(names=("name", "name_en"), rank=1, labelled="kind"),
    "amenities": Searched(names=("name",), rank=2, descriptions=("address",), labelled="category"),
    "places": Searched(names=("name",), rank=2, descriptions=("address",)),
    # Roads, railways and rivers by name or route number (高速, G324): the map fits the line.
    "transport": Searched(names=("name", "name_en", "ref"), rank=2, labelled="kind"),
}
# The match qualities, best first (also returned with each hit as ``match``).
MATCHES = ("exact", "prefix", "name", "description")


def _labelled_values(model: type[models.Model], field: str, q: str) -> list[str]:
    """The choices of ``field`` whose label contains ``q`` in Chinese or in English."""
    choices = model._meta.get_field(field).choices or []
    found = []
    needle = q.casefold()
    for value, label in choices:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                if needle in str(label).casefold():
                    found.append(value)
                    break
    return found


def _quality(fields: tuple[str, ...], q: str) -> Case:
    def any_of(lookup: str) -> Q:
        return Q(*(Q(**{f"{f}__{lookup}": q}) for f in fields), _connector=Q.OR)

    return Case(
        When(any_of("iexact"), then=Value(0)),
        When(any_of("istartswith"), then=Value(1)),
        When(any_of("icontains"), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def _detail(layer: str, record: Any) -> dict[str, Any]:
    if layer == "amenities":
        return {"detail": record.address or record.get_category_display()}
    if layer == "places":
        return {"detail": record.address or record.get_risk_level_display()}
    if layer == "buildings":
        return {"detail": record.get_kind_display()}
    if layer == "parcels":
        return {"detail": record.get_land_use_display(), "area_mu": round(record.area_mu, 2)}
    if layer == "divisions":
        return {"detail": record.get_level_display(), "level": record.level}
    if layer == "parks":
        return {"detail": record.get_level_display()}
    if layer == "transport":
        return {"detail": record.get_kind_display()}
    return {}


def _candidates(user: Any, layer: str, q: str, limit: int) -> list[tuple[tuple, dict[str, Any]]]:
    spec, how = LAYERS[layer], LAYER_SEARCH[layer]
    match = Q(*(Q(**{f"{f}__icontains": q}) for f in (*how.names, *how.descriptions)), _connector=Q.OR)
    if how.labelled:
        values = _labelled_values(spec.model, how.labelled, q)
        if values:
            match |= Q(**{f"{how.labelled}__in": values})
    qs = spec.model.objects.filter(read_filter(user, spec)).filter(match)
    if layer == "divisions":
        qs = qs.exclude(level=DivisionLevel.VILLAGE)
    rows = qs.annotate(
        _quality=_quality(how.names, q),
        _length=Length("name"),
        _c=PointOnSurface("geom"),
        _e=Envelope("geom"),
    ).order_by("_quality", "_length", "id")[:limit]
    ranked = []
    for r in rows:
        item = {
            "layer": layer,
            "id": r.pk,
            "name": getattr(r, "name", "") or "",
            "name_en": getattr(r, "name_en", "") or "",
            "code": getattr(r, "code", "") or "",
            "center": [round(r._c.x, 6), round(r._c.y, 6)],
            "bbox": [round(v, 6) for v in r._e.extent],
            "match": MATCHES[r._quality],
            **_detail(layer, r),
        }
        ranked.append(((r._quality, how.rank, r._length or 0, list(LAYER_SEARCH).index(layer), r.pk), item))
    return ranked


def search(user: Any, q: str, layers: list[str], limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The ``limit`` best hits for ``q`` in ``layers`` that ``user`` may see, best first."""
    hits = [hit for layer in layers for hit in _candidates(user, layer, q, limit)]
    hits.sort(key=lambda hit: hit[0])
    return [item for _key, item in hits[:limit]]
