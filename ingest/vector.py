"""Vector files into any layer: field mapping, value conversion, geometry cleaning, preview.

A ``mapping`` option names, for each target field, the source column it comes from
(``{"code": "DKBH", "land_use": "YDXZ"}``); source columns named like a field (``code``) or like its
label (``地块编号``) are mapped without being asked. ``defaults`` gives values for fields the file
lacks (``{"land_use": "industrial"}``). Choice fields take their key or their Chinese or English
label ("工业用地"). Geometries go through ``layers.geometry.clean_geometry`` (CRS conversion, range
checks, safe repair); every repair is a warning and every failure an error, with its number.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import shapely
from django.contrib.gis.db.models import GeometryField
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from layers.api.serializers import READ_ONLY
from layers.crs import CRS, STORAGE_CRS, parse_crs
from layers.geometry import GeometryError, clean_geometry, to_geojson_many
from layers.models import FieldPointCategory, LayerFeature
from layers.registry import LayerSpec
from policy.predicates import can_create

from .models import ImportMode
from .report import IngestError, Report, unit_name
from .sniff import LABELS, Sniffed
from .sources import Source, SourceFeature, open_source
from .tabular import normalise
from .writer import derive_many

# Never taken from a file: what clients may not write either, and the soft-delete mark.
NOT_MAPPED = frozenset(READ_ONLY) | {"deleted_at"}
# Layers whose records need more than a file's rows: they have their own job kinds.
OWN_KIND = {"panoramas": "panorama", "orthophotos": "orthophoto"}
EMPTY = (None, "")
TRUE = {"1", "true", "t", "yes", "y", "是", "有", "√", "on"}
FALSE = {"0", "false", "f", "no", "n", "否", "无", "×", "off"}
PREVIEW_FEATURES = 10


def writable_fields(spec: LayerSpec) -> dict[str, models.Field]:
    out: dict[str, models.Field] = {}
    for f in spec.model._meta.concrete_fields:
        if f.name in NOT_MAPPED or not f.editable or f.primary_key or isinstance(f, GeometryField):
            continue
        if isinstance(f, models.FileField):
            continue
        if f.is_relation and not (spec.name == "field_points" and f.name == "category"):
            continue
        out[f.name] = f
    return out


def required(f: models.Field) -> bool:
    return not f.null and not f.blank and not f.has_default()


def check_mapping_targets(spec: LayerSpec, options: dict[str, Any]) -> None:
    """Validate the target side of ``mapping`` and ``defaults`` before a job exists (a 400)."""
    fields = writable_fields(spec)
    for option in ("mapping", "defaults"):
        unknown = sorted(set(options.get(option) or {}) - set(fields))
        if unknown:
            raise IngestError(
                _(
                    "%(option)s names fields that %(layer)s does not have or that cannot be imported: "
                    "%(names)s. "
                    "Importable fields: %(fields)s."
                )
                % {
                    "option": option,
                    "layer": spec.name,
                    "names": ", ".join(unknown),
                    "fields": ", ".join(fields),
                },
                field=option,
            )


# --- upsert: the key that matches a feature to a stored record ------------------------------------

# Fields that cannot tell records apart: yes/no, measures that drift by rounding, structured values.
NOT_KEYS = (models.BooleanField, models.FloatField, models.DecimalField, models.JSONField, ArrayField)


def is_upsert(options: dict[str, Any]) -> bool:
    return options.get("mode") == ImportMode.UPSERT


def key_fields(spec: LayerSpec) -> dict[str, models.Field]:
    """The importable fields a feature may be matched by (``match_field``)."""
    return {
        name: f
        for name, f in writable_fields(spec).items()
        if not isinstance(f, NOT_KEYS) and not f.is_relation
    }


def default_match_field(spec: LayerSpec) -> str | None:
    """The layer's unique key (parcels: code); None where it has none (buildings: the user names one)."""
    for name, f in key_fields(spec).items():
        if f.unique:
            return name
    return None


