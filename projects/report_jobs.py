"""A large report export as a job of the jobs engine (``jobs.registry``).

The request that asks for an export of more than ``PROJECT_REPORT_INLINE_ROWS`` rows gets a
``ReportJob`` instead of the file (``projects.report_api``). The worker builds the same watermarked
workbook the request would have, with the submitter's scope and filters as they stand when it runs,
in the submitter's language (the runner's), publishing progress as rows are written. The file is
stored on the job row in the runner's final transaction, so a worker that dies leaves nothing
behind; the download is audited (``projects.report_api``), as the data leaves the server then.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.exports import watermarked_xlsx
from jobs.errors import JobFailed
from jobs.registry import Processor, register
from jobs.runner import Context

from . import reports
from .models import ReportJob, ReportJobKind

PROGRESS_EVERY = 500  # rows between progress reports (each also a cancellation checkpoint)


@dataclass
class Built:
    content: bytes
    rows: int


@register(model=ReportJob, kind=ReportJobKind.XLSX)
class ReportExport(Processor):
    def prepare(self, job: ReportJob, ctx: Context) -> Built:
        job = ReportJob.objects.select_related("created_by").get(pk=job.pk)
        user = job.created_by
        report = reports.REPORTS.get(job.report_name)
        if user is None or not user.is_active or report is None:
            raise JobFailed(_("The export's user or report no longer exists; ask for the export again."))
        period = reports.period_from(job.query)
        total = max(reports.count(report, user, job.query, period), 1)
        written = 0

        def tracked() -> Iterator[list[Any]]:
            nonlocal written
            for row in reports.sheet_rows(report, user, job.query, period):
                written += 1
                if written % PROGRESS_EVERY == 0:
                    ctx.progress(written / total, "writing", 0, 95)
                yield row

        content = watermarked_xlsx(user, str(report.title), report.header(), tracked())
        return Built(content, written)

    def commit(self, job: ReportJob, ctx: Context, prepared: Built) -> dict[str, Any]:
        ctx.report.counts["rows"] = prepared.rows
        return {"content": prepared.content, "rows": prepared.rows}
