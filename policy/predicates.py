"""The typed questions the rest of the platform asks. Nothing outside this package decides access.

Each predicate reads the declarations in ``policy.resources``. Layer predicates take the layer's
``LayerSpec`` (or its name); the others name their resource.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.roles import SCOPE_BINDING, Role

from .actions import Action
from .resources import (
    BACKUPS,
    CHANGESETS,
    DISPLAY_TOKEN_LAYERS,
    DISPLAY_TOKEN_VIEWS,
    EXPORT_JOBS,
    INDUSTRY_TARGETS,
    INGEST_JOBS,
    INSPECTION_STEPS,
    INSPECTIONS,
    LAYER_RULES,
    LEADS,
    METRICS,
    OVERLAY_CHECKS,
    PERSONAL_DATA,
    PROJECT_REVIEWERS,
    PROJECTS,
    REVIEWED_LAYERS,
    SYNC,
    URL_TOKEN_ROLES,
)
from .rules import Resource, allowed_q, allows, assigns_actor, role_allows
from .scope import ScopeFields, role_of, scope_of

if TYPE_CHECKING:
    from layers.registry import LayerSpec


def layer_rules(layer: LayerSpec | str) -> Resource:
    return LAYER_RULES[layer if isinstance(layer, str) else layer.name]


# --- layers --------------------------------------------------------------------------------------


def may(user: Any, layer: LayerSpec | str, action: Action) -> bool:
    """Whether the user's role may do ``action`` on some record of the layer at all, beyond reading
    published features."""
    return role_allows(user, layer_rules(layer), action)


def read_filter(user: Any, layer: LayerSpec | str) -> Q:
    """Everything this user may read in a layer: published features, plus their own scope."""
    return allowed_q(user, layer_rules(layer), Action.READ)


def read_sql(user: Any, layer: LayerSpec | str, table: str) -> tuple[str, list[Any]]:
    """``read_filter`` as SQL over ``table`` (quoted), for raw queries and the tile renderer.

    Built from the same declaration without the ORM's compiler: this is on the tile path.
    """
    rules = layer_rules(layer)
    role = role_of(user)
    if role == Role.ADMIN:
        return "TRUE", []
    parts: list[str] = []
    params: list[Any] = []
    if rules.published:
        parts.append(f"{table}.{connection.ops.quote_name(rules.published)}")
    for clause in rules.clauses(user, Action.READ):
        if clause.owned:  # no layer grants reading by ownership alone
            raise NotImplementedError(f"{rules.name}: owned reads have no SQL form")
        sql, args = scope_of(user).sql(rules.scope, table)
        if sql == "TRUE":
            return "TRUE", []
        parts.append(sql)
        params.extend(args)
    return (" OR ".join(f"({p})" for p in parts) if parts else "FALSE"), params


def scope_key(user: Any, layer: LayerSpec | str) -> str:
    """A short text that is equal for two users exactly when they read the same rows of the layer."""
    rules = layer_rules(layer)
    role = role_of(user)
    if role == Role.ADMIN:
        return "all"
    reach = scope_of(user).key if rules.clauses(user, Action.READ) else "-"
    return ("pub|" if rules.published else "") + reach


def can_read(user: Any, layer: LayerSpec | str, record: Any) -> bool:
    return allows(user, layer_rules(layer), Action.READ, record)


def can_create(user: Any, layer: LayerSpec | str, record: Any) -> bool:
    """``record`` is the unsaved record with its derived fields filled in."""
    return allows(user, layer_rules(layer), Action.CREATE, record)


def can_update(user: Any, layer: LayerSpec | str, before: Any, after: Any) -> bool:
    """Both the stored record and the changed one must pass: nobody moves a record out of reach."""
    rules = layer_rules(layer)
    return allows(user, rules, Action.UPDATE, before) and allows(user, rules, Action.UPDATE, after)


def can_delete(user: Any, layer: LayerSpec | str, record: Any) -> bool:
    return allows(user, layer_rules(layer), Action.DELETE, record)


def in_scope(user: Any, layer: LayerSpec | str, record: Any) -> bool:
    """Whether a record lies inside the user's own scope, whatever their role may do there."""
    return scope_of(user).holds(layer_rules(layer).scope, record)


# --- what a write may draw and whom it may name --------------------------------------------------


def _redrawn(before: Any, after: Any) -> bool:
    """Whether ``after`` carries a geometry other than the stored one (``before`` is None for a new
    record)."""
    if before is None or before.geom is None or after.geom is None:
        return after.geom is not None
    return not before.geom.equals_exact(after.geom)