def check_upsert_options(spec: LayerSpec, options: dict[str, Any]) -> dict[str, Any]:
    """``mode`` and ``match_field`` checked against the layer (a 400 before any job exists), and the
    default key filled in, so that the same import asked for with or without it is one job."""
    given = options.get("match_field")
    if not is_upsert(options):
        if given:
            raise IngestError(
                _(
                    'match_field is used only when updating existing records; add "mode": "upsert" to '
                    "the options, or leave match_field out to import every feature as a new record."
                ),
                code="match_field",
                field="match_field",
            )
        # Insert is the default: asked for by name or not, it is the same import (one job).
        return {k: v for k, v in options.items() if k != "mode"}
    keys = key_fields(spec)
    if given is None:
        given = default_match_field(spec)
        if given is None:
            raise IngestError(
                _(
                    "%(layer)s have no unique key, so name the field that matches a feature to an "
                    'existing record with the match_field option, e.g. {"match_field": "name"}. '
                    "Fields to match by: %(fields)s."
                )
                % {"layer": spec.name, "fields": ", ".join(keys)},
                code="match_field",
                field="match_field",
            )
        return {**options, "match_field": given}
    if given not in keys:
        writable = writable_fields(spec)
        why = (
            _("%(name)s cannot tell records apart (a yes/no, a measure or a list)")
            if given in writable
            else _("%(layer)s has no importable field %(name)s")
        ) % {"name": given, "layer": spec.name}
        raise IngestError(
            _("match_field %(name)s is not a key: %(why)s. Fields to match by: %(fields)s.")
            % {"name": given, "why": why, "fields": ", ".join(keys)},
            code="unknown_match_field",
            field="match_field",
        )
    return options


def require_key_column(spec: LayerSpec, mapping_: Mapping, options: dict[str, Any]) -> str:
    """The match field, which the file must give (a column mapped to it, or a default)."""
    name = options.get("match_field") or default_match_field(spec) or ""
    if name not in mapping_.columns and name not in mapping_.defaults:
        raise IngestError(
            _(
                "No column of the file is mapped to %(name)s, which matches features to existing "
                'records. Map its column with the mapping option, e.g. {"mapping": {"%(name)s": '
                '"<column>"}}, or pick another match_field.'
            )
            % {"name": name},
            code="missing_columns",
            field="mapping",
        )
    return name


# --- values ---------------------------------------------------------------------------------------


def _choice_lookup(f: models.Field) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, label in f.flatchoices:
        table[normalise(key)] = key
        table[normalise(label)] = key
        with translation.override("en"):
            table[normalise(str(label))] = key
        with translation.override("zh-hans"):
            table[normalise(str(label))] = key
    return table


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        out = value
    elif isinstance(value, date):
        out = datetime.combine(value, time())
    else:
        text = str(value).strip().replace("/", "-")
        out = parse_datetime(text.replace(" ", "T", 1)) if " " in text or "T" in text else None
        if out is None:
            day = parse_date(text)
            if day is None:
                raise ValidationError(
                    _("%(value)r is not a date and time (use 2024-05-01 08:30)") % {"value": text}
                )
            out = datetime.combine(day, time())
    if timezone.is_naive(out):
        out = timezone.make_aware(out)
    return out


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    day = parse_date(str(value).strip().replace("/", "-")[:10])
    if day is None:
        raise ValidationError(_("%(value)r is not a date (use 2024-05-01)") % {"value": value})
    return day


