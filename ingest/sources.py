"""Vector sources: GeoJSON, zipped Shapefile, KML/KMZ, GeoPackage, and CSV/XLSX with coordinates.

Each is opened into a ``Source``: the detected CRS, the schema, the geometry type, the feature count,
and an iterator of features as GeoJSON geometries (in the source CRS) with their properties. Where
the geometry goes next (CRS conversion, range checks, repair) is ``layers.geometry``'s business.
Archives are checked and extracted by ``safezip``; GDAL (through pyogrio) reads only Shapefiles and
GeoPackages that are already on our disk.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import mapping

from layers.crs import CRS, CRSError, parse_crs

from . import kml, tabular
from .report import IngestError
from .safezip import extract, open_checked
from .sniff import FileType, Sniffed


@dataclass
class SourceFeature:
    number: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]
    error: str = ""


@dataclass
class Source:
    type: FileType
    unit: str  # what a number counts: "feature" or "row"
    crs: CRS | None  # as the file declares it (None: it does not say)
    crs_declared: str  # what the file said, for the report
    fields: list[dict[str, str]]
    geometry_type: str | None
    count: int | None
    read: Callable[[int | None], Iterator[SourceFeature]]
    layers: list[str] = field(default_factory=list)
    layer: str | None = None


def _python(value: Any) -> Any:
    """numpy scalars and NaN as plain Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, datetime | date):
        return "datetime"
    if isinstance(value, list | dict):
        return "json"
    return "string"


def _infer_fields(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    types: dict[str, str] = {}
    for props in rows:
        for key, value in props.items():
            if value is not None and key not in types:
                types[key] = _type_name(value)
            types.setdefault(key, "string")
    return [{"name": k, "type": v} for k, v in types.items()]


def _crs_from_text(text: str | None) -> CRS | None:
    """A CRS named by the data itself, mapped onto the whitelist (or a clear refusal)."""
    if not text:
        return None
    try:
        return parse_crs(text)
    except CRSError:
        pass
    # Unidentified WKT: name it by its first quoted string.
    name = text.split('"')[1] if text.count('"') >= 2 else text[:60]
    raise IngestError(
        _(
            "The data is in the coordinate system %(name)r, which we do not accept. Accepted: EPSG:4326, "
            "EPSG:4490, EPSG:3857, the CGCS2000 Gauss-Kruger zones EPSG:4491-4554, gcj02 and bd09. Reproject "
            "it, or give the crs option if you know which of these it really is."
        )
        % {"name": name},
        code="unsupported_crs",
        field="crs",
    )


# --- GeoJSON ---------------------------------------------------------------------------------------


def open_geojson(path: Path) -> Source:
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(
            _("The GeoJSON is not valid JSON (%(reason)s). The file may be cut short; export it again.")
            % {"reason": exc},
            code="damaged_file",
        ) from exc
    if not isinstance(doc, dict):
        raise IngestError(_("The GeoJSON must be a FeatureCollection, a Feature or a geometry object."))
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise IngestError(_("The FeatureCollection has no 'features' list."))
    elif kind == "Feature":
        features = [doc]
    elif isinstance(kind, str) and "coordinates" in doc or kind == "GeometryCollection":
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]
    else:
        raise IngestError(_("The GeoJSON must be a FeatureCollection, a Feature or a geometry object."))
    declared = doc.get("crs")
    if isinstance(declared, dict):
        declared = (declared.get("properties") or {}).get("name")
    crs = _crs_from_text(declared) if declared else parse_crs("EPSG:4326")

    def props(item: Any) -> dict[str, Any]:
        p = item.get("properties") if isinstance(item, dict) else None
        return p if isinstance(p, dict) else {}

    def read(limit: int | None) -> Iterator[SourceFeature]:
        for i, item in enumerate(features[:limit] if limit else features, start=1):
            if not isinstance(item, dict) or item.get("type") != "Feature":
                yield SourceFeature(i, None, {}, _("not a GeoJSON Feature object"))
                continue
            geometry = item.get("geometry")
            error = "" if isinstance(geometry, dict) else _("the feature has no geometry")
            yield SourceFeature(i, geometry if not error else None, props(item), error)

    types = {
        f.get("geometry", {}).get("type")
        for f in features[:1000]
        if isinstance(f, dict) and isinstance(f.get("geometry"), dict)
    }
    return Source(
        FileType.GEOJSON,
        "feature",
        crs,
        str(declared or "RFC 7946 (EPSG:4326)"),
        _infer_fields([props(f) for f in features[:1000]]),
        ", ".join(sorted(t for t in types if t)) or None,
        len(features),
        read,
    )


# --- Shapefile and GeoPackage through pyogrio ------------------------------------------------------