def may_redraw(user: Any, layer: LayerSpec | str, before: Any, after: Any) -> bool:
    """A place that defines scope (division, park, grid cell: ``defines_scope``) gets a boundary only
    from a role scoped above it, where it was and where it goes: a park manager who could redraw
    their park would take every parcel drawn inside it. Edits that keep the boundary pass; that the
    new boundary stays in the redrawer's own scope is ``geometry_in_scope``."""
    rules = layer_rules(layer)
    if rules.defines_scope is None or not _redrawn(before, after):
        return True
    scope = scope_of(user)
    return all(scope.above(rules.scope, rules.defines_scope, r) for r in (before, after) if r is not None)


def redrawers(layer: LayerSpec | str) -> list[str]:
    """The roles that may redraw the layer's places (within their own scope), to tell a refused
    user whom to ask: those with a division binding that may update them, and administrators."""
    rules = layer_rules(layer)
    above = [
        role
        for role, grant in rules.table.items()
        if Action.UPDATE in grant.actions() and SCOPE_BINDING.get(role) == "division"
    ]
    return [*above, Role.ADMIN]


def geometry_in_scope(user: Any, layer: LayerSpec | str, before: Any, after: Any) -> bool:
    """Every part of a written geometry lies in the writer's scope, not only the point the record is
    filed by: a MultiPolygon drawn from the writer's village into the next county is refused. One
    query (``Scope.covers``), none when the geometry is unchanged or the layer is filed by one point
    of it (``whole_geometry=False``)."""
    rules = layer_rules(layer)
    if not rules.whole_geometry or not _redrawn(before, after):
        return True
    return scope_of(user).covers(after.geom)


def geometries_in_scope(user: Any, layer: LayerSpec | str, records: Sequence[Any]) -> list[bool]:
    """``geometry_in_scope`` for new records in bulk (an import): one query for all of them."""
    if not layer_rules(layer).whole_geometry:
        return [True] * len(records)
    return scope_of(user).covers_all([record.geom for record in records])


def actor_fields(layer: LayerSpec | str) -> tuple[str, ...]:
    """The layer's fields naming the person who acted (``actors`` in its declaration)."""
    return tuple(layer_rules(layer).actors)


def may_name_actor(user: Any, layer: LayerSpec | str, field_name: str) -> bool:
    """Whether the user may name someone other than themselves in the actor field ``field_name``."""
    return assigns_actor(user, layer_rules(layer), field_name)


# --- people and pages --------------------------------------------------------------------------


def may_see_personal_data(user: Any) -> bool:
    return role_allows(user, PERSONAL_DATA, Action.READ)


def industry_targets_prefix(user: Any) -> str | None:
    """The division code prefix whose counties' chain gaps the user may read ("" for the whole
    city), or None when they may read none (``INDUSTRY_TARGETS``)."""
    if not role_allows(user, INDUSTRY_TARGETS, Action.READ):
        return None
    scope = scope_of(user)
    return "" if scope.everything else scope.division_prefix


def may_read_metrics(user: Any) -> bool:
    return role_allows(user, METRICS, Action.READ)


def may_manage_backups(user: Any) -> bool:
    return role_allows(user, BACKUPS, Action.READ)


def may_watch_wall(user: Any) -> bool:
    """The big-screen wall's data: field points and project sites, both readable."""
    return may(user, "field_points", Action.READ) and may(user, "project_sites", Action.READ)


def may_carry_url_token(user: Any) -> bool:
    return role_of(user) in URL_TOKEN_ROLES


def may_hold_device_token(user: Any) -> bool:
    """Whether the user may log in on the phone app for a device token: a device token exists to
    send the phone's offline work, so it goes to those who may sync (``SYNC``). Everyone else
    works on the web pages, with a session or an API token that lasts hours, not weeks."""
    return role_allows(user, SYNC, Action.CREATE)


def may_use_display_token(view_name: str, layers: Iterable[str] = ()) -> bool:
    """Whether a display token may open the view named ``view_name`` (its URL name) for ``layers``:
    only what the wall draws (``DISPLAY_TOKEN_VIEWS``, ``DISPLAY_TOKEN_LAYERS``)."""
    return view_name in DISPLAY_TOKEN_VIEWS and set(layers) <= DISPLAY_TOKEN_LAYERS


