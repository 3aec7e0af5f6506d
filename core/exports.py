"""Spreadsheet exports carry the 看数水印 (who exported the data, and when), as the pages do.

No export exists yet: the audit page's export and later ones build their workbooks here, so the
watermark cannot be forgotten. It goes three places, so that deleting a row does not remove it: the
first row of the sheet, the printed page header (what a paper copy shows), and the file's
properties (author and description)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO
from typing import Any, cast

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from rest_framework.renderers import BaseRenderer, JSONRenderer


def viewer_name(user: Any) -> str:
    """The name the watermark shows: the display name and the username (as the pages show it)."""
    return " ".join(part for part in (user.get_full_name().strip(), user.get_username()) if part)


def watermark_text(user: Any, when: datetime | None = None) -> str:
    moment = timezone.localtime(when or timezone.now())
    return _("看数水印：%(viewer)s 导出于 %(time)s") % {
        "viewer": viewer_name(user),
        "time": moment.strftime("%Y-%m-%d %H:%M %Z"),
    }


def watermarked_xlsx(
    user: Any,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    when: datetime | None = None,
) -> bytes:
    """An .xlsx of ``rows`` under ``header``, with the watermark above them (row 1, then a blank
    row), in the printed page header, and in the file's properties."""
    text = watermark_text(user, when)
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append([text])
    sheet["A1"].font = Font(color="808080", italic=True)
    sheet.append([])
    sheet.append(list(header))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A4"
    sheet.oddHeader.center.text = text
    sheet.evenHeader.center.text = text
    book.properties.creator = viewer_name(user)
    book.properties.description = text
    out = BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxRenderer(BaseRenderer):
    """Lets ``?format=xlsx`` through content negotiation; the view builds the workbook itself."""

    media_type = XLSX
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


class JsonOrXlsx:
    """A report view's answer as JSON, or with ``?format=xlsx`` as a workbook (``xlsx``); a refusal
    is the platform's JSON error even when a workbook was asked for."""

    renderer_classes: Any = [JSONRenderer, XlsxRenderer]

    def wants_xlsx(self) -> bool:
        return cast(Any, self).request.accepted_renderer.format == "xlsx"

    def handle_exception(self, exc: Exception) -> Any:
        view = cast(Any, self)
        view.request.accepted_renderer = JSONRenderer()
        view.request.accepted_media_type = JSONRenderer.media_type
        return cast(Any, super()).handle_exception(exc)

    def xlsx(
        self,
        *,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        object_type: str,
        object_id: str,
        filename: str,
    ) -> HttpResponse:
        """The watermarked workbook as a download, recorded in the audit log as an export."""
        from audit.models import AuditAction
        from audit.writer import record

        request = cast(Any, self).request
        body = watermarked_xlsx(request.user, title, header, rows)
        record(
            AuditAction.EXPORT,
            object_type=object_type,
            object_id=object_id,
            detail={"filters": request.query_params.dict(), "rows": len(rows)},
        )
        response = HttpResponse(body, content_type=XLSX)
        stamp = timezone.localtime()
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp:%Y%m%d-%H%M%S}.xlsx"'
        return response