class Converter:
    """Turns a source value into a model field value, with readable errors."""

    def __init__(self, spec: LayerSpec) -> None:
        self.spec = spec
        self.choices: dict[str, dict[str, Any]] = {}
        self._categories: dict[str, FieldPointCategory] | None = None

    def categories(self) -> dict[str, FieldPointCategory]:
        if self._categories is None:
            table: dict[str, FieldPointCategory] = {}
            for c in FieldPointCategory.objects.filter(active=True):
                for name in (c.key, c.name_zh, c.name_en):
                    table[normalise(name)] = c
            self._categories = table
        return self._categories

    def __call__(self, f: models.Field, value: Any) -> Any:
        if f.name == "category" and f.is_relation:
            found = self.categories().get(normalise(value))
            if found is None:
                keys = sorted({c.key for c in self.categories().values()})
                raise ValidationError(
                    _("%(value)r is not an active field-point category; use one of %(keys)s")
                    % {"value": value, "keys": ", ".join(keys)}
                )
            return found
        if f.choices:
            if f.name not in self.choices:
                self.choices[f.name] = _choice_lookup(f)
            key = self.choices[f.name].get(normalise(value))
            if key is None:
                options = ", ".join(f"{k} ({label})" for k, label in f.flatchoices)
                raise ValidationError(
                    _("%(value)r is not one of: %(options)s") % {"value": value, "options": options}
                )
            value = key
        elif isinstance(f, ArrayField):
            if isinstance(value, str):
                text = value.strip()
                value = (
                    json.loads(text)
                    if text.startswith("[")
                    else [
                        part.strip()
                        for part in text.replace("、", ",").replace(";", ",").replace("，", ",").split(",")
                        if part.strip()
                    ]
                )
            elif not isinstance(value, list):
                value = [value]
        elif isinstance(f, models.BooleanField):
            if not isinstance(value, bool):
                text = str(value).strip().lower()
                if text in TRUE:
                    value = True
                elif text in FALSE:
                    value = False
                else:
                    raise ValidationError(
                        _("%(value)r is not yes/no (use 是/否, true/false or 1/0)") % {"value": value}
                    )
        elif isinstance(f, models.DateTimeField):
            value = _datetime(value)
        elif isinstance(f, models.DateField):
            value = _date(value)
        elif isinstance(f, models.JSONField):
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise ValidationError(_("is not valid JSON (%(why)s)") % {"why": exc}) from exc
        elif isinstance(f, models.IntegerField):
            if isinstance(value, str):
                value = value.strip().replace(",", "")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValidationError(_("%(value)r is not a whole number") % {"value": value}) from None
            if not number.is_integer():
                raise ValidationError(_("%(value)r is not a whole number") % {"value": value})
            value = int(number)
        elif isinstance(f, models.FloatField | models.DecimalField):
            if isinstance(value, str):
                value = value.strip().replace(",", "")
            if isinstance(f, models.DecimalField) and isinstance(value, float):
                value = Decimal(repr(value))
        elif isinstance(f, models.CharField | models.TextField | models.UUIDField):
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # Excel turns codes like 1001 into 1001.0
            value = str(value).strip()
        return f.clean(value, None)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- the plan ---------------------------------------------------------------------------------------


@dataclass
class Mapping:
    fields: dict[str, models.Field]
    columns: dict[str, str]  # target field -> source column
    defaults: dict[str, Any]
    missing_required: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)


def resolve_mapping(spec: LayerSpec, source: Source, options: dict[str, Any]) -> Mapping:
    fields = writable_fields(spec)
    names = [f["name"] for f in source.fields]
    explicit = dict(options.get("mapping") or {})
    missing = [col for col in explicit.values() if col not in names]
    if missing and source.count:
        raise IngestError(
            _("The mapping names columns the file does not have: %(missing)s. Its columns are: %(cols)s.")
            % {"missing": ", ".join(map(str, missing)), "cols": ", ".join(names) or "-"},
            code="missing_columns",
            field="mapping",
        )
    columns = dict(explicit)
    used = set(columns.values())
    by_norm: dict[str, str] = {}
    for name in names:
        by_norm.setdefault(normalise(name), name)
    for target, f in fields.items():
        if target in columns:
            continue
        for candidate in (normalise(target), normalise(f.verbose_name)):
            column = by_norm.get(candidate)
            if column and column not in used:
                columns[target] = column
                used.add(column)
                break
    defaults = dict(options.get("defaults") or {})
    if "is_public" in options and "is_public" not in defaults and "is_public" not in columns:
        defaults["is_public"] = options["is_public"]
    auto = {"uuid"} if spec.name == "field_points" else set()
    missing_required = [
        name
        for name, f in fields.items()
        if required(f) and name not in columns and name not in defaults and name not in auto
    ]
    unused = [n for n in names if n not in used]
    return Mapping(fields, columns, defaults, missing_required, unused)


