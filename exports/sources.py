"""What can be exported, checked as the matching API would check it, and opened as a ``Table``.

- ``layer``: a layer with the REST API's query parameters (``bbox``, ``division``, attribute
  filters, ``ordering``: ``layers.api.filters``), e.g. ``{"land_use": "industrial"}``.
- ``query``: a shape query, ``params`` being the body of ``POST /api/spatial/query/``.
- ``nearby``: ``params`` being the query of ``GET /api/spatial/nearby/``; adds ``distance_m``.
- ``rollup``: ``params`` being the query of ``GET /api/spatial/rollup/``; a table, no geometry.
- ``report``: a workflow report by name (``REPORTS``), ``params`` being that report's query.

Every source reads through the owner's policy: features through ``readable(user, spec)`` and
``FeatureSource`` (scope and masking), reports through their own scoped statements. ``check`` runs
at submit time (a bad parameter is a 400 then, not a failed job later) and again when the job
runs, with the owner's access as it is then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError

from core.errors import Rejected
from layers.api.filters import filter_queryset, ordering
from layers.crs import CRS, STORAGE_CRS
from layers.registry import LAYERS, LayerSpec
from policy.actions import Action
from policy.predicates import may_list_layer, read_filter
from policy.resources import GRID_EVENTS, LAYER_RULES, PROJECTS
from policy.rules import role_allows

from .models import SourceKind
from .tables import Column, FeatureTable, RowTable, Table


@dataclass(frozen=True)
class Checked:
    """A source as it will be read: normalised parameters, and whether it has geometry."""

    source: str
    layer: str
    report: str
    params: dict[str, Any]
    geographic: bool


def _forbidden(message: str) -> Rejected:
    return Rejected(message, "permission_denied", status_code=status.HTTP_403_FORBIDDEN)


def _flat(params: Any, field: str = "params") -> dict[str, str]:
    """Query parameters as the REST API gets them: names to strings (a list joins with commas)."""
    if params in (None, ""):
        return {}
    if not isinstance(params, Mapping):
        raise ValidationError(
            {field: [_('Give the parameters as an object, e.g. {"land_use": "industrial"}.')]}
        )
    out: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[str(name)] = "" if value is None else str(value)
    return out


def _readable_layer(user: Any, name: Any, field: str = "layer") -> LayerSpec:
    spec = LAYERS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise Rejected(
            _("Unknown layer %(layer)s; GET /api/layers/ lists them.") % {"layer": name},
            "unknown_layer",
            field,
        )
    if not may_list_layer(user, spec):
        raise _forbidden(
            _("You may not read the layer %(layer)s, so you cannot export it. Ask an administrator.")
            % {"layer": spec.name}
        )
    return spec


def readable(user: Any, spec: LayerSpec) -> Any:
    """Every feature of the layer the user may read (``layers.api.features.readable``)."""
    return spec.model.objects.filter(read_filter(user, spec))


def _feature_source(user: Any, spec: LayerSpec, queryset: Any, crs: CRS) -> Any:
    from layers.api.features import FeatureSource

    return FeatureSource(user, spec, queryset, crs=crs)


# --- layers and spatial functions ----------------------------------------------------------------

# Parameters of the REST API that are not filters of what is exported.
PAGING = frozenset({"page", "page_size", "format", "lang", "crs"})


def _layer_queryset(user: Any, spec: LayerSpec, params: dict[str, str]) -> Any:
    return filter_queryset(readable(user, spec), spec, {k: v for k, v in params.items() if k not in PAGING})


def _query_queryset(user: Any, params: dict[str, Any]) -> tuple[LayerSpec, Any]:
    from spatial import shapes
    from spatial.serializers import QueryRequestSerializer

    form = QueryRequestSerializer(data=params)
    if not form.is_valid():
        raise ValidationError(form.errors)
    data = form.validated_data
    spec = _readable_layer(user, data["layer"])
    shape = shapes.shape(params, user, shapes.input_crs(params.get("crs")))
    attrs = shapes.filters(spec, params.get("filters"))
    qs = readable(user, spec).filter(shape.q()).filter(attrs).order_by(*ordering(spec, data.get("ordering")))
    return spec, qs


def _nearby(user: Any, params: dict[str, str]) -> tuple[LayerSpec, list[tuple[int, float]]]:
    """The nearest records and their distances, as ``GET /api/spatial/nearby/`` finds them."""
    from spatial import queries, shapes

    spec = _readable_layer(user, params.get("layer"))
    ask = shapes.nearby_ask(spec, params, user)
    found = queries.nearby(user, spec, ask.origin, ask.radius, ask.limit, ask.extra, ask.exclude)
    return spec, list(found.rows)


def _rollup(user: Any, params: dict[str, str]) -> tuple[LayerSpec, dict[str, Any], list[str]]:
    """The roll-up ``GET /api/spatial/rollup/`` answers, with the same checks."""
    from spatial import queries, shapes

    spec = _readable_layer(user, params.get("layer"))
    ask = shapes.rollup_ask(spec, params, user)
    return spec, queries.rollup(user, spec, ask.level, ask.within, ask.extra, ask.sums), ask.sums


def _rollup_table(spec: LayerSpec, result: dict[str, Any], sums: list[str]) -> RowTable:
    area = bool(result.get("has_area"))
    columns = [
        Column("code", _("区划代码")),
        Column("name", _("名称")),
        Column("level", _("层级")),
        Column("count", _("数量"), "int"),
    ]
    if area:
        columns += [
            Column("area_m2", _("面积（平方米）"), "float"),
            Column("area_mu", _("面积（亩）"), "float"),
        ]
    columns += [Column(f"sum_{name}", _("合计：%(field)s") % {"field": name}, "float") for name in sums]

    def line(row: Mapping[str, Any], code: str, name: str, level: str) -> list[Any]:
        out: list[Any] = [code, name, level, row.get("count", 0)]
        if area:
            out += [row.get("area_m2"), row.get("area_mu")]
        out += [(row.get("sums") or {}).get(s) for s in sums]
        return out

    rows = [line(r, r.get("code", ""), r.get("name", ""), r.get("level", "")) for r in result["rows"]]
    if result.get("unassigned"):
        rows.append(line(result["unassigned"], "", _("未归属"), ""))
    rows.append(line(result["total"], "", _("合计"), ""))
    return RowTable(
        f"rollup-{spec.name}",
        _("%(layer)s统计汇总") % {"layer": spec.title_zh},
        columns,
        lambda: rows,
        lambda: len(rows),
    )


# --- reports ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A workflow report that can be exported: who may read it, its parameters' check, its table."""

    name: str
    title: Callable[[], str]
    allowed: Callable[[Any], bool]
    refused: Callable[[], str]
    check: Callable[[Any, dict[str, str]], None]
    table: Callable[[Any, dict[str, str]], RowTable]