def home_division_code(user: Any) -> str:
    """The 12-digit code of the place a user works in (stamped on their jobs)."""
    return scope_of(user).home_code


# --- other resources ---------------------------------------------------------------------------


def visible(user: Any, resource: Resource, action: Action = Action.READ) -> QuerySet:
    """The records of a resource on which the user may do ``action``."""
    return resource.model_class._default_manager.filter(allowed_q(user, resource, action))


def visible_projects(user: Any) -> QuerySet:
    """The projects the user reads: those of their area, and a transfer (流转) waiting for their
    county's confirmation — the receiving officers must see what they are asked to take on."""
    projects = visible(user, PROJECTS)
    if role_of(user) not in PROJECT_REVIEWERS["receiving"]:
        return projects
    receiving = Q(pending="receiving") & scope_of(user).q(ScopeFields(division="pending_division__code"))
    return PROJECTS.model_class._default_manager.filter(allowed_q(user, PROJECTS, Action.READ) | receiving)


def can_create_project(user: Any, project: Any) -> bool:
    return allows(user, PROJECTS, Action.CREATE, project)


def can_update_project(user: Any, project: Any) -> bool:
    return allows(user, PROJECTS, Action.UPDATE, project)


def may_act_on_project(user: Any, project: Any, action: str) -> bool:
    """Whether the user may take a workflow action (``projects.workflow``) on this project.

    Reviews go to the role of the pending level (``PROJECT_REVIEWERS``) within its scope; a transfer
    is confirmed in the receiving county's scope. Everything else is an edit of the project."""
    role = role_of(user)
    if role is None:
        return False
    if action not in {"approve", "send_back"}:
        return can_update_project(user, project)
    if role != Role.ADMIN and role not in PROJECT_REVIEWERS.get(project.pending, frozenset()):
        return False
    if project.pending == "receiving":
        return role == Role.ADMIN or scope_of(user).contains(project.pending_division.code)
    return allows(user, PROJECTS, Action.REVIEW, project)


def may_read_lead(user: Any, lead: Any) -> bool:
    return allows(user, LEADS, Action.READ, lead)


def may_report_problem(user: Any, project: Any) -> bool:
    """An officer whose area holds the project may report a problem on it."""
    return allows(user, INSPECTIONS, Action.CREATE, project)


def may_advance_inspection(user: Any, inspection: Any) -> bool:
    """Whether the user takes the inspection's current step (``INSPECTION_STEPS``), in scope."""
    role = role_of(user)
    if role != Role.ADMIN and role not in INSPECTION_STEPS.get(inspection.step, frozenset()):
        return False
    return allows(user, INSPECTIONS, Action.READ, inspection)


def leads_filter(user: Any) -> Q:
    return allowed_q(user, LEADS, Action.READ)


def may_read_leads(user: Any) -> bool:
    return role_allows(user, LEADS, Action.READ)


def visible_jobs(user: Any) -> QuerySet:
    return visible(user, INGEST_JOBS)


def can_cancel_job(user: Any, job: Any) -> bool:
    return allows(user, INGEST_JOBS, Action.CANCEL, job)


def may_export(user: Any) -> bool:
    """Whether the user may ask for exports at all (logged in, a person's role); what they may
    export is each source's own read rule (``exports.sources``)."""
    return role_allows(user, EXPORT_JOBS, Action.CREATE)


def visible_exports(user: Any) -> QuerySet:
    """The export jobs the user follows and downloads: their own (administrators: all)."""
    return visible(user, EXPORT_JOBS)


def can_download_export(user: Any, job: Any) -> bool:
    return allows(user, EXPORT_JOBS, Action.READ, job)


def can_cancel_export(user: Any, job: Any) -> bool:
    return allows(user, EXPORT_JOBS, Action.CANCEL, job)


def can_run_check(user: Any, check: Any) -> bool:
    """``check`` is the unsaved check with its division set."""
    return allows(user, OVERLAY_CHECKS, Action.CREATE, check)


def can_review_finding(user: Any, check: Any) -> bool:
    return allows(user, OVERLAY_CHECKS, Action.REVIEW, check)


def can_read_history(user: Any, layer: LayerSpec | str, record: Any) -> bool:
    """Change history is for the staff responsible for a record, not for everyone who may see it
    published."""
    return may(user, layer, Action.READ) and in_scope(user, layer, record)