def _ogr_source(
    path: Path, kind: FileType, layer: str | None, encoding: str | None, layers: list[str]
) -> Source:
    import pyogrio
    import pyogrio.raw
    from pyogrio.errors import DataLayerError, DataSourceError

    kwargs: dict[str, Any] = {"layer": layer}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        info = pyogrio.read_info(path, **kwargs)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise IngestError(
            _("The %(what)s cannot be read (%(reason)s). Export it again and upload it.")
            % {"what": kind.value, "reason": exc},
            code="damaged_file",
        ) from exc
    declared = info.get("crs")
    crs = _crs_from_text(declared)
    fields = [{"name": str(n), "type": str(t)} for n, t in zip(info["fields"], info["dtypes"], strict=True)]

    def read(limit: int | None) -> Iterator[SourceFeature]:
        try:
            meta, _fids, geoms, data = pyogrio.raw.read(
                path, max_features=limit, force_2d=True, datetime_as_string=True, **kwargs
            )
        except (DataSourceError, DataLayerError, OSError) as exc:
            raise IngestError(
                _("The %(what)s cannot be read (%(reason)s). Export it again and upload it.")
                % {"what": kind.value, "reason": exc},
                code="damaged_file",
            ) from exc
        names = [str(n) for n in meta["fields"]]
        shapes = shapely.from_wkb(geoms, on_invalid="ignore") if geoms is not None else []
        for i in range(len(shapes)):
            props = {name: _python(column[i]) for name, column in zip(names, data, strict=True)}
            shape = shapes[i]
            if shape is None or shape.is_empty:
                yield SourceFeature(i + 1, None, props, _("the feature has no geometry"))
            else:
                yield SourceFeature(i + 1, mapping(shape), props)

    return Source(
        kind,
        "feature",
        crs,
        str(declared or ""),
        fields,
        info.get("geometry_type"),
        int(info.get("features") or 0),
        read,
        layers,
        layer,
    )


def _shapefile_parts(members: list[str]) -> dict[str, dict[str, str]]:
    """stem -> {extension: member} for every file in the zip."""
    groups: dict[str, dict[str, str]] = {}
    for name in members:
        pure = PurePosixPath(name.replace("\\", "/"))
        if not pure.suffix or name.endswith("/") or pure.name.startswith("._"):
            continue  # directories and macOS resource forks
        stem = str(pure.with_suffix("")).lower()
        groups.setdefault(stem, {})[pure.suffix.lower()] = name
    return groups


def open_shapefile(path: Path, options: dict[str, Any], workdir: Path) -> Source:
    archive, infos = open_checked(path)
    with archive:
        groups = {
            s: parts for s, parts in _shapefile_parts([i.filename for i in infos]).items() if ".shp" in parts
        }
        stems = sorted(groups)
        wanted = options.get("layer_name")
        if wanted:
            chosen = [s for s in stems if PurePosixPath(s).name == str(wanted).lower()]
            if not chosen:
                raise IngestError(
                    _("The zip has no Shapefile named %(name)r; it has: %(names)s.")
                    % {"name": wanted, "names": ", ".join(PurePosixPath(s).name for s in stems)},
                    field="layer_name",
                )
            stem = chosen[0]
        elif len(stems) > 1:
            raise IngestError(
                _("The zip holds %(n)s Shapefiles (%(names)s): choose one with the layer_name option.")
                % {"n": len(stems), "names": ", ".join(PurePosixPath(s).name for s in stems)},
                field="layer_name",
            )
        else:
            stem = stems[0]
        parts = groups[stem]
        base = PurePosixPath(parts[".shp"]).name
        for ext, what in ((".shx", _("index")), (".dbf", _("attribute table"))):
            if ext not in parts:
                raise IngestError(
                    _(
                        "The Shapefile %(name)s has no %(ext)s file (its %(what)s). A Shapefile is several "
                        "files: "
                        "zip the .shp, .shx, .dbf and .prj together and upload the zip."
                    )
                    % {"name": base, "ext": ext, "what": what},
                    code="incomplete_shapefile",
                )
        if ".prj" not in parts and not options.get("crs"):
            raise IngestError(
                _(
                    "The Shapefile %(name)s has no .prj file, so its coordinate system is unknown. Add the "
                    ".prj "
                    "to the zip, or give the source coordinate system with the crs option (e.g. EPSG:4547)."
                )
                % {"name": base},
                code="incomplete_shapefile",
                field="crs",
            )
        chosen_infos = [i for i in infos if i.filename in set(parts.values())]
        paths = extract(archive, chosen_infos, workdir)
    shp = paths[parts[".shp"]]
    # Companion files must share the .shp's stem on disk for GDAL to find them.
    for ext, member in parts.items():
        target = shp.with_suffix(ext)
        if paths[member] != target:
            paths[member].rename(target)
    return _ogr_source(
        shp, FileType.SHAPEFILE, None, options.get("encoding"), [PurePosixPath(s).name for s in stems]
    )


