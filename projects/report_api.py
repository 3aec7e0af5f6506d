"""The project reports and KPIs over HTTP (issue 14 "Reports"). What each report lists and what each
KPI key means is in ``projects.reports``; this module is the addresses, the paging and the files.

- ``GET /api/projects/reports/``: the catalogue, ``{"reports": [{"name", "title", "url",
  "export"}], "kpis": "/api/projects/kpis/"}``. The problem ledger (``inspections``) is listed with
  its own addresses (``/api/inspections/``, ``/api/inspections/export.xlsx``), for those who may
  read it.
- ``GET /api/projects/reports/<name>/``: ``{"name", "title", "columns": [{"key", "label",
  "type"}], "rows": [{key: value}], "count", "page", "page_size"}``. It takes the project list's
  filters (``projects.listing``), ``from`` and ``to`` (YYYY-MM-DD, inclusive), and is paged:
  ``page`` (from 1) and ``page_size`` (default 100, at most 1000); ``count`` counts every row.
  ``type`` says how to show a value: text, number (万元 amounts), integer, date (ISO), datetime
  (local, ``YYYY-MM-DD HH:MM``), bool, stage and transfer (both already translated labels).
- ``GET /api/projects/reports/<name>/export.xlsx``: the whole report (same parameters, no paging)
  as a watermarked workbook, audited. Above ``PROJECT_REPORT_INLINE_ROWS`` rows (settings) the
  answer is ``202 {"job": {"id", "status", "progress", "url"}}`` instead; asking again while that
  job runs returns the same job.
- ``GET /api/projects/report-jobs/<id>/``: ``{"id", "status", "progress", "download", "report",
  "rows", "error", "created_at", "finished_at"}``; ``download`` is null until the file is ready.
- ``GET /api/projects/report-jobs/<id>/file``: the workbook (409 until it is ready); each
  download is audited.
- ``GET /api/projects/kpis/?year=&month=``: the KPIs, with the same list filters (``division`` to
  look at one county).

Every answer covers the caller's area only (本级及下级) and is for roles that read projects (401
anonymous, 403 investors and other roles). A report job is its submitter's (``REPORT_JOBS`` in
``policy/resources.py``): anybody else gets the 404 of a job that does not exist, so job numbers
tell nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from audit.models import AuditAction
from audit.writer import record
from core.errors import Rejected
from core.exports import XLSX, watermarked_xlsx
from jobs.models import JobStatus
from jobs.runner import enqueue
from policy.actions import Action
from policy.drf import requires
from policy.predicates import visible
from policy.resources import INSPECTIONS, PROJECTS, REPORT_JOBS
from policy.rules import role_allows

from . import reports
from .listing import PARAMETERS
from .models import ReportJob

PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000
MayReports = requires(
    PROJECTS,
    {"*": Action.READ},
    # Lazy: translated into the caller's language when refused, not at import.
    {
        Action.READ: cast(
            str,
            _lazy("Project reports are for investment officers, leaders and park managers of their area."),
        )
    },
)
TAGS = ["projects"]
FILTERS = [
    OpenApiParameter(name, str, description="A filter of the project list (see GET /api/projects/).")
    for name in PARAMETERS
    if name != "order"  # a report keeps its own order
]
PERIOD = [
    OpenApiParameter("from", str, description="First date (YYYY-MM-DD) of the report's date, inclusive."),
    OpenApiParameter("to", str, description="Last date (YYYY-MM-DD), inclusive."),
]


def _report(name: str) -> reports.Report:
    report = reports.REPORTS.get(name)
    if report is None:
        raise NotFound(
            _("No report named %(name)s. The catalogue at /api/projects/reports/ lists them: %(names)s.")
            % {"name": name, "names": ", ".join(reports.REPORTS)}
        )
    return report


def _positive(request: Request, name: str, default: int, most: int | None = None) -> int:
    raw = request.query_params.get(name, "").strip()
    value = int(raw) if raw.isdigit() else (default if not raw else 0)
    if value < 1 or (most is not None and value > most):
        limit = _("up to %(most)s") % {"most": most} if most else ""
        raise ValidationError({name: [_("Give a whole number from 1 %(limit)s.") % {"limit": limit}]})
    return value


def _xlsx(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _own_jobs(request: Request) -> Any:
    """The report jobs the caller may read: their own."""
    return visible(request.user, REPORT_JOBS)


def _job_url(job: ReportJob) -> str:
    return reverse("project-report-job", args=[job.pk])


def _job_body(job: ReportJob) -> dict[str, Any]:
    done = job.status == JobStatus.SUCCEEDED
    return {
        "id": job.pk,
        "status": job.status,
        "progress": job.progress,
        "download": reverse("project-report-job-file", args=[job.pk]) if done else None,
        "report": job.report_name,
        "rows": job.rows,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


# "label" is a field of the answer and an attribute of every serializer: declared as a mapping.
REPORT_COLUMN = inline_serializer(
    "ProjectReportColumn",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(help_text="Translated."),
        "type": serializers.CharField(
            help_text="text, number, integer, date, datetime, bool, stage or transfer."
        ),
    },
    many=True,
)
JOB_SUMMARY = inline_serializer(
    "ProjectReportJobQueued",
    {
        "job": inline_serializer(
            "ProjectReportJobRef",
            {
                "id": serializers.IntegerField(),
                "status": serializers.ChoiceField(choices=JobStatus.choices),
                "progress": serializers.IntegerField(),
                "url": serializers.CharField(help_text="Poll this address for the job's status."),
            },
        )
    },
)
JOB = inline_serializer(
    "ProjectReportJob",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=JobStatus.choices),
        "progress": serializers.IntegerField(help_text="0 to 100."),
        "download": serializers.CharField(
            allow_null=True, help_text="The file's address once ready, else null."
        ),
        "report": serializers.CharField(),
        "rows": serializers.IntegerField(help_text="Rows counted when asked; rows written once done."),
        "error": serializers.CharField(help_text="Why the job failed, and what to do."),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
    },
)


class ReportCatalogueView(APIView):
    """报表目录: the reports of the investment projects, and the KPI address."""

    permission_classes = [MayReports]

    @extend_schema(
        tags=TAGS,
        operation_id="projects_reports_catalogue",
        summary="The catalogue of project reports (titles translated) and the KPI address.",
        responses=inline_serializer(
            "ProjectReportCatalogue",
            {
                "reports": inline_serializer(
                    "ProjectReportEntry",
                    {
                        "name": serializers.CharField(),
                        "title": serializers.CharField(),
                        "url": serializers.CharField(help_text="The report as JSON."),
                        "export": serializers.CharField(help_text="The report as a watermarked workbook."),
                    },
                    many=True,
                ),
                "kpis": serializers.CharField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        entries = [
            {
                "name": name,
                "title": str(report.title),
                "url": reverse("project-report", args=[name]),
                "export": reverse("project-report-export", args=[name]),
            }
            for name, report in reports.REPORTS.items()
        ]
        if role_allows(request.user, INSPECTIONS, Action.READ):
            entries.append(
                {
                    "name": "inspections",
                    "title": _("问题台账"),
                    "url": reverse("inspection-list"),
                    "export": reverse("inspection-export"),
                }
            )
        return Response({"reports": entries, "kpis": reverse("project-kpis")})


class ReportView(APIView):
    """One report as JSON, paged."""

    permission_classes = [MayReports]

    @extend_schema(
        tags=TAGS,
        summary="One report's rows (paged; count is every row's), for your area and filters.",
        description=reports.__doc__,
        parameters=[
            *FILTERS,
            *PERIOD,
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter(
                "page_size", int, description=f"Rows per page, default {PAGE_SIZE}, at most 1000."
            ),
        ],
        responses=inline_serializer(
            "ProjectReport",
            {
                "name": serializers.CharField(),
                "title": serializers.CharField(),
                "columns": REPORT_COLUMN,
                "rows": serializers.ListField(child=serializers.DictField()),
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "page_size": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request, name: str) -> Response:
        report = _report(name)
        params = request.query_params
        period = reports.period_from(params)
        number = _positive(request, "page", 1)
        size = _positive(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        return Response(
            {
                "name": report.name,
                "title": str(report.title),
                "columns": reports.catalogue_columns(report),
                "rows": reports.page(report, request.user, params, period, size, (number - 1) * size),
                "count": reports.count(report, request.user, params, period),
                "page": number,
                "page_size": size,
            }
        )


class ReportExportView(APIView):
    """One report as a watermarked workbook, or a job building it when it is large."""

    permission_classes = [MayReports]

    @extend_schema(
        tags=TAGS,
        summary="The whole report as a watermarked Excel workbook (audited); 202 with a job when large.",
        parameters=[*FILTERS, *PERIOD],
        responses={(200, XLSX): bytes, 202: JOB_SUMMARY},
    )
    def get(self, request: Request, name: str) -> HttpResponse | Response:
        report = _report(name)
        params = request.query_params
        period = reports.period_from(params)
        rows = reports.count(report, request.user, params, period)
        if rows > settings.PROJECT_REPORT_INLINE_ROWS:
            return self._queue(request, report, rows)
        body = watermarked_xlsx(
            request.user,
            str(report.title),
            report.header(),
            reports.sheet_rows(report, request.user, params, period),
        )
        record(
            AuditAction.EXPORT,
            object_type="projects.report",
            object_id=report.name,
            detail={"filters": params.dict(), "rows": rows},
        )
        return _xlsx(body, f"{report.name}-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx")

    def _queue(self, request: Request, report: reports.Report, rows: int) -> Response:
        query = request.query_params.dict()
        with transaction.atomic():
            job = (
                _own_jobs(request)
                .defer("content")
                .filter(
                    report_name=report.name, query=query, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
                )
                .first()
            )
            if job is None:
                job = ReportJob.objects.create(
                    report_name=report.name,
                    query=query,
                    created_by=cast(User, request.user),
                    rows=rows,
                    language=get_language() or "",
                )
                enqueue(job)
        url = _job_url(job)
        return Response(
            {"job": {"id": job.pk, "status": job.status, "progress": job.progress, "url": url}},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )


class ReportJobView(APIView):
    """A report export job of yours: status, progress and, when done, the file's address."""

    permission_classes = [MayReports]

    @extend_schema(tags=TAGS, summary="A report export job of yours (404 for anybody else's).", responses=JOB)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_job_body(get_object_or_404(_own_jobs(request).defer("content"), pk=pk)))


