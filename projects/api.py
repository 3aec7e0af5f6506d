"""``/api/projects/``: the investment projects of the caller's area, and their workflow actions.

- list, create (officers), read, and ``PATCH`` with ``If-Match: "<version>"`` (412 when stale);
- ``POST /api/projects/<id>/actions/<action>/`` with ``comment`` / ``reason`` / ``to`` (a county
  id, for ``transfer``) / ``signing_date``: the actions of ``projects.workflow``;
- ``GET /api/projects/<id>/events/``: the timeline;
- ``GET|POST /api/projects/<id>/attachments/``: every version of its documents; a multipart
  upload of ``kind`` and ``file`` adds the next version of that kind;
- ``GET /api/projects/<id>/map/``: its sites and carriers as GeoJSON, for the project page;
- ``/api/projects/views/``: the caller's saved views of the list.

The list takes the filters of ``projects.listing``. A project read alone also carries its
``checklist``: the fields and attachments the stage it is heading for asks for, and which are done.

Each project carries ``actions``: what the caller may do now, and only that. A move the stage does
not allow is a 409 listing the allowed ones; missing fields a 400 naming each; a carrier another
live project holds a 409 naming that project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from core.errors import Rejected
from core.refusals import Conflict, answered
from layers.history import history_entries
from layers.models import Division, Enterprise, ProjectSite, ProjectStage
from pipeline.models import LeadStatus
from policy.actions import Action
from policy.drf import requires
from policy.predicates import (
    can_create_project,
    can_update_project,
    may_read_lead,
    read_filter,
    visible,
    visible_projects,
)
from policy.resources import PROJECTS, SAVED_VIEWS

from . import attachments, carriers, notify, workflow
from .listing import PARAMETERS, filter_projects
from .models import AttachmentKind, Project, ProjectAttachment, ProjectEvent, SavedView

MayProjects = requires(
    PROJECTS,
    {"GET": Action.READ, "POST": Action.READ, "PATCH": Action.UPDATE, "PUT": Action.UPDATE},
    {Action.READ: _("Projects are for investment officers, leaders and park managers of their area.")},
)


@contextmanager
def refusals() -> Iterator[None]:
    """The workflow's refusals in the platform's error shape: not now (409, with what is allowed),
    missing input (400, naming it), not yours (403), a carrier held elsewhere (409, naming it)."""
    try:
        with answered():
            yield
    except carriers.DoubleBooked as exc:
        raise Conflict(exc.message, holder=exc.holder.code) from exc
    except attachments.Refused as exc:
        raise Rejected(exc.message, code=exc.code, field="file", status_code=exc.status) from exc


class Stale(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"


class EventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default="", read_only=True)

    class Meta:
        model = ProjectEvent
        fields = ("at", "user", "kind", "from_stage", "to_stage", "review", "comment")


class ProjectSerializer(serializers.ModelSerializer):
    actions = serializers.SerializerMethodField(help_text="What the caller may do now.")
    owner: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="项目负责人变更: hand the project to an officer who may run it (the creator on create).",
    )

    class Meta:
        model = Project
        fields: tuple[str, ...] = (
            "id",
            "code",
            "unified_code",
            "name",
            "industry",
            "investment_wan",
            "annual_investment_wan",
            "expected_output_wan",
            "expected_tax_wan",
            "foreign_capital",
            "city_direct",
            "office",
            "progress_percent",
            "enterprise",
            "stage",
            "stage_entered_at",
            "pending",
            "pending_stage",
            "pending_division",
            "returned_reason",
            "division",
            "division_code",
            "park",
            "owner",
            "lead",
            "parcels",
            "buildings",
            "in_reserve",
            "signing_date",
            "ended_at",
            "end_reason",
            "card",
            "due_on",
            "version",
            "created_at",
            "updated_at",
            "actions",
        )
        read_only_fields = (
            "code",
            "stage",
            "stage_entered_at",
            "pending",
            "pending_stage",
            "pending_division",
            "returned_reason",
            "division_code",
            "in_reserve",
            "signing_date",
            "ended_at",
            "end_reason",
            "version",
        )

    def get_actions(self, project: Project) -> list[str]:
        return workflow.available(project, self.context["request"].user)

    def validate_owner(self, owner: Any) -> Any:
        """The new owner must be someone who may run this project (an officer of its area)."""
        project = self.instance
        if project is not None and owner.pk != project.owner_id and not can_update_project(owner, project):
            raise serializers.ValidationError(
                _("%(name)s may not run projects of this county; hand it to one of its officers.")
                % {"name": owner.get_username()}
            )
        return owner

    def validate_lead(self, lead: Any) -> Any:
        """A lead converts once, by someone who may read it; the project keeps its carriers."""
        if lead is None:
            return lead
        if self.instance is not None and self.instance.lead_id != lead.pk:
            raise serializers.ValidationError(_("A project's lead is set when the project is created."))
        if self.instance is None:
            if not may_read_lead(self.context["request"].user, lead):
                raise serializers.ValidationError(_("No such lead in your area."))
            if hasattr(lead, "project"):
                raise serializers.ValidationError(
                    _("This lead is already project %(code)s.") % {"code": lead.project.code}
                )
        return lead


class ProjectDetailSerializer(ProjectSerializer):
    checklist = serializers.SerializerMethodField(
        help_text="What the stage the project is heading for asks for, and which items are done."
    )

    class Meta(ProjectSerializer.Meta):
        fields = (*ProjectSerializer.Meta.fields, "checklist")

    def get_checklist(self, project: Project) -> dict[str, Any]:
        return workflow.checklist(project)


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProjectAttachment
        fields = (
            "id",
            "kind",
            "version",
            "filename",
            "content_type",
            "size",
            "sha256",
            "stage",
            "uploaded_by",
            "uploaded_at",
            "url",
        )

    def get_url(self, attachment: ProjectAttachment) -> str:
        return attachment.file.url


class SavedViewSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedView
        fields = ("id", "name", "query", "created_at")

    def validate_query(self, query: Any) -> dict[str, str]:
        if not isinstance(query, dict) or not all(isinstance(v, str) for v in query.values()):
            raise serializers.ValidationError(_("Give the filters as an object of strings."))
        unknown = sorted(set(query) - set(PARAMETERS))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown filters %(names)s; the list takes: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(PARAMETERS)}
            )
        # The same check the list makes, so a saved view never opens on a 400.
        filter_projects(Project.objects.none(), query, self.context["request"].user)
        return query


BOARD_CARDS = 50  # projects shown per stage column; the count says how many there are


def board(projects: QuerySet[Project]) -> dict[str, Any]:
    """Columns by stage: the count, and the most recently moved projects. Two queries."""
    counts = dict(projects.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    ranked = projects.annotate(
        rank=Window(RowNumber(), partition_by=F("stage"), order_by=(F("updated_at").desc(), F("id").desc()))
    ).filter(rank__lte=BOARD_CARDS)
    cards: dict[str, list[dict[str, Any]]] = {}
    for p in ranked.values("id", "code", "name", "stage", "card", "pending", "in_reserve", "division__name"):
        cards.setdefault(p["stage"], []).append(p)
    return {
        "per_stage": BOARD_CARDS,
        "stages": [
            {
                "stage": stage,
                "label": str(label),
                "count": counts.get(stage, 0),
                "projects": cards.get(stage, []),
            }
            for stage, label in ProjectStage.choices
        ],
    }


def _date(data: dict[str, Any], name: str) -> date | None:
    raw = data.get(name)
    parsed = parse_date(str(raw)) if raw else None
    if raw and parsed is None:
        raise ValidationError({name: [_("Give the date as YYYY-MM-DD.")]})
    return parsed


def _amount(data: dict[str, Any], name: str) -> Decimal | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 12:
        raise ValidationError({name: [_("Give the amount in units of 10,000 CNY, such as 5000.")]})
    return value


def change_log(project: Project) -> list[dict[str, Any]]:
    """The project's field changes from its history rows, each field with its label; the
    workflow's bookkeeping (version) is left out, the owner (项目负责人变更) is in."""
    log = []
    for row, previous in history_entries(project):
        if previous is None:
            continue
        changes = [
            {
                "field": change.field,
                "label": Project.label(change.field),
                "old": change.old,
                "new": change.new,
            }
            for change in row.diff_against(previous).changes
            if change.field != "version"
        ]
        if changes:
            user = row.history_user.get_username() if row.history_user else None
            log.append({"at": row.history_date, "user": user, "changes": changes})
    return log