def _missing_required_error(spec: LayerSpec, mapping_: Mapping) -> IngestError:
    example = {name: "<column>" for name in mapping_.missing_required}
    return IngestError(
        _(
            "%(layer)s needs a value for %(fields)s, and no column of the file is mapped to it. Map a column "
            "with the mapping option, e.g. %(example)s, or give one value for every feature in defaults."
        )
        % {
            "layer": spec.name,
            "fields": ", ".join(mapping_.missing_required),
            "example": json.dumps(example),
        },
        code="missing_columns",
        field="mapping",
    )


def source_crs(source: Source, options: dict[str, Any]) -> CRS:
    """The crs option wins (GCJ-02 data is often labelled WGS 84); else what the file declares."""
    if options.get("crs"):
        return parse_crs(options["crs"])
    if source.crs is not None:
        return source.crs
    return parse_crs("EPSG:4326")


def clean_feature_geometry(spec: LayerSpec, geometry: dict[str, Any], crs: CRS) -> tuple[Any, list[str]]:
    """The source geometry as a stored GEOS geometry (EPSG:4326, 2D) and the repairs made."""
    try:
        shp = shapely.force_2d(shape(geometry))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(_("geometry is not valid GeoJSON: %(reason)s") % {"reason": exc}) from exc
    # A one-part Multi* where the layer takes the single type (Shapefiles write lines as multi).
    if shp.geom_type.startswith("Multi") and shp.geom_type not in spec.geometry_types and len(shp.geoms) == 1:
        shp = shp.geoms[0]
    multi = spec.multi
    cleaned = clean_geometry(mapping(shp), spec.geometry_types, crs, multi)
    return cleaned.geom, cleaned.warnings


def _no_data(unit: str) -> IngestError:
    return IngestError(
        _("The file holds no %(units)s, so there is nothing to import. Check you sent the right file.")
        % {"units": unit_name(unit, plural=True)},
        code="no_data",
    )


@dataclass
class Prepared:
    records: list[LayerFeature]
    rows: list[int]
    unit: str


def build_records(
    spec: LayerSpec,
    source: Source,
    options: dict[str, Any],
    report: Report,
    user: Any,
    token: str,
    progress: Callable[[float], None] | None = None,
) -> Prepared:
    """Every feature of the file as an unsaved record, or the job fails with each row's problem.

    In upsert mode (``mode=upsert``) a key that exists already is not an error (the feature updates
    that record, see ``ingest.upsert``), and a required value the file lacks is asked for only of the
    features that turn out to be new.
    """
    if spec.name in OWN_KIND:
        raise IngestError(
            _("%(layer)s are imported with the %(kind)s job kind, one file at a time.")
            % {"layer": spec.name, "kind": OWN_KIND[spec.name]},
            field="layer",
        )
    if source.count == 0:
        raise _no_data(source.unit)
    upsert = is_upsert(options)
    mapping_ = resolve_mapping(spec, source, options)
    key = require_key_column(spec, mapping_, options) if upsert else None
    if not upsert and mapping_.missing_required:
        raise _missing_required_error(spec, mapping_)
    crs = source_crs(source, options)
    convert = Converter(spec)
    unit = source.unit
    records: list[LayerFeature] = []
    rows: list[int] = []
    total = source.count or 0
    for i, item in enumerate(source.read(None)):
        report.counts["read"] += 1
        if progress and total and i % 1000 == 0:
            progress(i / total)
        record = _record(spec, item, mapping_, crs, convert, report, unit, user, token, defer_required=upsert)
        if record is not None:
            records.append(record)
            rows.append(item.number)
    if report.counts["read"] == 0:
        raise _no_data(unit)
    # In upsert mode a key found in the layer is a match, not a clash (ingest.upsert checks the rest).
    _check_unique(spec, records, rows, unit, report, in_layer=not upsert, skip=key)
    return Prepared(records, rows, unit)


