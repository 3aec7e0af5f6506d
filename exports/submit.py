"""Accepting an export: who asks, what, in which format and CRS; then the job, queued on commit.

Everything that can be refused at once is refused here (an unknown layer, a bad filter, a report
in a map format, a CRS that is not an EPSG code), as the matching API would refuse it, so a job
only fails for what changes between the request and the run.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import status

from audit.models import AuditAction
from audit.writer import record
from core.errors import Rejected
from layers.crs import CRSError, parse_crs
from policy.predicates import home_division_code, may_export

from . import sources
from .formats.shapefile import ENCODINGS
from .models import TABULAR_FORMATS, ExportFormat, ExportJob
from .scope import stamp

OPTIONS = frozenset({"crs", "encoding"})


def check_options(kind: str, geographic: bool, raw: Any) -> dict[str, Any]:
    """``crs`` (an EPSG code among the platform's: 4326, 4490, 3857, the CGCS2000 Gauss-Krüger
    zones; KML is always EPSG:4326) and ``encoding`` (Shapefile: utf-8 or gbk)."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict):
        raise Rejected(_('Give options as an object, e.g. {"crs": "EPSG:4490"}.'), "invalid", "options")
    unknown = sorted(set(raw) - OPTIONS)
    if unknown:
        raise Rejected(
            _("Unknown option %(names)s; the options are crs and encoding.") % {"names": ", ".join(unknown)},
            "invalid",
            "options",
        )
    options: dict[str, Any] = {}
    if raw.get("crs") not in (None, ""):
        if not geographic:
            raise Rejected(_("This source has no geometry, so it takes no crs."), "invalid", "crs")
        try:
            crs = parse_crs(raw["crs"])
        except CRSError as exc:
            raise Rejected(str(exc), "invalid_crs", "crs") from exc
        if crs.epsg is None:
            raise Rejected(
                _("%(crs)s is for maps on screen: export in EPSG:4326, EPSG:4490 or a CGCS2000 zone.")
                % {"crs": crs.key},
                "invalid_crs",
                "crs",
            )
        if kind == ExportFormat.KML and crs.epsg != 4326:
            raise Rejected(
                _("KML is always in WGS 84 (EPSG:4326); leave crs out, or choose GeoPackage for %(crs)s.")
                % {"crs": crs.key},
                "invalid_crs",
                "crs",
            )
        options["crs"] = crs.key
    if raw.get("encoding") not in (None, ""):
        if kind != ExportFormat.SHAPEFILE:
            raise Rejected(
                _("encoding is a Shapefile option; other formats are always UTF-8."), "invalid", "encoding"
            )
        encoding = str(raw["encoding"]).strip().lower().replace("_", "-")
        encoding = {"utf8": "utf-8", "cp936": "gbk", "936": "gbk"}.get(encoding, encoding)
        if encoding not in ENCODINGS:
            raise Rejected(_("encoding is utf-8 (the default) or gbk."), "invalid", "encoding")
        options["encoding"] = encoding
    return options


def submit(user: Any, data: dict[str, Any]) -> ExportJob:
    """Check the request, create the job, record the export in the audit log, queue the job."""
    from jobs.runner import enqueue

    if not may_export(user):
        raise Rejected(
            _("Exports are for people with an account: log in first."),
            "permission_denied",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    kind = data["format"]
    checked = sources.check(user, data["source"], data.get("layer"), data.get("report"), data.get("params"))
    if not checked.geographic and kind not in TABULAR_FORMATS:
        raise Rejected(
            _("%(what)s has no geometry, so it cannot be written as %(format)s: choose csv or xlsx.")
            % {"what": checked.report or checked.source, "format": ExportFormat(kind).label},
            "format_not_available",
            "format",
        )
    options = check_options(kind, checked.geographic, data.get("options"))
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind,
            source=checked.source,
            layer=checked.layer,
            report_name=checked.report,
            params=checked.params,
            options=options,
            created_by=user,
            division_code=home_division_code(user),
            scope=stamp(user, checked.layer),
            language=translation.get_language() or "",
        )
        record(
            AuditAction.EXPORT,
            object_type="exports.exportjob",
            object_id=job.pk,
            detail={
                "step": "submitted",
                "format": kind,
                "source": checked.source,
                "layer": checked.layer,
                "report": checked.report,
                "filters": checked.params,
                "options": options,
                # Whether the file will hold personal data unmasked (the role's, at submit time).
                "personal_data": "unmasked" if job.scope["personal_data"] else "masked",
            },
        )
        enqueue(job)
    return job