def _project_report(name: str) -> Report:
    from projects import reports

    kinds = {"number": "float", "integer": "int", "date": "date"}

    def report() -> Any:
        return reports.REPORTS[name]

    def check(user: Any, params: dict[str, str]) -> None:
        reports.period_from(params)
        reports.scoped_projects(user, params)

    def table(user: Any, params: dict[str, str]) -> RowTable:
        r = report()
        period = reports.period_from(params)
        columns = [Column(c.key, str(c.label), kinds.get(c.kind, "text")) for c in r.columns]
        return RowTable(
            f"projects-{name}",
            str(r.title),
            columns,
            lambda: reports.sheet_rows(r, user, params, period),
            lambda: reports.count(r, user, params, period),
        )

    return Report(
        f"projects.{name}",
        lambda: str(report().title),
        lambda user: role_allows(user, PROJECTS, Action.READ),
        lambda: _("Project reports are for investment officers, leaders and park managers of their area."),
        check,
        table,
    )


def _header_table(name: str, title: str, header: Iterable[Any], rows: list[list[Any]]) -> RowTable:
    columns = [Column(f"c{i + 1}", str(h)) for i, h in enumerate(header)]
    return RowTable(name, title, columns, lambda: rows, lambda: len(rows))


def _places_check(user: Any, params: dict[str, str]) -> None:
    from layers.api.filters import looked_at

    looked_at(user, str(params.get("division", "")))


def _places_table(user: Any, params: dict[str, str]) -> RowTable:
    from patrols import places_report

    found = places_report.places_report(user, str(params.get("division", "")))
    header, rows = places_report.sheet(found)
    return _header_table("places-report", _("组织场所报表"), header, [list(r) for r in rows])


def _stats_check(user: Any, params: dict[str, str]) -> None:
    from grid import stats

    stats.filters_from(user, params)