def may_list_layer(user: Any, layer: LayerSpec) -> bool:
    """Whether the layer appears to this user at all (catalogue, tiles)."""
    return layer.public or may(user, layer, Action.READ)


def in_charge(roles: Iterable[str], division_code: str) -> list[Any]:
    """The active users of these roles whose scope holds this place: who a notice about it goes to
    (the county leader of a project's county, the city officers above it)."""
    return in_charge_of(roles)(division_code)


def in_charge_of(roles: Iterable[str]) -> Callable[[str], list[Any]]:
    """``in_charge`` for many places: the users are read once, each place's answer kept."""
    from accounts.models import User

    people = [
        (user, scope_of(user))
        for user in User.objects.filter(role__in=list(roles), is_active=True).select_related(
            "division", "park", "grid_cell"
        )
    ]

    @functools.cache
    def of(division_code: str) -> list[Any]:
        return [user for user, scope in people if scope.contains(division_code)]

    return of


def dispatched_to(user: Any) -> Q:
    """The events dispatched to the user or to a department they are a member of (a subquery,
    not a join: the list needs no DISTINCT, and keeps its index order)."""
    from grid.models import Department

    theirs = Department.members.through.objects.filter(user_id=user.pk).values("department_id")
    return Q(handler_id=user.pk) | Q(department_id__in=theirs)


def visible_events(user: Any) -> QuerySet:
    """The grid events the user reads: those of their area, and those dispatched to them or to a
    department they are a member of (a department reads what it is sent, wherever it sits)."""
    from .resources import GRID_EVENTS

    if getattr(user, "pk", None) is None:
        return GRID_EVENTS.model_class._default_manager.none()
    return GRID_EVENTS.model_class._default_manager.filter(
        allowed_q(user, GRID_EVENTS, Action.READ) | dispatched_to(user)
    )


def may_take_event_step(user: Any, event: Any, step: str) -> bool:
    """Whether the user takes this step of the event (``EVENT_STEPS``)."""
    from .resources import EVENT_STEPS, GRID_EVENTS

    if role_of(user) is None:
        return False
    staff = allows(user, GRID_EVENTS, Action.REVIEW, event)
    who = EVENT_STEPS.get(step)
    if who == "staff":
        return staff
    if who == "handler":
        # members.all(): the list view prefetches them, so the steps of a page cost no query each.
        return event.handler_id == user.pk or (
            event.department_id is not None and any(m.pk == user.pk for m in event.department.members.all())
        )
    if who == "verifier":
        return staff or (role_of(user) == Role.GRID_WORKER and allows(user, GRID_EVENTS, Action.READ, event))
    if who == "reporter":
        return staff or event.reporter_id == user.pk
    return False


def may_dispatch_to(user: Any, *, department: Any = None, handler: Any = None) -> bool:
    """Dispatch targets are departments and people within the dispatcher's own scope."""
    scope = scope_of(user)
    if department is not None and not scope.contains(department.division.code):
        return False
    if handler is not None:
        place = getattr(getattr(handler, "division", None), "code", "") or ""
        if not place and getattr(handler, "grid_cell", None) is not None:
            place = handler.grid_cell.division_code
        if not scope.contains(place):
            return False
    return True


def dispatch_people(user: Any) -> QuerySet:
    """The people the user may dispatch an event to by name: those who handle events, bound to a
    division or a grid cell within the user's scope (what ``may_dispatch_to`` accepts)."""
    from accounts.models import User

    from .resources import EVENT_HANDLER_ROLES

    scope = scope_of(user)
    if role_of(user) is None:
        return User.objects.none()
    within = scope.q(ScopeFields(division="division__code")) | scope.q(
        ScopeFields(division="grid_cell__division_code")
    )
    return User.objects.filter(within, is_active=True, role__in=list(EVENT_HANDLER_ROLES))


def may_report_event(user: Any, event: Any) -> bool:
    """A grid worker in their cell, staff in their division."""
    from .resources import GRID_EVENTS

    return allows(user, GRID_EVENTS, Action.CREATE, event)


def visible_departments(user: Any) -> QuerySet:
    """The departments of the user's area: the dispatch targets they may choose."""
    from grid.models import Department

    scope = scope_of(user)
    departments = Department.objects.select_related("division")
    return departments.filter(scope.q(ScopeFields(division="division__code")))


# --- patrols -------------------------------------------------------------------------------------