class ReportJobFileView(APIView):
    """The workbook a report job of yours built; each download is audited."""

    permission_classes = [MayReports]

    @extend_schema(
        tags=TAGS,
        summary="The workbook of a finished report job of yours (409 until ready); audited.",
        responses={(200, XLSX): bytes},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        job = get_object_or_404(_own_jobs(request), pk=pk)
        if job.status != JobStatus.SUCCEEDED or job.content is None:
            message = _(
                "The export is not ready (%(status)s); poll %(url)s until it has a download address."
            ) % {
                "status": job.get_status_display(),
                "url": _job_url(job),
            }
            raise Rejected(f"{message} {job.error}".strip(), code="not_ready", status_code=409)
        record(
            AuditAction.EXPORT,
            object_type="projects.report",
            object_id=job.report_name,
            detail={"filters": job.query, "rows": job.rows, "job": job.pk},
        )
        stamp = timezone.localtime(job.finished_at or job.created_at)
        return _xlsx(bytes(job.content), f"{job.report_name}-{stamp:%Y%m%d-%H%M%S}.xlsx")


# --- the KPI answer's shape, for the schema (the keys are explained in projects.reports) ----------


class KpiCountAmountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    investment_wan = serializers.FloatField()


class KpiMonthSerializer(serializers.Serializer):
    introduced = serializers.IntegerField(help_text="Projects introduced (signed) in the month.")
    investment_wan = serializers.FloatField()


class KpiChangeSerializer(serializers.Serializer):
    introduced = serializers.FloatField(
        allow_null=True, help_text="Change as a rate (0.6 = +60 %); null from 0."
    )
    investment_wan = serializers.FloatField(allow_null=True)


class KpiCompletionSerializer(serializers.Serializer):
    new_projects = serializers.FloatField(allow_null=True, help_text="Introduced ÷ target (1.0 = met).")
    investment = serializers.FloatField(allow_null=True, help_text="Investment ÷ target; null without one.")


class KpiTargetSerializer(serializers.Serializer):
    new_projects = serializers.IntegerField()
    investment_wan = serializers.FloatField()


class KpiMedianSerializer(serializers.Serializer):
    days = serializers.FloatField(allow_null=True, help_text="Median calendar days; null without projects.")
    projects = serializers.IntegerField(help_text="How many projects the median is over.")


class KpiMediansSerializer(serializers.Serializer):
    signed_to_production = KpiMedianSerializer()
    completed_to_production = KpiMedianSerializer()
    production_to_target = KpiMedianSerializer()


class KpiCountsSerializer(serializers.Serializer):
    projects = serializers.IntegerField(help_text="Every project of the scope now.")
    in_reserve = serializers.IntegerField(help_text="In the reserve pool (备选库).")
    by_stage = serializers.DictField(
        child=serializers.IntegerField(), help_text="stage → count, every stage."
    )
    introduced = serializers.IntegerField(help_text="Introduced (signed) in the year.")


class KpiInvestmentSerializer(serializers.Serializer):
    planned_wan = serializers.FloatField(help_text="Planned investment of the year's introduced projects.")
    annual_wan = serializers.FloatField(
        help_text="Annual planned investment of every project at or after 签约."
    )


class KpiExpectedSerializer(serializers.Serializer):
    output_wan = serializers.FloatField()
    tax_wan = serializers.FloatField()


class KpiCountySerializer(serializers.Serializer):
    division = serializers.CharField(help_text="The county's code (the city's own for city-direct projects).")
    name = serializers.CharField()
    introduced = serializers.IntegerField()
    investment_wan = serializers.FloatField()
    target = KpiTargetSerializer(allow_null=True)
    completion = KpiCompletionSerializer()


KPI_INDUSTRY = inline_serializer(
    "ProjectKpiIndustry",
    {
        "industry": serializers.CharField(),
        "label": serializers.CharField(help_text="The industry, or a label for projects without one."),
        "introduced": serializers.IntegerField(),
        "investment_wan": serializers.FloatField(),
        "completion": KpiCompletionSerializer(help_text="Its share of the targets."),
    },
    many=True,
)


class KpiPeriodsSerializer(serializers.Serializer):
    this_month = KpiMonthSerializer()
    last_month = KpiMonthSerializer()
    same_month_last_year = KpiMonthSerializer()
    month_on_month = KpiChangeSerializer()
    year_on_year = KpiChangeSerializer()


class ProjectKpisSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    division = serializers.CharField(allow_null=True, help_text="The division filter's code, if any.")
    counts = KpiCountsSerializer()
    investment = KpiInvestmentSerializer()
    billion_projects = KpiCountAmountSerializer(help_text="Introduced in the year, ¥1 bn or more.")
    foreign_capital = KpiCountAmountSerializer(help_text="Introduced in the year, with foreign capital.")
    expected = KpiExpectedSerializer(help_text="Expected annual output and tax of the year's introduced.")
    signed_not_registered = serializers.IntegerField(help_text="已签约未注册.")
    completed_not_producing = serializers.IntegerField(help_text="已竣工未投产: at 竣工 now.")
    producing_below_target = serializers.IntegerField(help_text="已投产未达产: at 投产 now.")
    median_days = KpiMediansSerializer()
    target = KpiTargetSerializer(allow_null=True, help_text="The sum of the targets in by_county.")
    completion = KpiCompletionSerializer()
    by_county = KpiCountySerializer(many=True)
    by_industry = KPI_INDUSTRY
    periods = KpiPeriodsSerializer()


class KpiView(APIView):
    """招商指标: the KPIs of your area for a year and month."""

    permission_classes = [MayReports]

    @extend_schema(
        tags=TAGS,
        summary="The investment KPIs of your area: counts, investment, states, medians, targets, periods.",
        description=reports.__doc__,
        parameters=[
            OpenApiParameter("year", int, description="The year (default this year)."),
            OpenApiParameter(
                "month", int, description="The month of the period comparison, 1–12 (default now)."
            ),
            *FILTERS,
        ],
        responses=ProjectKpisSerializer,
    )
    def get(self, request: Request) -> Response:
        year, month = reports.year_month(request.query_params)
        return Response(reports.kpis(request.user, request.query_params, year, month))
