"""The inspection API and the problem ledger (问题台账).

- ``GET /api/inspections/`` (filter ``step``, ``project``) and ``POST /api/inspections/`` with
  ``project`` and ``problem``: report one;
- ``POST /api/inspections/<id>/advance/`` with ``text`` (the measures, or the rectification, when
  the step asks for them): take the current step;
- ``GET /api/inspections/export.xlsx``: the ledger of the caller's area, watermarked and audited.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Field, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditAction
from audit.writer import record
from core.exports import XLSX, watermarked_xlsx
from policy.actions import Action
from policy.drf import requires
from policy.predicates import visible
from policy.resources import INSPECTIONS, PROJECTS

from . import inspections
from .api import ProjectPagination, refusals
from .models import Inspection, InspectionStep

MayInspections = requires(
    INSPECTIONS,
    {"*": Action.READ},
    {Action.READ: _("The inspection ledger is for investment officers and leaders of their area.")},
)
LEDGER = (
    "id",
    "project",
    "step",
    "problem",
    "measures",
    "rectification",
    "reported_by",
    "created_at",
    "closed_at",
)


class InspectionSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    reported_by = serializers.CharField(source="reported_by.username", read_only=True)

    class Meta:
        model = Inspection
        fields = (*LEDGER, "project_code", "updated_at")
        read_only_fields = ("step", "measures", "rectification", "closed_at")


@extend_schema(tags=["projects"])
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """巡查问题: the problems found on the projects of your area, step by step to 销号."""

    serializer_class = InspectionSerializer
    permission_classes = [MayInspections]
    pagination_class = ProjectPagination
    queryset = Inspection.objects.none()

    def get_queryset(self) -> QuerySet[Inspection]:
        found = visible(self.request.user, INSPECTIONS).select_related("project", "reported_by")
        params = self.request.query_params
        if params.get("step"):
            if params["step"] not in InspectionStep.values:
                raise ValidationError(
                    {"step": [_("Choose one of: %(values)s.") % {"values": ", ".join(InspectionStep.values)}]}
                )
            found = found.filter(step=params["step"])
        if params.get("project", "").isdigit():
            found = found.filter(project_id=int(params["project"]))
        return found

    @extend_schema(
        summary="Report a problem found on a project.",
        request=inline_serializer(
            "ProblemReport", {"project": serializers.IntegerField(), "problem": serializers.CharField()}
        ),
        responses={201: InspectionSerializer},
    )
    def create(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        if not str(data.get("project", "")).isdigit():
            raise ValidationError({"project": [_("Give the id of the project the problem is on.")]})
        project = get_object_or_404(visible(request.user, PROJECTS), pk=int(data["project"]))
        with refusals():
            found = inspections.report(project, request.user, str(data.get("problem", "")))
        return Response(self.get_serializer(found).data, status=201)

    @extend_schema(
        summary="Take the problem's current step (text: the measures or the rectification it asks for).",
        request=inline_serializer("InspectionStepBody", {"text": serializers.CharField(required=False)}),
        responses={200: InspectionSerializer},
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str | None = None) -> Response:
        found = self.get_object()
        data = request.data if isinstance(request.data, dict) else {}
        with refusals():
            inspections.advance(found, request.user, str(data.get("text", "")))
        return Response(self.get_serializer(found).data)

    @extend_schema(
        summary="The problem ledger of your area as Excel, watermarked; the export is audited.",
        parameters=[OpenApiParameter("step", str, enum=InspectionStep.values)],
        responses={(200, XLSX): bytes},
    )
    def export(self, request: Request) -> HttpResponse:
        rows = self.get_queryset()
        record(AuditAction.EXPORT, object_type="projects.inspection", detail=request.query_params.dict())
        labels = dict(InspectionStep.choices)
        body = watermarked_xlsx(
            request.user,
            _("问题台账"),
            [str(cast(Field, Inspection._meta.get_field(name)).verbose_name) for name in LEDGER],
            (_row(found, labels) for found in rows.iterator(chunk_size=1000)),
        )
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="inspections-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"'
        )
        return response


def _row(found: Inspection, labels: dict[str, Any]) -> list[Any]:
    return [
        found.pk,
        f"{found.project.code} {found.project.name}",
        str(labels[found.step]),
        found.problem,
        found.measures,
        found.rectification,
        found.reported_by.get_username(),
        timezone.localtime(found.created_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(found.closed_at).strftime("%Y-%m-%d %H:%M") if found.closed_at else "",
    ]
