"""Query-string filters for a layer: ``bbox``, ``division``, attribute filters and ``ordering``.

Every parameter is checked against the layer's declared filter fields and parsed by the model
field itself, so a typo is a 400 that names it and no client text ever reaches SQL as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.contrib.gis.geos import Polygon
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from layers.models import Division
from layers.models.divisions import LEVEL_ORDER, DivisionLevel
from layers.registry import LayerSpec

# Parameters that are not attribute filters.
RESERVED = frozenset({"bbox", "division", "ordering", "page", "page_size", "crs", "format", "lang"})
OPERATORS = frozenset({"in", "gte", "lte", "gt", "lt"})
ALWAYS_ORDERABLE = ("id", "created_at", "updated_at")


def parse_bbox(raw: str, name: str = "bbox") -> Polygon:
    try:
        minx, miny, maxx, maxy = (float(v) for v in raw.split(","))
    except ValueError:
        raise ValidationError({name: [_("bbox is four numbers: min_lon,min_lat,max_lon,max_lat.")]}) from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValidationError(
            {name: [_("bbox must satisfy -180 ≤ min_lon < max_lon ≤ 180 and -90 ≤ min_lat < max_lat ≤ 90.")]}
        )
    return Polygon.from_bbox((minx, miny, maxx, maxy))


def division_by_code(code: str, name: str = "division") -> Division:
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError({name: [_("unknown division code %(code)s.") % {"code": code}]})
    return division


@dataclass(frozen=True)
class LookedAt:
    """The division a report is about and the level of its rows (``rows``: one level below, the
    village itself at the bottom), and whether it was asked for or is the caller's own area."""

    division: Division | None
    rows: str
    asked: bool

    def children(self) -> list[tuple[str, str]]:
        """(code, name) of the divisions the rows are, in code order."""
        division = self.division
        if division is None:
            return []
        if division.level == self.rows:
            return [(division.code, division.name)]
        below = Division.objects.filter(level=self.rows, code__startswith=division.prefix)
        return list(below.order_by("code").values_list("code", "name"))


def looked_at(user: Any, code: str, name: str = "division") -> LookedAt:
    """A report's division: ``code`` when given (inside the caller's area, else a 403; unknown, a
    400 naming ``name``), or the caller's own area — their bound division, their cell's village,
    the city for those who see all of it."""
    from policy.scope import scope_of

    scope = scope_of(user)
    division: Division | None
    if code:
        division = division_by_code(code, name)
        if not (scope.everything or scope.contains(code) or code == scope.home_code):
            raise PermissionDenied(_("Reports cover your own area; choose a division within it."))
    elif scope.everything:
        division = Division.objects.filter(level=DivisionLevel.CITY).order_by("code").first()
    else:
        division = Division.objects.filter(code=scope.home_code).first() if scope.home_code else None
    level = division.level if division is not None else DivisionLevel.VILLAGE
    rows = LEVEL_ORDER[min(LEVEL_ORDER.index(DivisionLevel(level)) + 1, len(LEVEL_ORDER) - 1)]
    return LookedAt(division, rows, bool(code))


def _parse_value(field: Any, raw: str, param: str) -> Any:
    if field.is_relation:
        field = field.target_field
    if field.choices and raw not in {str(k) for k, _label in field.flatchoices}:
        allowed = ", ".join(str(k) for k, _label in field.flatchoices)
        raise ValidationError(
            {param: [_("%(value)s is not one of: %(allowed)s.") % {"value": raw, "allowed": allowed}]}
        )
    try:
        value = field.to_python(raw)
    except DjangoValidationError as exc:
        raise ValidationError({param: exc.messages}) from None
    _check_number(field, value, raw, param)
    return value


def _check_number(field: models.Field, value: object, raw: str, param: str) -> None:
    """Refuse a number the column cannot hold, before it reaches SQL.

    ``float("1e999999")`` is infinity and a float column compares with it (and with NaN) without
    complaint, so a typo silently matches everything or nothing. A decimal such as ``1E+999999``
    overflows PostgreSQL's numeric and used to come back as a 500. Decimals are held to the column's
    own digits, the one bound that is neither arbitrary nor wider than the data, and the message
    gives that range so the client can correct the value.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(
            {
                param: [
                    _(
                        "%(value)s is not a finite number (too large, infinite or NaN); "
                        "send an ordinary number such as 12.5."
                    )
                    % {"value": raw}
                ]
            }
        )
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        places = field.decimal_places
        limit = Decimal(10) ** (field.max_digits - places)
        # Checked in this order so that quantize() never sees a number too long for its context.
        if not (abs(value) < limit and value == value.quantize(Decimal(1).scaleb(-places))):
            raise ValidationError(
                {
                    param: [
                        _(
                            "%(value)s does not fit %(field)s; send a number between -%(max)s and "
                            "%(max)s with at most %(places)s decimal places."
                        )
                        % {
                            "value": raw,
                            "field": field.name,
                            "max": limit - Decimal(1).scaleb(-places),
                            "places": places,
                        }
                    ]
                }
            )


def attribute_filters(spec: LayerSpec, params: Mapping[str, str]) -> models.Q:
    q = models.Q()
    for param, raw in params.items():
        if param in RESERVED:
            continue
        name, _sep, op = param.partition("__")
        if name not in spec.filter_fields or (op and op not in OPERATORS):
            allowed = ", ".join(spec.filter_fields)
            raise ValidationError(
                {
                    param: [
                        _(
                            "unknown filter %(param)s for layer %(layer)s; filterable fields: "
                            "%(allowed)s (with optional __in, __gte, __lte, __gt, __lt)."
                        )
                        % {"param": param, "layer": spec.name, "allowed": allowed}
                    ]
                }
            )
        field = cast(models.Field, spec.model._meta.get_field(name))
        lookup = field.attname if field.is_relation else name
        if op == "in":
            value = [_parse_value(field, part, param) for part in raw.split(",") if part]
        else:
            value = _parse_value(field, raw, param)
        q &= models.Q(**{f"{lookup}__{op}" if op else lookup: value})
    return q


def ordering(spec: LayerSpec, raw: str | None) -> list[str]:
    if not raw:
        return ["id"]
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    allowed = {*spec.filter_fields, *ALWAYS_ORDERABLE}
    for key in keys:
        # One leading '-' means descending; lstrip() would let "--id" through to order_by(), a 500.
        name = key.removeprefix("-")
        if name not in allowed:
            raise ValidationError(
                {
                    "ordering": [
                        _("cannot order by %(key)s; use one of: %(allowed)s.")
                        % {"key": key, "allowed": ", ".join(sorted(allowed))}
                    ]
                }
            )
        try:
            spec.model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValidationError({"ordering": [key]}) from None
    return [*keys, "id"]


def filter_queryset(qs: models.QuerySet, spec: LayerSpec, params: Mapping[str, str]) -> models.QuerySet:
    if params.get("bbox"):
        qs = qs.filter(geom__intersects=parse_bbox(params["bbox"]))
    if params.get("division"):
        qs = qs.filter(division_code__startswith=division_by_code(params["division"]).prefix)
    return qs.filter(attribute_filters(spec, params)).order_by(*ordering(spec, params.get("ordering")))
