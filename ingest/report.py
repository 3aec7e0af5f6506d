"""What a job tells its user: counts, warnings and errors, each error with where it is and why.

``IngestError`` is a problem with the whole file (it cannot be read, it is not what it claims to be);
row-level problems go into the ``Report`` and a job with any error writes nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils.translation import gettext_lazy as _

from jobs.errors import JobFailed

from . import conf

# What a report's row numbers count, for messages (the report itself keeps the plain key).
UNITS = {
    "row": (_("row"), _("rows")),
    "feature": (_("feature"), _("features")),
    "track": (_("track"), _("tracks")),
}


def unit_name(unit: str, plural: bool = False) -> str:
    names = UNITS.get(unit)
    return str(names[plural]) if names else unit


class IngestError(JobFailed):
    """The file cannot be ingested; ``message`` names the problem and says what to do next."""

    def __init__(self, message: str, code: str = "invalid_file", field: str | None = None) -> None:
        super().__init__(message, code, field)


class Report:
    """Counts, warnings and errors. ``unit`` names what ``row`` counts: row, feature, line, track..."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.error_count = 0
        self.warning_count = 0
        self.info: dict[str, Any] = {}
        self._cap = conf.max_report_items()

    @staticmethod
    def _item(reason: str, row: int | None, unit: str, field: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {"row": row, "unit": unit if row is not None else None, "reason": reason}
        if field:
            item["field"] = field
        if row is not None:
            item["where"] = f"{unit} {row}"
        return item

    def error(self, reason: str, row: int | None = None, unit: str = "row", field: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < self._cap:
            self.errors.append(self._item(reason, row, unit, field))

    def warn(self, reason: str, row: int | None = None, unit: str = "row", field: str | None = None) -> None:
        self.warning_count += 1
        if len(self.warnings) < self._cap:
            self.warnings.append(self._item(reason, row, unit, field))

    def drop(self, why: str, n: int = 1) -> None:
        if n:
            self.dropped[why] += int(n)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def as_dict(self) -> dict[str, Any]:
        counts = dict(self.counts)
        counts["errors"] = self.error_count
        counts["warnings"] = self.warning_count
        if self.dropped:
            counts["dropped"] = dict(self.dropped)
        out: dict[str, Any] = {"counts": counts, "warnings": self.warnings, "errors": self.errors}
        if self.error_count > len(self.errors) or self.warning_count > len(self.warnings):
            out["truncated"] = True
        out.update(self.info)
        return out