def _stats_table(user: Any, params: dict[str, str]) -> RowTable:
    from grid import stats

    found = stats.statistics(user, params)
    return _header_table(
        "event-stats", _("事件统计"), stats.sheet_header(), [list(r) for r in stats.sheet_rows(found)]
    )


def reports() -> dict[str, Report]:
    """Every exportable report by name (the project reports are ``projects.<name>``)."""
    from projects import reports as project_reports

    found = {f"projects.{name}": _project_report(name) for name in project_reports.REPORTS}
    found["patrols.places"] = Report(
        "patrols.places",
        lambda: _("组织场所报表"),
        lambda user: role_allows(user, LAYER_RULES["places"], Action.READ),
        lambda: _("Place reports are for grid workers, staff and leaders of their area."),
        _places_check,
        _places_table,
    )
    found["grid.event_stats"] = Report(
        "grid.event_stats",
        lambda: _("事件统计"),
        lambda user: role_allows(user, GRID_EVENTS, Action.READ),
        lambda: _("Event statistics are for grid workers, staff and leaders of their area."),
        _stats_check,
        _stats_table,
    )
    return found


def _report(user: Any, name: Any) -> Report:
    found = reports().get(name) if isinstance(name, str) else None
    if found is None:
        raise Rejected(
            _("Unknown report %(name)s; one of: %(names)s.") % {"name": name, "names": ", ".join(reports())},
            "unknown_report",
            "report",
        )
    if not found.allowed(user):
        raise _forbidden(found.refused())
    return found


# --- the two entry points --------------------------------------------------------------------------


def check(user: Any, source: str, layer: Any, report: Any, params: Any) -> Checked:
    """Whether ``user`` may export this source with these parameters (400 or 403 otherwise)."""
    if source == SourceKind.LAYER:
        spec = _readable_layer(user, layer)
        flat = _flat(params)
        _layer_queryset(user, spec, flat)
        return Checked(source, spec.name, "", flat, True)
    if source == SourceKind.QUERY:
        body = dict(params) if isinstance(params, Mapping) else {}
        if layer and not body.get("layer"):
            body["layer"] = layer
        spec, _qs = _query_queryset(user, body)
        return Checked(source, spec.name, "", body, True)
    if source == SourceKind.NEARBY:
        flat = _flat(params)
        if layer and not flat.get("layer"):
            flat["layer"] = str(layer)
        spec, _rows = _nearby(user, flat)
        return Checked(source, spec.name, "", flat, True)
    if source == SourceKind.ROLLUP:
        flat = _flat(params)
        if layer and not flat.get("layer"):
            flat["layer"] = str(layer)
        spec, _result, _sums = _rollup(user, flat)
        return Checked(source, spec.name, "", flat, False)
    if source == SourceKind.REPORT:
        found = _report(user, report)
        flat = _flat(params)
        found.check(user, flat)
        return Checked(source, "", found.name, flat, False)
    raise ValidationError(
        {"source": [_("source must be one of %(s)s.") % {"s": ", ".join(SourceKind.values)}]}
    )


def open_table(
    user: Any, source: str, layer: str, report: str, params: dict[str, Any], crs: CRS = STORAGE_CRS
) -> Table:
    """The table to write, read with ``user``'s access as it is now."""
    if source == SourceKind.LAYER:
        spec = _readable_layer(user, layer)
        return FeatureTable(_feature_source(user, spec, _layer_queryset(user, spec, params), crs))
    if source == SourceKind.QUERY:
        spec, qs = _query_queryset(user, params)
        return FeatureTable(_feature_source(user, spec, qs, crs))
    if source == SourceKind.NEARBY:
        spec, rows = _nearby(user, params)
        order = Case(
            *(When(pk=pk, then=Value(i)) for i, (pk, _d) in enumerate(rows)), output_field=IntegerField()
        )
        qs = readable(user, spec).filter(pk__in=[pk for pk, _d in rows])
        qs = qs.order_by(order) if rows else qs
        distances = {pk: {"distance_m": round(metres, 2)} for pk, metres in rows}
        return FeatureTable(
            _feature_source(user, spec, qs, crs),
            extra_columns=[Column("distance_m", _("距离（米）"), "float")],
            extra=distances,
        )
    if source == SourceKind.ROLLUP:
        spec, result, sums = _rollup(user, params)
        return _rollup_table(spec, result, sums)
    if source == SourceKind.REPORT:
        return _report(user, report).table(user, params)
    raise ValueError(f"unknown source {source}")
