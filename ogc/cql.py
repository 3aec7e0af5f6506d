"""CQL2 filters (OGC API Features Part 3), text and JSON, turned into a Django query.

pygeofilter parses both encodings and its Django backend builds the ``Q``. What is ours:

- only a collection's queryables may be named, and an unknown one is refused by name, with the
  list of those that exist;
- geometry literals are in ``filter-crs`` (CRS84 unless given), in that CRS's axis order;
- temporal operators are evaluated for features that are instants (their time property), with
  the meaning CQL2 gives them for an instant against an instant or an interval;
- pygeofilter's text grammar reads temporal predicates only in an infix form
  (``a T_AFTER TIMESTAMP(...)``), so the standard function form ``T_AFTER(a, TIMESTAMP(...))`` is
  rewritten to it first.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from pygeofilter import ast, values
from pygeofilter.backends.django.evaluate import DjangoFilterEvaluator
from pygeofilter.backends.evaluator import handle
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from .crs import OgcCRS

TEXT = "cql2-text"
JSON = "cql2-json"
# The draft's name for the text encoding, which GDAL 3.6 (Debian bookworm's) looks for in the
# OpenAPI document and sends: the same grammar for the filters it writes.
DRAFT_TEXT = "cql-text"
LANGUAGES = (TEXT, JSON, DRAFT_TEXT)


class FilterError(ValueError):
    """A filter we cannot run; the message names the problem and what to send instead."""


_TEMPORAL_CALL = re.compile(
    r"\b(T_(?:AFTER|BEFORE|CONTAINS|DISJOINT|DURING|EQUALS|FINISHEDBY|FINISHES|INTERSECTS|MEETS|"
    r"METBY|OVERLAPPEDBY|OVERLAPS|STARTEDBY|STARTS))\s*\(",
    re.I,
)


def _split_call(text: str, start: int) -> tuple[list[str], int]:
    """The top-level arguments of the call whose ``(`` is at ``start``, and the index after ``)``."""
    depth, quoted, args, begin = 0, False, [], start + 1
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i])
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(text[begin:i])
            begin = i + 1
    raise FilterError(_("a parenthesis is not closed; check the filter's brackets."))


def infix_temporal(text: str) -> str:
    """``T_AFTER(a, b)`` → ``(a T_AFTER b)``, nested calls included."""
    while match := _TEMPORAL_CALL.search(text):
        args, end = _split_call(text, match.end() - 1)
        if len(args) != 2:
            raise FilterError(
                _("%(op)s takes two arguments, a property and a time.") % {"op": match.group(1)}
            )
        left, right = (infix_temporal(a.strip()) for a in args)
        text = f"{text[: match.start()]}({left} {match.group(1).upper()} {right}){text[end:]}"
    return text


def _aware(value: Any, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        moment = datetime.combine(value, time.max if end else time.min)
        return timezone.make_aware(moment)
    raise FilterError(_("%(value)s is not a time; use TIMESTAMP('…') or DATE('…').") % {"value": value})


class _Evaluator(DjangoFilterEvaluator):
    def __init__(self, queryables: dict[str, str], crs: OgcCRS) -> None:
        super().__init__(queryables, None)
        self.queryables = queryables
        self.crs = crs

    @handle(ast.Attribute)
    def attribute(self, node: ast.Attribute) -> F:
        if node.name not in self.queryables:
            raise FilterError(
                _("%(name)s is not a queryable of this collection; queryables: %(known)s.")
                % {"name": node.name, "known": ", ".join(sorted(self.queryables))}
            )
        return F(self.queryables[node.name])

    def _geos(self, geojson: dict[str, Any]) -> GEOSGeometry:
        geom = GEOSGeometry(json.dumps(geojson), srid=self.crs.crs.epsg or 4326)
        return _flip(geom) if self.crs.north_first else geom

    @handle(values.Geometry)
    def geometry(self, node: values.Geometry) -> GEOSGeometry:
        return self._geos(node.__geo_interface__)

    @handle(values.Envelope)
    def envelope(self, node: values.Envelope) -> GEOSGeometry:
        box = Polygon.from_bbox((node.x1, node.y1, node.x2, node.y2))
        return self._geos(json.loads(box.geojson))

    @handle(ast.Function)
    def function(self, node: ast.Function, *arguments: Any) -> GEOSGeometry:
        if node.name.lower() == "bbox" and len(arguments) in (4, 6):
            numbers = [getattr(a, "value", a) for a in arguments]
            minx, miny, maxx, maxy = numbers if len(numbers) == 4 else (*numbers[:2], *numbers[3:5])
            return self._geos(json.loads(Polygon.from_bbox((minx, miny, maxx, maxy)).geojson))
        raise FilterError(_("the function %(name)s is not supported.") % {"name": node.name})

    @handle(ast.TemporalPredicate, subclasses=True)
    def temporal(self, node: Any, lhs: Any, rhs: Any) -> Q:
        if not isinstance(lhs, F):
            raise FilterError(_("a temporal operator compares a time property with a time."))
        name, op = lhs.name, node.op.value
        value = getattr(rhs, "value", rhs)
        if isinstance(value, tuple | list | values.Interval):
            start = getattr(value, "start", None) if isinstance(value, values.Interval) else value[0]
            stop = getattr(value, "end", None) if isinstance(value, values.Interval) else value[1]
            start, stop = (
                _aware(getattr(start, "value", start)),
                _aware(getattr(stop, "value", stop), end=True),
            )
        else:
            start = stop = _aware(value)
            if isinstance(value, date) and not isinstance(value, datetime):
                stop = _aware(value, end=True)
        after = Q(**{f"{name}__gt": stop}) if stop else Q(pk__in=[])
        before = Q(**{f"{name}__lt": start}) if start else Q(pk__in=[])
        inside = Q(**{k: v for k, v in ((f"{name}__gte", start), (f"{name}__lte", stop)) if v is not None})
        answers = {
            "AFTER": after,
            "BEFORE": before,
            # An instant against an interval (T_INTERSECTS reaches here as TOVERLAPS).
            "TOVERLAPS": inside,
            "TEQUALS": inside,
            "DURING": Q(
                **{k: v for k, v in ((f"{name}__gt", start), (f"{name}__lt", stop)) if v is not None}
            ),
            "DISJOINT": ~inside,
        }
        if op not in answers:
            raise FilterError(
                _(
                    "%(op)s compares two intervals; this collection's times are instants. Use "
                    "T_AFTER, T_BEFORE, T_DURING, T_EQUALS, T_INTERSECTS or T_DISJOINT."
                )
                % {"op": op}
            )
        return answers[op] & Q(**{f"{name}__isnull": False})


def _flip(geom: GEOSGeometry) -> GEOSGeometry:
    """Swap the axes of a geometry written north first."""
    shp = shapely.transform(shapely.from_wkb(bytes(geom.wkb)), lambda xy: xy[:, ::-1])
    return GEOSGeometry(memoryview(shapely.to_wkb(shp)), srid=geom.srid)


def to_q(text: str, lang: str | None, queryables: dict[str, str], crs: OgcCRS) -> Q:
    """The ``Q`` of a filter; ``queryables`` maps each queryable's name to its Django lookup."""
    lang = (lang or TEXT).lower()
    if lang not in LANGUAGES:
        raise FilterError(
            _("filter-lang %(lang)s is not supported; use cql2-text or cql2-json.") % {"lang": lang}
        )
    lang = TEXT if lang == DRAFT_TEXT else lang
    try:
        root = parse_json(text) if lang == JSON else parse_text(infix_temporal(text))
    except FilterError:
        raise
    except Exception as exc:  # lark and json report a bad filter in many exception types
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise FilterError(
            _("filter is not valid %(lang)s: %(reason)s. Check it against the examples in the API document.")
            % {"lang": lang, "reason": reason}
        ) from exc
    try:
        result = _Evaluator(queryables, crs).evaluate(root)
    except FilterError:
        raise
    except (AssertionError, KeyError, TypeError, ValueError, NotImplementedError) as exc:
        raise FilterError(
            _("filter cannot be applied: %(reason)s.") % {"reason": str(exc)[:200] or type(exc).__name__}
        ) from exc
    if not isinstance(result, Q):
        raise FilterError(_("filter must be a condition, such as land_use = 'industrial'."))
    return result