def visible_tasks(user: Any) -> QuerySet:
    """The patrol tasks the user reads: those of their area (staff, leaders), those assigned to them
    and the shared tasks of their cell (grid workers)."""
    from .resources import PATROL_TASKS, SHARED_PATROL_TASKS

    tasks = PATROL_TASKS.model_class._default_manager
    readable = allowed_q(user, PATROL_TASKS, Action.READ)
    if not readable:  # Q(): no cut at all (``Q() | q`` would narrow it to ``q``)
        return tasks.all()
    return tasks.filter(readable | (Q(shared=True) & allowed_q(user, SHARED_PATROL_TASKS, Action.READ)))


def may_run_task(user: Any, task: Any) -> bool:
    """Whether the user takes (locks) and walks this task: a grid worker it is assigned to, or one of
    its cell for a shared task (administrators too)."""
    from .resources import PATROL_TASKS, PATROL_WALKERS, SHARED_PATROL_TASKS

    role = role_of(user)
    if role == Role.ADMIN:
        return True
    if role not in PATROL_WALKERS:
        return False
    return allows(user, PATROL_TASKS, Action.UPDATE, task) or (
        task.shared and allows(user, SHARED_PATROL_TASKS, Action.UPDATE, task)
    )


def may_assign_task(user: Any, task: Any) -> bool:
    """Staff create a task in their division (``task`` unsaved, located), for a worker bound to a
    grid cell in their scope (the 403 otherwise is the caller's)."""
    from .resources import PATROL_TASKS, PATROL_WALKERS

    if not allows(user, PATROL_TASKS, Action.CREATE, task):
        return False
    worker = task.worker
    if worker is None:
        return True
    cell = getattr(worker, "grid_cell", None)
    return (
        worker.is_active
        and worker.role in PATROL_WALKERS
        and cell is not None
        and scope_of(user).contains(cell.division_code)
    )


def may_edit_task(user: Any, task: Any) -> bool:
    """Staff of the task's area (a stuck lock is released by them too)."""
    from .resources import PATROL_TASKS

    return role_of(user) not in (None, Role.GRID_WORKER) and allows(user, PATROL_TASKS, Action.UPDATE, task)


def may_read_worklog(user: Any, worker: Any) -> bool:
    """A worker reads their own work log; staff and leaders those of the workers of their area."""
    from .resources import PATROL_TASKS

    if getattr(user, "pk", None) is not None and user.pk == worker.pk:
        return True
    role = role_of(user)
    if role in (None, Role.GRID_WORKER) or not role_allows(user, PATROL_TASKS, Action.READ):
        return False
    cell = getattr(worker, "grid_cell", None)
    return cell is not None and scope_of(user).contains(cell.division_code)


def may_configure_checklists(user: Any, action: Action) -> bool:
    from .resources import CHECKLIST_TEMPLATES

    return role_allows(user, CHECKLIST_TEMPLATES, action)


# --- the park manager's editor: review before publish (issue 17) ---------------------------------


def edits_need_review(user: Any, layer: LayerSpec | str, park: Any) -> bool:
    """Whether this user's edits of ``layer`` in ``park`` wait in a changeset for an officer's
    approval instead of reaching the live (public) layer: a park manager, a reviewed layer
    (``REVIEWED_LAYERS``), a park that asks for it (``Park.edits_need_approval``). Everyone else who
    may write applies directly, with history and audit."""
    name = layer if isinstance(layer, str) else layer.name
    return (
        role_of(user) == Role.PARK_MANAGER
        and name in REVIEWED_LAYERS
        and park is not None
        and bool(getattr(park, "edits_need_approval", False))
    )


def visible_changesets(user: Any) -> QuerySet:
    """The changesets the user reads: their park's (managers), their division's (officers, leaders)."""
    return visible(user, CHANGESETS)


def may_read_changeset(user: Any, changeset: Any) -> bool:
    return allows(user, CHANGESETS, Action.READ, changeset)


def may_submit_changeset(user: Any, changeset: Any) -> bool:
    """The park's managers keep its changesets: stage edits, submit them, discard items."""
    return allows(user, CHANGESETS, Action.UPDATE, changeset)


def may_review_changeset(user: Any, changeset: Any, authors: Iterable[int] = ()) -> bool:
    """Officers of the park's division approve or return it, never one of its authors (``authors``:
    the ids of whoever created, submitted or edited items of it): a reviewer checks someone else's
    work."""
    if not allows(user, CHANGESETS, Action.REVIEW, changeset):
        return False
    return getattr(user, "pk", None) not in set(authors)