def project_map(project: Project, user: Any) -> dict[str, Any]:
    """The project's sites (those the caller may see) and its carriers, one query per layer."""
    layers: list[tuple[str, QuerySet[Any], str, str]] = [
        (
            "project_sites",
            ProjectSite.objects.filter(read_filter(user, "project_sites"), project_code=project.code),
            "project_name",
            "stage",
        ),
        ("parcels", project.parcels.all(), "code", "supply_status"),
        ("buildings", project.buildings.all(), "name", "supply_status"),
    ]
    features = [
        {
            "type": "Feature",
            "id": f"{layer}.{row['id']}",
            "geometry": json.loads(row["shape"]),
            "properties": {"layer": layer, "id": row["id"], "name": row[label], "status": row[state]},
        }
        for layer, rows, label, state in layers
        for row in rows.annotate(shape=AsGeoJSON("geom", precision=6)).values("id", "shape", label, state)
    ]
    return {"type": "FeatureCollection", "features": features}


class ProjectPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema(tags=["projects"])
class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """招商项目: the projects of your area (本级及下级)."""

    serializer_class = ProjectSerializer
    permission_classes = [MayProjects]
    pagination_class = ProjectPagination
    queryset = Project.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Project]:
        projects = visible_projects(self.request.user).select_related("division")
        if self.action == "list":
            projects = filter_projects(projects, self.request.query_params, self.request.user)
        return projects.prefetch_related("parcels", "buildings")

    def get_serializer_class(self) -> type[BaseSerializer]:
        return ProjectDetailSerializer if self.action != "list" else ProjectSerializer

    def perform_create(self, serializer: BaseSerializer) -> None:
        user: Any = self.request.user
        draft = Project(
            **{k: v for k, v in serializer.validated_data.items() if k not in {"parcels", "buildings"}}
        )
        draft.owner, draft.division_code = user, draft.division.code
        if not can_create_project(user, draft):
            raise PermissionDenied(_("You may create projects only in your own area."))
        with transaction.atomic():
            project = cast(Project, serializer.save(owner=user))
            lead = project.lead
            if lead is not None:
                # The carriers the investor looked at come with the lead (SPEC 7).
                project.parcels.add(*lead.parcels.all())
                project.buildings.add(*lead.buildings.all())
                lead.status = LeadStatus.CONVERTED
                lead.save(update_fields=["status"])
            workflow.log_created(project, user)

    def perform_update(self, serializer: BaseSerializer) -> None:
        sent = self.request.headers.get("If-Match", "").strip('"')
        project = cast(Project, serializer.instance)
        if not can_update_project(self.request.user, project):
            raise PermissionDenied(_("You may edit projects only in your own area."))
        moved = serializer.validated_data.get("division")
        if moved is not None and moved.pk != project.division_id:
            raise ValidationError(
                {"division": [_("A project changes county by a transfer, not by an edit.")]}
            )
        if not sent.isdigit():
            raise ValidationError(
                {"If-Match": [_('Send If-Match: "<version>" with the version you edited.')]}
            )
        if int(sent) != project.version:
            raise Stale(
                _("The project changed since you read it (now version %(v)s); reload and edit again.")
                % {"v": project.version}
            )
        previous_owner = project.owner_id
        with transaction.atomic():
            project.version += 1
            serializer.save()
            notify.handed_over(project, previous_owner)
            if carriers.holds(project):
                with refusals():
                    carriers.check_free(project)
                carriers.follow(project)

    @extend_schema(
        summary="The board: each stage with its count and its most recently moved projects (with cards).",
        responses=inline_serializer(
            "ProjectBoard",
            {
                "stages": serializers.ListField(child=serializers.DictField()),
                "per_stage": serializers.IntegerField(),
            },
        ),
    )
    @action(detail=False, methods=["get"], url_path="board", url_name="board")
    def board_view(self, request: Request) -> Response:
        return Response(board(visible(request.user, PROJECTS).filter(ended_at__isnull=True)))

    @extend_schema(
        summary="The project's timeline of actions and reviews.", responses=EventSerializer(many=True)
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        return Response(EventSerializer(project.events.select_related("user"), many=True).data)

    @extend_schema(
        summary="修改日志: every change of the project's fields (owner changes included), newest first.",
        responses=inline_serializer(
            "ProjectChange",
            {
                "at": serializers.DateTimeField(),
                "user": serializers.CharField(allow_null=True),
                "changes": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        ),
    )
    @action(detail=True, methods=["get"])
    def changes(self, request: Request, pk: str | None = None) -> Response:
        return Response(change_log(self.get_object()))

    @extend_schema(
        methods=["GET"],
        summary="Every version of the project's documents, newest version of each kind first.",
        responses=AttachmentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a document: the next version of its kind (the same bytes again add nothing).",
        request={
            "multipart/form-data": inline_serializer(
                "AttachmentUpload",
                {
                    "kind": serializers.ChoiceField(choices=AttachmentKind.choices),
                    "file": serializers.FileField(),
                },
            )
        },
        responses={
            201: AttachmentSerializer,
            200: OpenApiResponse(
                AttachmentSerializer, description="The same file was already this kind's newest."
            ),
            400: OpenApiResponse(description="Unknown kind, or a file that is no office document or scan."),
            413: OpenApiResponse(description="Over PROJECT_ATTACHMENT_MAX_MB."),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="attachments", url_name="attachments")
    def attachments_view(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        if request.method == "GET":
            kept = project.attachments.select_related("uploaded_by")
            return Response(AttachmentSerializer(kept, many=True).data)
        if not can_update_project(request.user, project):
            raise PermissionDenied(_("You may attach documents only to the projects you may edit."))
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Send the document as the multipart field file.")]})
        with refusals():
            attachment, created = attachments.add(
                project, request.user, str(request.data.get("kind", "")), upload
            )
        return Response(
            AttachmentSerializer(attachment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="The project's sites and carriers as a GeoJSON FeatureCollection (layer, id, name, status).",
        responses=inline_serializer(
            "ProjectMap", {"type": serializers.CharField(), "features": serializers.ListField()}
        ),
    )
    @action(detail=True, methods=["get"], url_path="map", url_name="map")
    def map_view(self, request: Request, pk: str | None = None) -> Response:
        return Response(project_map(self.get_object(), request.user))

    @extend_schema(
        summary="A workflow action: one of workflow.ACTIONS (submit, approve, send_back, supplement, ...).",
        request=inline_serializer(
            "ProjectAction",
            {
                "comment": serializers.CharField(required=False),
                "reason": serializers.CharField(required=False),
                "to": serializers.IntegerField(required=False, help_text="county id, for transfer"),
                "signing_date": serializers.DateField(required=False),
                "content": serializers.CharField(required=False, help_text="supplement: what is added"),
                "signed_on": serializers.DateField(required=False, help_text="supplement: its signing date"),
                "added_investment_wan": serializers.DecimalField(
                    max_digits=14, decimal_places=2, required=False, help_text="supplement: added investment"
                ),
            },
        ),
        responses={
            200: ProjectSerializer,
            400: OpenApiResponse(description="Missing fields, named."),
            403: OpenApiResponse(description="Not your action."),
            409: OpenApiResponse(
                description="Not allowed now (error.allowed lists what is), or a carrier held elsewhere."
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>\w+)")
    def act(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        project = self.get_object()
        if name not in workflow.ACTIONS:
            raise ValidationError(
                {"action": [_("Unknown action; choose one of: %(v)s.") % {"v": ", ".join(workflow.ACTIONS)}]}
            )
        data = request.data if isinstance(request.data, dict) else {}
        comment = str(data.get("comment", ""))
        with refusals():
            if name == "submit":
                workflow.submit(project, request.user, comment)
            elif name == "approve":
                workflow.approve(project, request.user, comment, signing_date=_date(data, "signing_date"))
            elif name == "send_back":
                workflow.send_back(project, request.user, str(data.get("reason", "")))
            elif name == "end":
                workflow.end(project, request.user, str(data.get("reason", "")))
            elif name in {"to_reserve", "from_reserve"}:
                workflow.reserve(project, request.user, into=name == "to_reserve", comment=comment)
            elif name == "supplement":
                workflow.supplement(
                    project,
                    request.user,
                    content=str(data.get("content", "")),
                    signed_on=_date(data, "signed_on"),
                    added_investment_wan=_amount(data, "added_investment_wan"),
                )
            else:
                to = (
                    get_object_or_404(Division, pk=data.get("to"))
                    if str(data.get("to", "")).isdigit()
                    else None
                )
                if to is None:
                    raise ValidationError({"to": [_("Give the id of the county that takes the project.")]})
                workflow.transfer(project, request.user, to, comment)
        project.refresh_from_db()
        return Response(self.get_serializer(project).data)


@extend_schema(tags=["projects"])
class SavedViewViewSet(viewsets.ModelViewSet):
    """保存的视图: the caller's own named filters of the project list (``query`` holds them)."""

    serializer_class = SavedViewSerializer
    permission_classes = [
        requires(
            SAVED_VIEWS,
            {"*": Action.READ, "POST": Action.CREATE, "PATCH": Action.UPDATE, "DELETE": Action.DELETE},
            {Action.READ: _("Saved views are for those who read projects.")},
        )
    ]
    pagination_class = None
    queryset = SavedView.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[SavedView]:
        return visible(self.request.user, SAVED_VIEWS)

    def perform_create(self, serializer: BaseSerializer) -> None:
        name = serializer.validated_data["name"]
        if self.get_queryset().filter(name=name).exists():
            raise Conflict(_("You already have a view named %(name)s; pick another name.") % {"name": name})
        serializer.save(owner=self.request.user)


class CarriedView(APIView):
    """地块承载企业和项目 (seed 004 L207): the enterprises and projects a parcel or building carries.

    Anyone may ask; each list holds only what the caller may read (enterprises by their layer's
    rule, projects by theirs), so a visitor of the public map gets two empty lists."""

    permission_classes: list[type[BasePermission]] = []

    @extend_schema(
        tags=["projects"],
        summary="The enterprises and projects on a parcel (?parcel=<id>) or a building (?building=<id>).",
        parameters=[
            OpenApiParameter("parcel", int, required=False),
            OpenApiParameter("building", int, required=False),
        ],
        responses=inline_serializer(
            "Carried",
            {"enterprises": serializers.ListField(), "projects": serializers.ListField()},
        ),
    )
    def get(self, request: Request) -> Response:
        params = {k: request.query_params.get(k, "") for k in ("parcel", "building")}
        given = [(k, v) for k, v in params.items() if v]
        if len(given) != 1 or not given[0][1].isdigit():
            raise ValidationError({"parcel": [_("Give one carrier: ?parcel=<id> or ?building=<id>.")]})
        ((layer, raw),) = given
        relation = "parcels" if layer == "parcel" else "buildings"
        enterprises = (
            Enterprise.objects.filter(read_filter(request.user, "enterprises"), **{relation: int(raw)})
            .order_by("name")
            .values("id", "name", "industry", "tags", "registered_on")
        )
        projects = (
            visible(request.user, PROJECTS)
            .filter(**{relation: int(raw)})
            .order_by("-updated_at")
            .values("id", "code", "name", "stage", "card", "progress_percent", "ended_at")
        )
        return Response({"enterprises": list(enterprises), "projects": list(projects)})
