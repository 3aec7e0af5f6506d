"""Exported spreadsheets carry the 看数水印 (core/exports.py): viewer and time in the first row, the
printed page header and the file's properties."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from accounts.models import User
from core.exports import watermarked_xlsx

pytestmark = [pytest.mark.django_db]


def test_xlsx_export_carries_viewer_and_time():
    user = User.objects.create_user("officer7", first_name="王晓明")
    when = datetime(2026, 3, 4, 9, 26, tzinfo=ZoneInfo("Asia/Shanghai"))
    data = watermarked_xlsx(user, "地块", ["编号", "面积（亩）"], [["T-01", 12.5], ["T-02", 3]], when=when)

    book = load_workbook(BytesIO(data))
    sheet = book.active
    first = sheet["A1"].value
    assert "officer7" in first and "王晓明 officer7" in first and "2026-03-04 09:26" in first
    assert sheet.oddHeader.center.text == first
    assert book.properties.description == first
    # The data follow under their header, unchanged.
    assert [c.value for c in sheet[3]] == ["编号", "面积（亩）"]
    assert [c.value for c in sheet[4]] == ["T-01", 12.5]
    assert sheet.max_row == 5