def _record(
    spec: LayerSpec,
    item: SourceFeature,
    mapping_: Mapping,
    crs: CRS,
    convert: Converter,
    report: Report,
    unit: str,
    user: Any,
    token: str,
    partial: bool = False,
    defer_required: bool = False,
) -> LayerFeature | None:
    """The unsaved record of one source feature; None (and errors reported) if it cannot be made.

    ``partial`` (previews) still returns a record with what could be converted when only
    attributes are wrong, so the user sees the geometry and the rest of the row.
    ``defer_required`` (upsert) notes an empty required value in ``record._missing_required``
    instead of reporting it: an update keeps the stored value, only a new record needs one.
    The fields the file gave a value for are in ``record._ingest_fields``: what an update changes.
    """
    missing: list[str] = []
    ok = True
    if item.error:
        report.error(item.error, row=item.number, unit=unit)
        ok = False
    values: dict[str, Any] = {}
    for target, f in mapping_.fields.items():
        raw = item.properties.get(mapping_.columns[target]) if target in mapping_.columns else None
        if _empty(raw) and target in mapping_.defaults:
            raw = mapping_.defaults[target]
        if _empty(raw):
            if required(f) and target != "uuid" and defer_required:
                missing.append(target)
            elif required(f) and target != "uuid":
                report.error(
                    _("%(field)s is empty; it is required") % {"field": target}, item.number, unit, target
                )
                ok = False
            continue
        try:
            values[target] = convert(f, raw)
        except ValidationError as exc:
            report.error(f"{target}: {' '.join(exc.messages)}", item.number, unit, target)
            ok = False
    geom = None
    if item.geometry is not None:
        try:
            geom, warnings = clean_feature_geometry(spec, item.geometry, crs)
            for warning in warnings:
                report.warn(warning, item.number, unit, "geometry")
        except GeometryError as exc:
            report.error(str(exc), item.number, unit, "geometry")
            ok = False
    if geom is None or not (ok or partial):
        return None
    record = spec.model(**values, geom=geom)
    record._ingest_fields = frozenset(values)
    record._missing_required = missing
    if spec.name == "field_points":
        record.reporter = user
        if "uuid" not in values:
            record.uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"geoportal:ingest:{token}:{item.number}")
    if spec.name == "patrol_tracks" and record.worker_id is None:
        record.worker = user
    return record


def _check_unique(
    spec: LayerSpec,
    records: list[LayerFeature],
    rows: list[int],
    unit: str,
    report: Report,
    *,
    in_layer: bool = True,
    skip: str | None = None,
) -> None:
    """Unique fields: each value once in the file and (``in_layer``) not taken in the layer. ``skip``
    (an upsert's key) is checked by ``ingest.upsert.match`` instead."""
    model = spec.model
    for f in model._meta.concrete_fields:
        if not f.unique or f.primary_key or f.name == skip:
            continue
        seen: dict[Any, int] = {}
        for record, row in zip(records, rows, strict=True):
            value = getattr(record, f.attname)
            if value in EMPTY:
                continue
            if value in seen:
                report.error(
                    _("%(field)s %(value)s is also in %(unit)s %(first)s; it must be unique")
                    % {"field": f.name, "value": value, "unit": unit_name(unit), "first": seen[value]},
                    row,
                    unit,
                    f.name,
                )
            else:
                seen[value] = row
        if not in_layer:
            continue
        values = list(seen)
        for start in range(0, len(values), 5000):
            taken = model.all_objects.filter(**{f"{f.attname}__in": values[start : start + 5000]})
            for pk, value in taken.values_list("pk", f.attname):
                report.error(
                    _(
                        "%(field)s %(value)s already exists (record #%(pk)s); records are not overwritten "
                        "by an import"
                    )
                    % {"field": f.name, "value": value, "pk": pk}
                    + " "
                    + _(
                        "To update the existing records from the file, import it with the option mode=upsert."
                    ),
                    seen[value],
                    unit,
                    f.name,
                )


