"""What a file really is, from its content: magic bytes, the root element of XML, a JSON parse.

The file name is never trusted: a JPEG renamed ``.tif`` is a JPEG. Each type maps onto the job kinds
that accept it, and a mismatch is explained in words a user understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from .report import IngestError
from .safezip import open_zip
from .xmlsafe import root_tag


class FileType(StrEnum):
    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"
    PDF = "pdf"
    SHAPEFILE = "shapefile"  # a zip holding a Shapefile
    KMZ = "kmz"
    XLSX = "xlsx"
    DOCX = "docx"
    OFD = "ofd"  # GB/T 33190 版式文档, the format of Chinese e-government documents
    ZIP = "zip"  # any other zip
    GPKG = "gpkg"
    SQLITE = "sqlite"
    GPX = "gpx"
    KML = "kml"
    XML = "xml"
    GEOJSON = "geojson"
    JSON = "json"
    NMEA = "nmea"
    CSV = "csv"
    EMPTY = "empty"
    UNKNOWN = "unknown"


LABELS = {
    FileType.TIFF: _l("TIFF image"),
    FileType.JPEG: _l("JPEG image"),
    FileType.PNG: _l("PNG image"),
    FileType.PDF: _l("PDF document"),
    FileType.SHAPEFILE: _l("zipped Shapefile"),
    FileType.KMZ: _l("KMZ (zipped KML)"),
    FileType.XLSX: _l("Excel workbook (XLSX)"),
    FileType.DOCX: _l("Word document (DOCX)"),
    FileType.OFD: _l("OFD document"),
    FileType.ZIP: _l("zip archive"),
    FileType.GPKG: _l("GeoPackage"),
    FileType.SQLITE: _l("SQLite database"),
    FileType.GPX: _l("GPX file"),
    FileType.KML: _l("KML file"),
    FileType.XML: _l("XML document"),
    FileType.GEOJSON: _l("GeoJSON file"),
    FileType.JSON: _l("JSON document"),
    FileType.NMEA: _l("NMEA log"),
    FileType.CSV: _l("CSV table"),
    FileType.EMPTY: _l("empty file"),
    FileType.UNKNOWN: _l("file of an unknown type"),
}

# Which job kinds take which content types.
KIND_TYPES: dict[str, frozenset[FileType]] = {
    "orthophoto": frozenset({FileType.TIFF}),
    "panorama": frozenset({FileType.JPEG}),
    "gps": frozenset({FileType.GPX, FileType.NMEA, FileType.CSV}),
    "vector": frozenset(
        {
            FileType.GEOJSON,
            FileType.SHAPEFILE,
            FileType.KML,
            FileType.KMZ,
            FileType.GPKG,
            FileType.CSV,
            FileType.XLSX,
        }
    ),
}
KIND_NEEDS = {
    "orthophoto": _l("a GeoTIFF"),
    "panorama": _l("a 360° JPEG photo"),
    "gps": _l("a GPX file, an NMEA log or a CSV with lon, lat and time columns"),
    "vector": _l("GeoJSON, a zipped Shapefile, KML/KMZ, a GeoPackage, or CSV/XLSX with coordinate columns"),
}

NMEA_LINE = re.compile(rb"^\$(GP|GN|GL|GA|GB|BD|QZ)[A-Z]{3},")
GEOJSON_TYPE = re.compile(
    rb'"type"\s*:\s*"(FeatureCollection|Feature|Point|MultiPoint|LineString|MultiLineString|Polygon|'
    rb'MultiPolygon|GeometryCollection)"'
)
HEAD = 64 * 1024


@dataclass
class Sniffed:
    type: FileType
    members: list[str] = field(default_factory=list)  # zip entries, for archives

    @property
    def label(self) -> str:
        return str(LABELS[self.type])


def sniff(path: str | Path) -> Sniffed:
    """Detect the type of the file at ``path`` from its content."""
    with open(path, "rb") as f:
        head = f.read(HEAD)
    if not head:
        return Sniffed(FileType.EMPTY)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Sniffed(FileType.TIFF)
    if head[:3] == b"\xff\xd8\xff":
        return Sniffed(FileType.JPEG)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return Sniffed(FileType.PNG)
    if head[:5] == b"%PDF-":
        return Sniffed(FileType.PDF)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _sniff_zip(path)
    if head[:16] == b"SQLite format 3\x00":
        # GeoPackage sets the SQLite application_id (offset 68) to "GPKG" (1.2+) or "GP1x" (1.0/1.1).
        app_id = head[68:72]
        if app_id == b"GPKG" or app_id[:2] == b"GP":
            return Sniffed(FileType.GPKG)
        return Sniffed(FileType.SQLITE)
    return _sniff_text(path, head)


def _sniff_zip(path: str | Path) -> Sniffed:
    with open_zip(path) as archive:
        names = archive.namelist()
    lower = [n.lower().replace("\\", "/") for n in names]
    if "[content_types].xml" in lower and any(n.startswith("xl/") for n in lower):
        return Sniffed(FileType.XLSX, names)
    if "[content_types].xml" in lower and any(n.startswith("word/") for n in lower):
        return Sniffed(FileType.DOCX, names)
    if "ofd.xml" in lower:
        return Sniffed(FileType.OFD, names)
    if any(n.endswith(".shp") for n in lower):
        return Sniffed(FileType.SHAPEFILE, names)
    if any(n.endswith(".kml") for n in lower):
        return Sniffed(FileType.KMZ, names)
    return Sniffed(FileType.ZIP, names)


def _text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # The head may cut a multi-byte character in two; ignore only the very end.
            return head.decode(encoding) if len(head) < HEAD else head[:-4].decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _sniff_text(path: str | Path, head: bytes) -> Sniffed:
    text = _text(head)
    if text is None:
        return Sniffed(FileType.UNKNOWN)
    stripped = text.lstrip()
    if stripped.startswith("<"):
        tag = root_tag(path)
        local = tag.rsplit("}", 1)[-1].lower() if tag else ""
        if local == "gpx":
            return Sniffed(FileType.GPX)
        if local == "kml":
            return Sniffed(FileType.KML)
        return Sniffed(FileType.XML)
    if stripped.startswith(("{", "[")):
        return Sniffed(FileType.GEOJSON if GEOJSON_TYPE.search(head) else FileType.JSON)
    lines = [line.strip() for line in head.splitlines() if line.strip()][:20]
    if lines and sum(1 for line in lines if NMEA_LINE.match(line)) >= max(1, len(lines) // 2):
        return Sniffed(FileType.NMEA)
    first = stripped.splitlines()[0] if stripped else ""
    if any(sep in first for sep in (",", ";", "\t", "|")):
        return Sniffed(FileType.CSV)
    return Sniffed(FileType.UNKNOWN)


def check_kind(kind: str, sniffed: Sniffed, filename: str = "") -> None:
    """Raise IngestError if a job of ``kind`` cannot take this content."""
    if sniffed.type in KIND_TYPES[kind]:
        return
    named = ""
    suffix = Path(filename).suffix.lower()
    if suffix:
        named = _(" (whatever its name %(name)s says)") % {"name": filename}
    if sniffed.type == FileType.EMPTY:
        raise IngestError(_("The file is empty. Upload the file again; the transfer may have been cut."))
    if sniffed.type == FileType.SQLITE:
        raise IngestError(
            _("The file is an SQLite database but not a GeoPackage. Export the data as a GeoPackage (.gpkg).")
        )
    if sniffed.type == FileType.UNKNOWN:
        raise IngestError(
            _("The file type is not recognised from its content%(named)s; a %(kind)s import needs %(needs)s.")
            % {"named": named, "kind": kind, "needs": KIND_NEEDS[kind]},
            code="wrong_type",
        )
    if sniffed.type == FileType.ZIP:
        raise IngestError(
            _(
                "The zip archive holds no Shapefile (.shp), KML or spreadsheet. Zip the .shp, .shx, .dbf and "
                ".prj files of one Shapefile together and upload that."
            )
        )
    raise IngestError(
        _("The file is a %(found)s%(named)s, detected from its content; a %(kind)s import needs %(needs)s.")
        % {"found": sniffed.label, "named": named, "kind": kind, "needs": KIND_NEEDS[kind]},
        code="wrong_type",
    )


def kind_for(sniffed: Sniffed) -> str | None:
    """The natural job kind for this content, when the user did not name one."""
    if sniffed.type == FileType.TIFF:
        return "orthophoto"
    if sniffed.type == FileType.JPEG:
        return "panorama"
    if sniffed.type in (FileType.GPX, FileType.NMEA):
        return "gps"
    if sniffed.type in KIND_TYPES["vector"]:
        return "vector"
    return None
