"""Reading zip archives without being hurt by them.

Refused before anything is extracted: absolute paths and ``..`` components (path traversal), links,
more than ``INGEST_ZIP_MAX_ENTRIES`` entries, a total uncompressed size over ``INGEST_ZIP_MAX_MB``,
and entries compressed more than ``INGEST_ZIP_MAX_RATIO`` to one (zip bombs). Extraction writes only
the chosen entries, under flat sanitised names in a directory we own, and counts the bytes as it
goes, so a lying header cannot push it past the limits either.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

from . import conf
from .report import IngestError

CHUNK = 1024 * 1024
RATIO_CHECK_MIN_BYTES = 1024 * 1024


def _bad_name(name: str) -> bool:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) or "\x00" in normal:
        return True
    return ".." in PurePosixPath(normal).parts


def check_archive(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Validate the whole archive's directory; return its file entries (directories left out)."""
    infos = archive.infolist()
    if len(infos) > conf.zip_max_entries():
        raise IngestError(
            _(
                "The zip archive has %(n)s entries; at most %(max)s are accepted. Zip only the files to "
                "import."
            )
            % {"n": len(infos), "max": conf.zip_max_entries()},
            code="unsafe_archive",
        )
    total = 0
    files = []
    for info in infos:
        if _bad_name(info.filename):
            raise IngestError(
                _(
                    "The zip entry %(name)r has an absolute path or '..' in its path, which could write "
                    "outside "
                    "the import folder (path traversal). Zip the files again from inside their folder."
                )
                % {"name": info.filename},
                code="unsafe_archive",
            )
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise IngestError(
                _("The zip entry %(name)r is a symbolic link; links are refused. Zip the files themselves.")
                % {"name": info.filename},
                code="unsafe_archive",
            )
        if info.is_dir():
            continue
        total += info.file_size
        if info.file_size > RATIO_CHECK_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > conf.zip_max_ratio():
                raise IngestError(
                    _(
                        "The zip entry %(name)r expands %(ratio).0f times (%(size)s bytes from %(packed)s): "
                        "it "
                        "looks like a zip bomb and is refused. Upload the file uncompressed or zip it "
                        "normally."
                    )
                    % {
                        "name": info.filename,
                        "ratio": ratio,
                        "size": info.file_size,
                        "packed": info.compress_size,
                    },
                    code="unsafe_archive",
                )
        files.append(info)
    if total > conf.zip_max_total_bytes():
        raise IngestError(
            _(
                "The zip archive would expand to %(total)s MB; at most %(max)s MB are accepted. Split the "
                "data "
                "into smaller archives."
            )
            % {"total": total // conf.MB, "max": conf.zip_max_total_bytes() // conf.MB},
            code="unsafe_archive",
        )
    return files


def open_zip(path: str | Path) -> zipfile.ZipFile:
    """The archive opened, or ``damaged_file`` when its central directory cannot be read."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(
            _(
                "The zip archive is damaged and cannot be opened (%(reason)s). Create the zip again and "
                "upload it."
            )
            % {"reason": exc},
            code="damaged_file",
        ) from exc


def open_checked(path: str | Path) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    archive = open_zip(path)
    try:
        return archive, check_archive(archive)
    except IngestError:
        archive.close()
        raise


def safe_name(name: str) -> str:
    """A flat file name with no directory part and nothing but safe characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]", "_", base, flags=re.UNICODE).lstrip(".")
    return cleaned or "entry"


def extract(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], target: Path) -> dict[str, Path]:
    """Extract ``infos`` flat into ``target``; returns original name -> extracted path."""
    budget = conf.zip_max_total_bytes()
    written = 0
    out: dict[str, Path] = {}
    for info in infos:
        dest = target / safe_name(info.filename)
        if dest.exists():
            raise IngestError(
                _("The zip archive holds two files named %(name)r in different folders; keep one.")
                % {"name": dest.name},
                code="invalid_file",
            )
        try:
            with archive.open(info) as src, open(dest, "wb") as dst:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    if written > budget:
                        raise IngestError(
                            _("The zip archive expands beyond %(max)s MB; it is refused.")
                            % {"max": budget // conf.MB},
                            code="unsafe_archive",
                        )
                    dst.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise IngestError(
                _("The zip entry %(name)r cannot be read (%(reason)s). Create the zip again and upload it.")
                % {"name": info.filename, "reason": exc},
                code="damaged_file",
            ) from exc
        out[info.filename] = dest
    return out
