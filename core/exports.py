"""Spreadsheet exports carry the 看数水印 (who exported the data, and when), as the pages do.

No export exists yet: the audit page's export and later ones build their workbooks here, so the
watermark cannot be forgotten. It goes three places, so that deleting a row does not remove it: the
first row of the sheet, the printed page header (what a paper copy shows), and the file's
properties (author and description)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font


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