def open_gpkg(path: Path, options: dict[str, Any]) -> Source:
    import pyogrio
    from pyogrio.errors import DataSourceError

    try:
        listed = pyogrio.list_layers(path)
    except (DataSourceError, OSError) as exc:
        raise IngestError(
            _("The GeoPackage cannot be opened (%(reason)s). Export it again and upload it.")
            % {"reason": exc},
            code="damaged_file",
        ) from exc
    names = [str(row[0]) for row in listed if row[1] is not None]
    if not names:
        raise IngestError(_("The GeoPackage has no layer with geometries."))
    wanted = options.get("layer_name")
    if wanted:
        if wanted not in names:
            raise IngestError(
                _("The GeoPackage has no layer %(name)r; its layers are: %(names)s.")
                % {"name": wanted, "names": ", ".join(names)},
                field="layer_name",
            )
        layer = wanted
    elif len(names) > 1:
        raise IngestError(
            _("The GeoPackage has %(n)s layers (%(names)s): choose one with the layer_name option.")
            % {"n": len(names), "names": ", ".join(names)},
            field="layer_name",
        )
    else:
        layer = names[0]
    return _ogr_source(path, FileType.GPKG, layer, None, names)


# --- KML / KMZ -------------------------------------------------------------------------------------


def open_kml(path: Path, kind: FileType, workdir: Path) -> Source:
    if kind == FileType.KMZ:
        archive, infos = open_checked(path)
        with archive:
            docs = [i for i in infos if i.filename.lower().endswith(".kml")]
            doc = next((i for i in docs if i.filename.lower().endswith("doc.kml")), docs[0])
            path = extract(archive, [doc], workdir)[doc.filename]
    items = list(kml.placemarks(path))

    def read(limit: int | None) -> Iterator[SourceFeature]:
        for i, (geometry, props, error) in enumerate(items[:limit] if limit else items, start=1):
            yield SourceFeature(i, geometry, props, error)

    types = {g["type"] for g, _p, _e in items[:1000] if g}
    return Source(
        kind,
        "feature",
        parse_crs("EPSG:4326"),
        "KML (WGS 84)",
        _infer_fields([p for _g, p, _e in items[:1000]]),
        ", ".join(sorted(types)) or None,
        len(items),
        read,
    )


# --- CSV / XLSX ------------------------------------------------------------------------------------


def open_table(path: Path, kind: FileType, options: dict[str, Any], limit: int | None = None) -> Source:
    table = tabular.read_xlsx(path, options.get("sheet")) if kind == FileType.XLSX else tabular.read_csv(path)
    cols = tabular.coordinate_columns(table.headers, options)
    geometry_columns = {c for c in (cols.x, cols.y, cols.wkt) if c}
    rows = list(tabular.rows_as_dicts(table))

    def read(limit: int | None) -> Iterator[SourceFeature]:
        for number, values in rows[:limit] if limit else rows:
            props = {k: v for k, v in values.items() if k not in geometry_columns}
            if cols.x and cols.y:
                try:
                    x = tabular.number(values.get(cols.x))
                except ValueError as exc:
                    yield SourceFeature(
                        number, None, props, _("longitude (%(col)s) %(why)s") % {"col": cols.x, "why": exc}
                    )
                    continue
                try:
                    y = tabular.number(values.get(cols.y))
                except ValueError as exc:
                    yield SourceFeature(
                        number, None, props, _("latitude (%(col)s) %(why)s") % {"col": cols.y, "why": exc}
                    )
                    continue
                yield SourceFeature(number, {"type": "Point", "coordinates": [x, y]}, props)
            else:
                text = values.get(cols.wkt)
                try:
                    shape = shapely.from_wkt(str(text or "").strip())
                except shapely.errors.ShapelyError as exc:
                    yield SourceFeature(
                        number,
                        None,
                        props,
                        _("the WKT in %(col)s is not valid (%(why)s)") % {"col": cols.wkt, "why": exc},
                    )
                    continue
                if shape is None or shape.is_empty:
                    yield SourceFeature(
                        number, None, props, _("the WKT column %(col)s is empty") % {"col": cols.wkt}
                    )
                    continue
                yield SourceFeature(number, mapping(shapely.force_2d(shape)), props)

    fields = [{"name": h, "type": "string"} for h in table.headers if h and h not in geometry_columns]
    declared = "table (no CRS in the file)"
    return Source(
        kind,
        "row",
        None,
        declared,
        fields,
        "Point" if cols.x else None,
        len(rows),
        read,
    )


def open_source(path: Path, sniffed: Sniffed, options: dict[str, Any], workdir: Path) -> Source:
    kind = sniffed.type
    if kind == FileType.GEOJSON:
        return open_geojson(path)
    if kind == FileType.SHAPEFILE:
        return open_shapefile(path, options, workdir)
    if kind == FileType.GPKG:
        return open_gpkg(path, options)
    if kind in (FileType.KML, FileType.KMZ):
        return open_kml(path, kind, workdir)
    if kind in (FileType.CSV, FileType.XLSX):
        return open_table(path, kind, options)
    raise IngestError(_("A %(type)s is not a vector file.") % {"type": sniffed.label}, code="wrong_type")