# --- preview ----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return getattr(value, "key", None) or value.pk
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def preview(
    spec: LayerSpec, path: Path, sniffed: Sniffed, options: dict[str, Any], workdir: Path, user: Any
) -> dict:
    """What a commit of this file would do, without writing anything.

    An insert shows the first ``PREVIEW_FEATURES`` features. An upsert (``mode=upsert``) reads and
    matches every feature, so that the user sees each one's fate on the map (``match``: update with
    its diff, create, unchanged) and the totals (``counts``) before committing.
    """
    source = open_source(path, sniffed, options, workdir)
    mapping_ = resolve_mapping(spec, source, options)
    upsert = is_upsert(options)
    match_field = require_key_column(spec, mapping_, options) if upsert else None
    crs = source_crs(source, options)
    convert = Converter(spec)
    features = []
    samples: dict[str, list[Any]] = defaultdict(list)
    sampled = []
    for item in source.read(None if upsert else PREVIEW_FEATURES):
        report = Report()
        record = _record(
            spec,
            item,
            mapping_,
            crs,
            convert,
            report,
            source.unit,
            user,
            "preview",
            partial=True,
            defer_required=upsert,
        )
        sampled.append((item, record, report))
        for key, value in item.properties.items():
            if len(samples[key]) < 3 and not _empty(value):
                samples[key].append(_jsonable(value))
    # Where each sample would land, and whether this user may create it there.
    built = [(i, r) for i, r, _p in sampled if r is not None]
    derive_many([r for _i, r in built])
    geometries = to_geojson_many([r.geom for _i, r in built], STORAGE_CRS)
    shapes = {id(r): g for (_i, r), g in zip(built, geometries, strict=True)}
    extra: dict[str, Any] = {}
    matched: dict[int, Any] = {}
    if upsert:
        from . import upsert as upserting  # it builds on this module

        found = upserting.match(
            spec, user, [r for _i, r in built], [i.number for i, _r in built], source.unit, match_field or ""
        )
        matched = {m.row: m for m in found}
        extra = {
            "mode": options["mode"],
            "match_field": match_field,
            "reviewed": upserting.reviewed(spec, user, found),
        }
    for item, record, report in sampled:
        props: dict[str, Any] = {}
        geometry = None
        if record is not None:
            props = {name: _jsonable(getattr(record, name, None)) for name in mapping_.columns} | {
                name: _jsonable(getattr(record, name, None)) for name in mapping_.defaults
            }
            geometry = shapes[id(record)]
        errors = [
            (f"{e['field']}: " if e.get("field") and not e["reason"].startswith(e["field"]) else "")
            + e["reason"]
            for e in report.errors
        ]
        feature = {
            "type": "Feature",
            source.unit: item.number,
            "geometry": geometry,
            "properties": props,
            "source_properties": _jsonable(item.properties),
            "division_code": record.division_code if record is not None else None,
            "allowed": bool(record is not None and not report.has_errors and can_create(user, spec, record)),
            "warnings": [w["reason"] for w in report.warnings],
            "errors": errors,
        }
        if upsert:
            m = matched.get(item.number) if record is not None else None
            errors.extend(m.errors if m is not None else [])
            feature["allowed"] = bool(m is not None and not errors)
            feature["match"] = (
                m.as_json()
                if m is not None
                else {
                    "action": "error",
                    "record": None,
                    "version": None,
                    "changes": [],
                    "geometry_changed": False,
                }
            )
        features.append(feature)
    if upsert:
        # A feature with any problem is an error, whatever it would have been.
        tally = Counter({a: 0 for a in ("create", "update", "unchanged", "error")})
        tally.update("error" if f["errors"] else f["match"]["action"] for f in features)
        extra["counts"] = dict(tally)
    return {
        "type": sniffed.type.value,
        "type_label": str(LABELS[sniffed.type]),
        "layer": spec.name,
        "layers": source.layers,
        "layer_name": source.layer,
        "crs": {
            "declared": source.crs_declared,
            "detected": str(source.crs) if source.crs else None,
            "used": crs.key,
        },
        "geometry_type": source.geometry_type,
        "feature_count": source.count,
        "unit": source.unit,
        "fields": [{**f, "samples": samples.get(f["name"], [])} for f in source.fields],
        "mapping": mapping_.columns,
        "defaults": _jsonable(mapping_.defaults),
        "missing_required": mapping_.missing_required,
        "unmapped_columns": mapping_.unused_columns,
        "importable_fields": [
            {"name": n, "title": str(f.verbose_name), "required": required(f)}
            for n, f in mapping_.fields.items()
        ],
        "features": features,
        **extra,
    }
