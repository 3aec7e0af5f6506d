"""巡查任务 API (``/api/patrols/``): checklist templates, tasks and their locks, runs, the monitor and
the work log. Who may do what is ``policy`` (``PATROL_TASKS``, ``CHECKLIST_TEMPLATES``); the steps
are ``patrols.locks``, ``patrols.runs`` and ``patrols.monitor``."""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Polygon
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from core.exports import JsonOrXlsx
from core.names import person_name
from core.params import choice, day
from core.refusals import Conflict, Forbidden, Incomplete, NotAllowed, answered
from grid.api import GridEventSerializer
from layers.api.filters import division_by_code
from layers.models import PREFIX_LENGTH, GridCell, Place
from policy.actions import Action
from policy.drf import requires
from policy.predicates import (
    may_assign_task,
    may_configure_checklists,
    may_edit_task,
    may_read_worklog,
    read_filter,
    visible_tasks,
)
from policy.resources import CHECKLIST_TEMPLATES, LAYER_RULES, PATROL_TASKS
from policy.scope import role_of, scope_of

from . import locks, monitor, notices, places_report, runs
from .checklist import ChecklistError, check_items
from .models import AreaKind, ChecklistTemplate, PatrolRun, PatrolTask, TaskState


class PatrolPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# --- checklist templates -------------------------------------------------------------------------

MayTemplates = requires(
    CHECKLIST_TEMPLATES,
    {"*": Action.READ, "POST": Action.CREATE},
    {
        Action.READ: _("Checklist templates are for grid workers, staff and leaders."),
        Action.CREATE: _("Checklist templates are the city's configuration: ask a city officer."),
    },
)


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """The items checked (``patrols.checklist``), each error under its item's name (``items.2``)."""
    if "items" in data:
        try:
            data["items"] = check_items(data["items"])
        except ChecklistError as exc:
            raise ValidationError(exc.errors) from exc
    return data


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistTemplate
        fields = ("id", "key", "name", "version", "items", "active", "created_at")
        read_only_fields = ("id", "version", "created_at")
        validators: list[
            Any
        ] = []  # a new key is version 1 (``validate``); revisions are numbered by the view

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ChecklistTemplate.objects.filter(key=data.get("key")).exists():
            raise ValidationError({"key": [_("This key exists: revise the template to make a new version.")]})
        return _checked(data)


class ReviseSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    items = serializers.JSONField(required=False)
    active = serializers.BooleanField(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        return _checked(data)


@extend_schema(tags=["patrols"])
class TemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """标准检查项: the current version of each template (``?history=<key>``: all its versions)."""

    serializer_class = TemplateSerializer
    permission_classes = [MayTemplates]
    queryset = ChecklistTemplate.objects.all()
    pagination_class = None
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[ChecklistTemplate]:
        templates = ChecklistTemplate.objects.all()
        key = self.request.query_params.get("history")
        if self.action == "list":
            if key:
                return templates.filter(key=key).order_by("-version")
            return templates.order_by("key", "-version").distinct("key")
        return templates

    @extend_schema(
        parameters=[OpenApiParameter("history", str, description="A template's key: all its versions.")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = body.save(version=1, created_by=cast(Any, request.user))
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The next version of the template, with a new name, items or active flag.",
        request=ReviseSerializer,
        responses={201: TemplateSerializer},
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None) -> Response:
        if not may_configure_checklists(request.user, Action.UPDATE):
            raise PermissionDenied(_("Checklist templates are the city's configuration: ask a city officer."))
        base = self.get_object()
        body = ReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not data:
            raise ValidationError({"items": [_("Send the new name, items or active flag.")]})
        latest = ChecklistTemplate.objects.filter(key=base.key).order_by("-version").first() or base
        try:
            # Two revisions at once would both make the next version: the constraint keeps one.
            with transaction.atomic():
                made = ChecklistTemplate.objects.create(
                    key=base.key,
                    version=latest.version + 1,
                    name=data.get("name", latest.name),
                    items=data.get("items", latest.items),
                    active=data.get("active", latest.active),
                    created_by=cast(Any, request.user),
                )
        except IntegrityError:
            raise Conflict(
                str(_("The template was revised at the same moment: read it again and retry."))
            ) from None
        return Response(TemplateSerializer(made).data, status=status.HTTP_201_CREATED)


# --- runs (the task views answer with them too) --------------------------------------------------


class RunSerializer(serializers.ModelSerializer):
    task_title = serializers.CharField(source="task.title", read_only=True)
    worker_name = serializers.SerializerMethodField()
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    events = serializers.SerializerMethodField()
    track_geometry = serializers.SerializerMethodField(
        help_text="The track (GeoJSON MultiLineString: a part per stretch recorded), or null."
    )

    class Meta:
        model = PatrolRun
        fields = (
            "id",
            "uuid",
            "task",
            "task_title",
            "worker",
            "worker_name",
            "started_at",
            "finished_at",
            "track",
            "track_geometry",
            "results",
            "template",
            "template_version",
            "coverage",
            "coverage_basis",
            "coverage_radius_m",
            "covered_places",
            "total_places",
            "length_m",
            "events",
        )
        read_only_fields = fields

    def get_worker_name(self, run: PatrolRun) -> str:
        return person_name(run.worker)

    def get_events(self, run: PatrolRun) -> list[int]:
        return [e.pk for e in run.events.all()]

    def get_track_geometry(self, run: PatrolRun) -> dict[str, Any] | None:
        shape = getattr(run, "track_geojson", None)
        return json.loads(shape) if shape else None


def _run_details(found: QuerySet[PatrolRun]) -> QuerySet[PatrolRun]:
    return (
        found.select_related("task", "worker", "template")
        .prefetch_related("events")
        .annotate(track_geojson=AsGeoJSON("track__geom", precision=6))
    )


def _runs() -> QuerySet[PatrolRun]:
    return _run_details(PatrolRun.objects.all())


# --- tasks ---------------------------------------------------------------------------------------

MayTasks = requires(
    PATROL_TASKS,
    {"*": Action.READ},
    {Action.READ: _("Patrol tasks are for grid workers, staff and leaders of their area.")},
)


class LastRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class LockSerializer(serializers.Serializer):
    holder = serializers.IntegerField()
    holder_name = serializers.CharField()
    expires_at = serializers.DateTimeField()
    seconds_left = serializers.IntegerField()


class TaskSerializer(serializers.ModelSerializer):
    worker_name = serializers.SerializerMethodField()
    template_name = serializers.CharField(source="template.name", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    area = serializers.SerializerMethodField(help_text="The drawn polygon (GeoJSON), or null.")
    places = serializers.SerializerMethodField()
    lock = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = PatrolTask
        fields = (
            "id",
            "title",
            "worker",
            "worker_name",
            "template",
            "template_name",
            "template_version",
            "area_kind",
            "grid_cell",
            "area",
            "places",
            "division_code",
            "due_from",
            "due_until",
            "state",
            "shared",
            "lock",
            "last_run",
            "missed_at",
            "created_at",
        )
        read_only_fields = fields

    def get_worker_name(self, task: PatrolTask) -> str:
        return person_name(task.worker)

    def get_area(self, task: PatrolTask) -> dict[str, Any] | None:
        return json.loads(task.area.geojson) if task.area is not None else None

    def get_places(self, task: PatrolTask) -> list[int]:
        return [p.pk for p in task.places.all()]

    @extend_schema_field(LockSerializer(allow_null=True))
    def get_lock(self, task: PatrolTask) -> dict[str, Any] | None:
        return locks.lock_view(task)

    @extend_schema_field(LastRunSerializer(allow_null=True))
    def get_last_run(self, task: PatrolTask) -> dict[str, Any] | None:
        last = next(iter(task.runs.all()), None)  # prefetched, newest first
        if last is None:
            return None
        return {"id": last.pk, "coverage": last.coverage, "finished_at": last.finished_at}


class RunStartSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(help_text="Made by the phone: the same uuid again is the same run.")


def walker(pk: Any) -> Any:
    """The active grid worker bound to a grid cell with this id, or None."""
    if not str(pk or "").isdigit():
        return None
    found = get_user_model().objects.select_related("grid_cell").filter(pk=int(pk), is_active=True).first()
    return found if found is not None and found.role == Role.GRID_WORKER and found.grid_cell_id else None


class TaskInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    worker = serializers.IntegerField(required=False, allow_null=True)
    shared = serializers.BooleanField(required=False, default=False)
    template = serializers.IntegerField()
    area_kind = serializers.ChoiceField(choices=AreaKind.choices)
    grid_cell = serializers.IntegerField(required=False, allow_null=True)
    area = serializers.JSONField(required=False, allow_null=True, help_text="A GeoJSON Polygon.")
    places = serializers.ListField(child=serializers.IntegerField(), required=False)
    due_from = serializers.DateTimeField()
    due_until = serializers.DateTimeField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        errors: dict[str, list[Any]] = {}
        if data["due_until"] <= data["due_from"]:
            errors["due_until"] = [_("The due window ends after it starts.")]
        template = ChecklistTemplate.objects.filter(pk=data["template"]).first()
        if template is None or not template.active or not template.is_current():
            errors["template"] = [_("Choose the current version of an active checklist template.")]
        data["template"] = template
        worker = None
        if data.get("worker") is not None:
            worker = walker(data["worker"])
            if worker is None:
                errors["worker"] = [_("Assign the task to a grid worker bound to a grid cell.")]
        elif not data.get("shared"):
            errors["worker"] = [_("Assign the task to a grid worker, or share it with the cell's workers.")]
        data["worker"] = worker
        kind = data["area_kind"]
        data["place_list"] = []
        if kind == AreaKind.CELL:
            cell = GridCell.objects.filter(pk=data.get("grid_cell") or 0).first()
            if cell is None:
                errors["grid_cell"] = [_("Choose the grid cell to patrol.")]
            data["grid_cell"] = cell
        else:
            data["grid_cell"] = None
        if kind == AreaKind.POLYGON:
            try:
                shape = GEOSGeometry(json.dumps(data.get("area")), srid=4326) if data.get("area") else None
            except (GEOSException, ValueError, TypeError):
                shape = None
            if not isinstance(shape, Polygon) or not shape.valid:
                errors["area"] = [_("Draw the area as a valid GeoJSON Polygon.")]
            data["area"] = shape
        else:
            data["area"] = None
        if kind == AreaKind.PLACES:
            ids = data.get("places") or []
            found = list(Place.objects.filter(read_filter(user, "places"), pk__in=ids).order_by("pk"))
            if not ids or len(found) != len(set(ids)):
                errors["places"] = [_("List the places to patrol, each one in your area.")]
            data["place_list"] = found
        if data.get("shared") and kind != AreaKind.CELL and not errors:
            # A shared task is open to the workers of a cell: the area must lie in one.
            probe = PatrolTask(area_kind=kind, area=data["area"])
            probe.locate(data["place_list"])
            if probe.grid_cell is None:
                errors["shared"] = [_("A shared task needs an area inside a grid cell.")]
        if errors:
            raise ValidationError(errors)
        return data


def _task_filters(tasks: QuerySet[PatrolTask], request: Request) -> QuerySet[PatrolTask]:
    params = request.query_params
    if params.get("worker"):
        raw = params["worker"]
        if raw != "me" and not raw.isdigit():
            raise ValidationError({"worker": [_("Give 'me' or a person's id.")]})
        tasks = tasks.filter(worker_id=request.user.pk if raw == "me" else int(raw))
    if params.get("state"):
        tasks = tasks.filter(state__in=choice("state", params["state"], list(TaskState.values)))
    if params.get("division"):
        division = division_by_code(params["division"])
        tasks = tasks.filter(division_code__startswith=division.code[: PREFIX_LENGTH[division.level]])
    if params.get("overdue") == "true":
        late = Q(state__in=monitor.PENDING, due_until__lt=timezone.now())
        tasks = tasks.filter(late | Q(state=TaskState.MISSED))
    return tasks


def _task_details(tasks: QuerySet[PatrolTask]) -> QuerySet[PatrolTask]:
    return tasks.select_related("worker", "template", "lock_holder").prefetch_related(
        "places", Prefetch("runs", queryset=PatrolRun.objects.order_by("-started_at", "-id"))
    )


def _tasks(user: Any) -> QuerySet[PatrolTask]:
    return _task_details(visible_tasks(user))


TASK_PARAMETERS = [
    OpenApiParameter("worker", str, description="'me' or a worker's id."),
    OpenApiParameter("state", str, description="planned, in_progress, done, missed (comma-separated)."),
    OpenApiParameter("division", str, description="A division code: tasks of that division and below."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="true: past their due time, not done."),
]


@extend_schema(tags=["patrols"])
@transaction.atomic
def reassign(task: PatrolTask, user: Any, data: dict[str, Any]) -> PatrolTask:
    """转派巡查任务: to another worker (and a new due time), told in their inbox; a missed task with
    a due time still ahead is planned again."""
    task = PatrolTask.objects.select_for_update().get(pk=task.pk)
    if not may_edit_task(user, task):
        raise Forbidden(str(_("Only the staff of the task's area reassign it.")))
    if task.state not in (TaskState.PLANNED, TaskState.MISSED):
        raise NotAllowed(
            str(_("The patrol is under way or done: it can no longer be reassigned.")), allowed=[]
        )
    worker = walker(data.get("worker"))
    if worker is None:
        raise Incomplete(str(_("Assign the task to a grid worker bound to a grid cell.")), fields=["worker"])
    if data.get("due_until"):
        due = parse_datetime(str(data["due_until"]))
        if due is None or due <= task.due_from:
            raise Incomplete(str(_("The due window ends after it starts.")), fields=["due_until"])
        task.due_until = due
    task.worker, task.shared = worker, False
    if not may_assign_task(user, task):
        raise Forbidden(str(_("Assign patrols within your own area, to grid workers of your area.")))
    if task.state == TaskState.MISSED and task.due_until > timezone.now():
        task.state, task.missed_at = TaskState.PLANNED, None
    task.lock_holder, task.lock_expires_at = None, None
    task.save()
    notices.assigned(task)
    return task


class TaskViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """巡查任务 you walk (grid workers) or assigned in your area (staff, leaders)."""

    serializer_class = TaskSerializer
    permission_classes = [MayTasks]
    queryset = PatrolTask.objects.none()
    pagination_class = PatrolPagination
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[PatrolTask]:
        tasks = _tasks(self.request.user)
        if self.action == "list":
            tasks = _task_filters(tasks, self.request)
        return tasks.order_by("due_until", "id")

    @extend_schema(parameters=TASK_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=TaskInput,
        responses={
            201: TaskSerializer,
            400: OpenApiResponse(description="Missing or wrong input, named."),
            403: OpenApiResponse(description="An area or a worker outside your scope."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TaskInput(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        task = PatrolTask(
            title=data["title"],
            worker=data["worker"],
            shared=data["shared"],
            template=data["template"],
            area_kind=data["area_kind"],
            grid_cell=data["grid_cell"],
            area=data["area"],
            due_from=data["due_from"],
            due_until=data["due_until"],
            created_by=cast(Any, request.user),
        )
        places = data["place_list"]
        task.locate(places)
        scope = scope_of(request.user)
        inside = (
            may_assign_task(request.user, task)
            and all(scope.contains(p.division_code) for p in places)
            and (task.area is None or scope.covers(task.area))
        )
        if not inside:
            raise PermissionDenied(_("Assign patrols within your own area, to grid workers of your area."))
        with transaction.atomic():
            task.save()
            task.places.set(places)
            notices.assigned(task)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=task.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Reassign a task not yet walked (planned or missed) to another grid worker of your area.",
        request=inline_serializer(
            "TaskReassign",
            {
                "worker": serializers.IntegerField(),
                "due_until": serializers.DateTimeField(required=False, help_text="A new due time."),
            },
        ),
        responses={
            200: TaskSerializer,
            400: OpenApiResponse(description="No such grid worker, or a due time before the start."),
            403: OpenApiResponse(description="Not staff of the task's area, or a worker outside it."),
            409: OpenApiResponse(description="The task is under way or done."),
        },
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        with answered():
            task = reassign(task, request.user, request.data if isinstance(request.data, dict) else {})
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    def _locked(self, request: Request, step: Any) -> Response:
        task = self.get_object()
        with answered():
            step(task, request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(
        summary="Take a shared task (领取): yours for PATROL_LOCK_MINUTES.",
        request=None,
        responses={200: TaskSerializer, 409: OpenApiResponse(description="Another holds it (error.lock).")},
    )
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str | None = None) -> Response:
        return self._locked(request, locks.lock)

    @extend_schema(
        summary="Extend your lock by another PATROL_LOCK_MINUTES from now.",
        request=None,
        responses={200: TaskSerializer, 409: OpenApiResponse(description="Not your lock, or it ran out.")},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        return self._locked(request, locks.extend)

    @extend_schema(
        summary="Release the lock (its holder, or the staff of the area).",
        request=None,
        responses={200: TaskSerializer, 409: OpenApiResponse(description="Another's lock.")},
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        return self._locked(request, locks.unlock)

    @extend_schema(
        summary="Start a run with the phone's uuid (the same uuid again: the same run, 200).",
        request=RunStartSerializer,
        responses={
            201: RunSerializer,
            200: RunSerializer,
            403: OpenApiResponse(description="Not your task."),
            409: OpenApiResponse(description="Done, under way, or locked by another."),
        },
    )
    @action(detail=True, methods=["post"], url_path="runs")
    def start(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        body = RunStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with answered():
            run, created = runs.start(task, request.user, cast(uuidlib.UUID, body.validated_data["uuid"]))
        return Response(
            RunSerializer(_runs().get(pk=run.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- runs ----------------------------------------------------------------------------------------

MayRuns = requires(
    PATROL_TASKS,
    {"*": Action.READ},
    {Action.READ: _("Patrol runs are for grid workers, staff and leaders of their area.")},
)


@extend_schema(tags=["patrols"])
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """巡查记录 of the tasks you read, each with its track for the map."""

    serializer_class = RunSerializer
    permission_classes = [MayRuns]
    queryset = PatrolRun.objects.none()
    pagination_class = PatrolPagination
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[PatrolRun]:
        found = _runs().filter(task__in=visible_tasks(self.request.user))
        params = self.request.query_params
        if self.action == "list":
            for name in ("task", "worker"):
                raw = params.get(name)
                if raw and raw != "me" and not raw.isdigit():
                    raise ValidationError({name: [_("Give an id.")]})
                if raw:
                    found = found.filter(**{f"{name}_id": self.request.user.pk if raw == "me" else int(raw)})
            if params.get("since"):
                found = found.filter(started_at__date__gte=day("since", params["since"]))
        return found.order_by("-started_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("task", int),
            OpenApiParameter("worker", str, description="'me' or a worker's id."),
            OpenApiParameter("since", OpenApiTypes.DATE, description="Started on or after this date."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Finish the run: the track, the checklist results, the problems (each opens an event).",
        request=inline_serializer(
            "RunFinish",
            {
                "track": serializers.IntegerField(required=False, help_text="A patrol track's id."),
                "geometry": serializers.JSONField(
                    required=False,
                    help_text="A GeoJSON LineString, or a MultiLineString of the stretches recorded "
                    "(the gaps between them, where positions stopped, are not walked).",
                ),
                "timestamps": serializers.ListField(
                    child=serializers.DateTimeField(),
                    required=False,
                    help_text="One time per vertex, over all the parts in order.",
                ),
                "results": serializers.DictField(required=False, help_text="{item key: value}"),
                "problems": serializers.ListField(
                    child=serializers.DictField(),
                    required=False,
                    help_text="[{uuid, title, description, lon, lat, category, photos}]",
                ),
            },
        ),
        responses={
            200: RunSerializer,
            400: OpenApiResponse(description="Results that do not fit the template version, named by item."),
            403: OpenApiResponse(description="Not your run, or a problem outside your area."),
        },
    )
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        data = request.data if isinstance(request.data, dict) else {}
        try:
            with answered():
                run, _done = runs.finish(run, request.user, data)
        except runs.Invalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response(self.get_serializer(_runs().get(pk=run.pk)).data)


# --- monitoring and the work log ------------------------------------------------------------------


class PlaceDueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    place_class = serializers.CharField(source="place_class.name_zh")
    every_days = serializers.IntegerField(source="place_class.patrol_every_days")
    grid_cell = serializers.IntegerField(source="grid_cell_id", allow_null=True)
    division_code = serializers.CharField()
    last_visited_at = serializers.DateTimeField(allow_null=True, help_text="Null: never patrolled.")


@extend_schema(tags=["patrols"])
class MonitorView(APIView):
    """巡查异常监测 / 巡查未整改监测: missed tasks, low-coverage runs, open problems, and the places due a
    patrol (never reached, or not within their class's ``patrol_every_days``) of your area."""

    permission_classes = [MayTasks]

    @extend_schema(
        parameters=[
            OpenApiParameter("division", str, description="A division code within your area."),
            OpenApiParameter("since", OpenApiTypes.DATE),
        ],
        responses=inline_serializer(
            "PatrolMonitor",
            {
                "missed": TaskSerializer(many=True),
                "low_coverage": RunSerializer(many=True),
                "unrectified": GridEventSerializer(many=True),
                "places_due": PlaceDueSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        tasks = _task_filters(_tasks(request.user), request)
        params = request.query_params
        since = day("since", params["since"]) if params.get("since") else None
        found = monitor.watch(request.user, tasks, since)
        events = (
            found["unrectified"]
            .select_related("category", "department", "field_point", "reporter", "handler")
            .prefetch_related("department__members")
        )
        places = monitor.places_due(request.user)
        if params.get("division"):
            division = division_by_code(params["division"])
            places = places.filter(division_code__startswith=division.code[: PREFIX_LENGTH[division.level]])
        context = {"request": request}
        return Response(
            {
                "missed": TaskSerializer(found["missed"], many=True, context=context).data,
                "low_coverage": RunSerializer(_run_details(found["low_coverage"]), many=True).data,
                "unrectified": GridEventSerializer(events, many=True, context=context).data,
                "places_due": PlaceDueSerializer(places[: monitor.WATCH_LIMIT], many=True).data,
            }
        )


@extend_schema(tags=["patrols"])
class WorklogView(APIView):
    """网格员工作日志: one worker's day — tasks, runs, distance walked, points tagged, events reported."""

    permission_classes = [MayTasks]

    @extend_schema(
        parameters=[
            OpenApiParameter("worker", str, description="'me' (default) or a worker's id."),
            OpenApiParameter("date", OpenApiTypes.DATE, description="The day (default today)."),
        ],
        responses=inline_serializer(
            "PatrolWorklog",
            {
                "worker": serializers.IntegerField(),
                "worker_name": serializers.CharField(),
                "date": serializers.DateField(),
                "tasks": TaskSerializer(many=True),
                "runs": RunSerializer(many=True),
                "distance_m": serializers.FloatField(),
                "points": serializers.IntegerField(help_text="Field points tagged that day."),
                "events": serializers.IntegerField(help_text="Events reported that day."),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        raw = params.get("worker") or "me"
        if raw != "me" and not raw.isdigit():
            raise ValidationError({"worker": [_("Give 'me' or a person's id.")]})
        people = get_user_model().objects.select_related("grid_cell")
        worker = request.user if raw == "me" else people.filter(pk=int(raw)).first()
        if worker is None or not may_read_worklog(request.user, worker):
            raise PermissionDenied(_("Work logs are read by the worker and the staff of their area."))
        if raw == "me" and role_of(request.user) != Role.GRID_WORKER:
            raise ValidationError({"worker": [_("Name the grid worker whose log to read.")]})
        when = day("date", params["date"]) if params.get("date") else timezone.localdate()
        log = monitor.worklog(request.user, worker, when)
        return Response(
            {
                "worker": worker.pk,
                "worker_name": person_name(worker),
                "date": when.isoformat(),
                "tasks": TaskSerializer(_task_details(log["tasks"]), many=True).data,
                "runs": RunSerializer(_run_details(log["runs"]), many=True).data,
                "distance_m": log["distance_m"],
                "points": log["points"],
                "events": log["events"],
            }
        )


MayReadPlaces = requires(
    LAYER_RULES["places"],
    {"*": Action.READ},
    {Action.READ: _("Place reports are for grid workers, staff and leaders of their area.")},
)


@extend_schema(tags=["patrols"])
class PlacesReportView(JsonOrXlsx, APIView):
    """组织场所报表: places by class and subclass per division, never patrolled and overdue for a
    patrol (``patrols.places_report``); ``?format=xlsx`` downloads it (audited)."""

    permission_classes = [MayReadPlaces]

    @extend_schema(
        summary="Places by class and subclass per division, never patrolled and overdue; ?format=xlsx.",
        description=places_report.__doc__,
        parameters=[
            OpenApiParameter("division", str, description="12-digit code within your area."),
            OpenApiParameter("format", str, enum=["json", "xlsx"]),
        ],
        responses={200: OpenApiResponse(description="{division, by, classes, rows, totals}")},
    )
    def get(self, request: Request) -> HttpResponse | Response:
        found = places_report.places_report(request.user, str(request.query_params.get("division", "")))
        if not self.wants_xlsx():
            return Response(found)
        header, rows = places_report.sheet(found)
        return self.xlsx(
            title=str(_("组织场所报表")),
            header=header,
            rows=rows,
            object_type="patrols.places_report",
            object_id=found["division"]["code"] if found["division"] else "",
            filename="places-report",
        )
