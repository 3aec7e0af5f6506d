"""Every resource's rules, declared once. Read this file to know who may do what where.

In short: officers run their division (本级及下级), leaders read it, park managers keep the
carriers of their park, grid workers report in their cell, the wall's display reads the whole
city, and administrators (never listed) do everything. Investors and anonymous visitors read what
is published. Later workflow packages add their resources here.
"""

from __future__ import annotations

from accounts.roles import Role

from .actions import CRUD, Action, C, R, U
from .rules import Resource, anywhere, in_scope, own, own_in_scope
from .scope import ScopeFields

OFFICERS = (Role.DISTRICT_OFFICER, Role.CITY_OFFICER)
GRID_STAFF = Role.GRID_STAFF
LEADERS = (Role.DISTRICT_LEADER, Role.CITY_LEADER)
EVERY_ROLE = tuple(r for r in Role.values if r != Role.ADMIN)

# --- layers (SPEC 3): published features of public layers are readable by everyone ------------

IN_PARK = ScopeFields(park="park_id")
IN_CELL = ScopeFields(grid_cell="grid_cell_id")

LAYER_RULES: dict[str, Resource] = {
    r.name: r
    for r in [
        # Divisions, parks and grid cells are the places scopes are made of (``defines_scope``):
        # their boundaries are redrawn only from above, within the redrawer's own scope.
        Resource("divisions", "layers.Division", published="is_public", defines_scope="division", grants={}),
        Resource(
            "parks",
            "layers.Park",
            published="is_public",
            scope=ScopeFields(park="pk"),
            defines_scope="park",
            grants={
                OFFICERS: in_scope(*CRUD),
                LEADERS: in_scope(R),
                Role.PARK_MANAGER: in_scope(R, U),
                Role.DISPLAY: in_scope(R),
            },
        ),
        *(
            Resource(
                name,
                model,
                published="is_public",
                scope=IN_PARK,
                grants={
                    OFFICERS: in_scope(*CRUD),
                    LEADERS: in_scope(R),
                    Role.PARK_MANAGER: in_scope(*CRUD),
                    Role.DISPLAY: in_scope(R),
                },
            )
            for name, model in [
                ("parcels", "layers.LandParcel"),
                ("buildings", "layers.Building"),
                ("panoramas", "layers.Panorama"),
            ]
        ),
        Resource("amenities", "layers.Amenity", published="is_public", grants={OFFICERS: in_scope(*CRUD)}),
        # Roads, railways and rivers: the base map, kept by the officers of the area they cross.
        Resource(
            "transport", "layers.TransportLine", published="is_public", grants={OFFICERS: in_scope(*CRUD)}
        ),
        Resource(
            "grid_cells",
            "layers.GridCell",
            scope=ScopeFields(grid_cell="pk"),
            defines_scope="grid_cell",
            grants={
                OFFICERS: in_scope(*CRUD),
                LEADERS: in_scope(R),
                (Role.GRID_WORKER, GRID_STAFF): in_scope(R),
                Role.DISPLAY: in_scope(R),
            },
        ),
        Resource(
            "project_sites",
            "layers.ProjectSite",
            scope=IN_PARK,
            grants={
                OFFICERS: in_scope(*CRUD),
                LEADERS: in_scope(R),
                Role.PARK_MANAGER: in_scope(R),
                Role.DISPLAY: in_scope(R),
            },
        ),
        # Enterprises (企业) carry a contact, so they are never published; park managers keep those
        # in their park as they keep its carriers.
        Resource(
            "enterprises",
            "layers.Enterprise",
            scope=IN_PARK,
            grants={
                OFFICERS: in_scope(*CRUD),
                LEADERS: in_scope(R),
                Role.PARK_MANAGER: in_scope(*CRUD),
                Role.DISPLAY: in_scope(R),
            },
        ),
        Resource(
            "field_points",
            "layers.FieldPoint",
            scope=IN_CELL,
            owner="reporter",
            # A report is the reporter's own: nobody files one in a colleague's name.
            actors={"reporter": ()},
            grants={
                OFFICERS: in_scope(*CRUD),
                (*LEADERS, GRID_STAFF): in_scope(R),
                # A grid worker corrects their own reports, not a colleague's.
                Role.GRID_WORKER: in_scope(R, C) | own_in_scope(U),
                Role.DISPLAY: in_scope(R),
            },
        ),
        # 组织场所 belong to their grid cell: its worker keeps them up to date on patrol.
        Resource(
            "places",
            "layers.Place",
            scope=IN_CELL,
            grants={
                OFFICERS: in_scope(*CRUD),
                LEADERS: in_scope(R),
                (Role.GRID_WORKER, GRID_STAFF): in_scope(R, C, U),
                Role.DISPLAY: in_scope(R),
            },
        ),
        Resource(
            "patrol_tracks",
            "layers.PatrolTrack",
            scope=IN_CELL,
            # A patrol is filed by its start point and follows the roads out of the cell; the rest of
            # the line is where the worker walked, not a claim on the cells it crosses.
            whole_geometry=False,
            # Officers enter patrols walked by their grid workers (from a paper log, a phone of the team).
            actors={"worker": OFFICERS},
            grants={
                OFFICERS: in_scope(*CRUD),
                (*LEADERS, GRID_STAFF): in_scope(R),
                Role.GRID_WORKER: in_scope(R, C),
                Role.DISPLAY: in_scope(R),
            },
        ),
        Resource(
            "orthophotos",
            "layers.Orthophoto",
            published="is_public",
            grants={OFFICERS: in_scope(*CRUD), LEADERS: in_scope(R), Role.DISPLAY: in_scope(R)},
        ),
    ]
}

# --- background work -------------------------------------------------------------------------

# Everyone sees and may cancel the jobs they submitted; officers also see their division's jobs
# (stamped with the submitter's place, then with where the data landed).
INGEST_JOBS = Resource(
    "ingest_jobs",
    "ingest.IngestJob",
    owner="created_by",
    grants={EVERY_ROLE: own(R, Action.CANCEL), OFFICERS: in_scope(R)},
)

# Exports (issue 18): whoever is logged in may export what they may read (a layer, a spatial
# result, a report: each source checks its own read rule); an export is its owner's alone to follow,
# download and cancel, administrators see every one. Anonymous visitors export nothing: an export is
# audited, and needs someone to name. A display account is a wall, not a person: it exports nothing.
EXPORT_JOBS = Resource(
    "export_jobs",
    "exports.ExportJob",
    owner="created_by",
    grants={tuple(r for r in EVERY_ROLE if r != Role.DISPLAY): own(R, C, Action.CANCEL)},
)

# Overlay checks (叠加分析) cover a division: officers run and review them there, leaders read.
OVERLAY_CHECKS = Resource(
    "overlay_checks",
    "spatial.OverlayCheck",
    scope=ScopeFields(division="division__code"),
    grants={OFFICERS: in_scope(R, C, Action.REVIEW), LEADERS: in_scope(R)},
)

# --- the investment pipeline -----------------------------------------------------------------

# Anyone may express interest (rate-limited); the area's investment staff follow the leads.
LEADS = Resource(
    "leads",
    "pipeline.Lead",
    anyone=frozenset({C}),
    grants={OFFICERS: in_scope(R), LEADERS: in_scope(R)},
)

# 招商靶向 (issue 20): the chain links missing in each county, for the investment staff and the
# wall. It names no enterprise beyond the published chain leaders, but it is the office's working
# list, not a public page: officers and leaders read it for their division and below (their scope),
# the wall's display for the whole city. Investors see the public side: gaps near one site.
INDUSTRY_TARGETS = Resource(
    "industry_targets", None, grants={(*OFFICERS, *LEADERS, Role.DISPLAY): anywhere(R)}
)

# --- rules without records ---------------------------------------------------------------------

# Phone numbers and e-mail addresses unmasked (SPEC 9, privacy).
PERSONAL_DATA = Resource("personal_data", None, grants={OFFICERS: anywhere(R), LEADERS: anywhere(R)})

# Roles whose token may travel in a URL (the wall's ?token=): it is visible to anyone in the room,
# so only a read-only role qualifies.
URL_TOKEN_ROLES = frozenset({Role.DISPLAY})

# What a display token (the credential in a wall's URL, accounts.tokens) opens besides the wall
# page itself: the views the wall draws from and the layers of its map. Everything else, the rest
# of the API included, refuses it (403): patrol tracks, grid cells, history, exports, writes.
DISPLAY_TOKEN_VIEWS = frozenset(
    {
        "web:wall-summary",
        "web:wall-points",
        "web:wall-events",  # the wall's event theme
        "industries:list",  # the wall's industry theme: the chains
        "industries:targets",  # and the counties' missing links
        "web:stream-field-points",
        "spatial:rollup",
        "field_points-list",  # the wall's recent-points feed
        "vector-tile",
    }
)
DISPLAY_TOKEN_LAYERS = frozenset(
    {"divisions", "parks", "parcels", "buildings", "project_sites", "field_points"}
)

# --- investment projects (招商项目, SPEC 7) --------------------------------------------------------

# District officers run their county's projects, city officers run city-direct ones and do the
# city's reviews, district leaders review their county's steps, city leaders read everything, park
# managers read the projects on their park. Investors and anonymous visitors see nothing.
PROJECTS = Resource(
    "projects",
    "projects.Project",
    scope=ScopeFields(division="division_code", park="park_id"),
    grants={
        Role.DISTRICT_OFFICER: in_scope(C, R, U),
        Role.CITY_OFFICER: in_scope(C, R, U, Action.REVIEW),
        Role.DISTRICT_LEADER: in_scope(R, Action.REVIEW),
        Role.CITY_LEADER: in_scope(R),
        Role.PARK_MANAGER: in_scope(R),
    },
)
# Saved views of the project list are their owner's alone; whoever reads projects may keep some.
SAVED_VIEWS = Resource(
    "saved_views",
    "projects.SavedView",
    owner="owner",
    grants={
        (*OFFICERS, *LEADERS, Role.PARK_MANAGER): own(*CRUD),
    },
)
# A report built in the background is its submitter's: the file holds what they could read.
REPORT_JOBS = Resource(
    "report_jobs",
    "projects.ReportJob",
    owner="created_by",
    grants={(*OFFICERS, *LEADERS, Role.PARK_MANAGER): own(R)},
)
# Who reviews each level of a pending project step (projects.models.Review): the county leader,
# the city, and the receiving county's officers for a transfer (in the receiving county's scope).
PROJECT_REVIEWERS: dict[str, frozenset[str]] = {
    "county": frozenset({Role.DISTRICT_LEADER}),
    "city": frozenset({Role.CITY_OFFICER}),
    "receiving": frozenset({Role.DISTRICT_OFFICER, Role.CITY_OFFICER}),
}

# 项目巡查督导 (seed 001 L441–L448): officers report problems on the projects of their area (the
# city's supervision team, the county's patrol staff), leaders read them; each step of the loop is
# taken by one role (``INSPECTION_STEPS``: the step a problem is at → who moves it on).
INSPECTIONS = Resource(
    "inspections",
    "projects.Inspection",
    grants={
        OFFICERS: in_scope(C, R, U),
        LEADERS: in_scope(R),
    },
)
INSPECTION_STEPS: dict[str, frozenset[str]] = {
    "reported": frozenset({Role.DISTRICT_LEADER}),  # the county's patrol lead reviews
    "reviewed": frozenset({Role.CITY_OFFICER}),  # the city confirms the measures
    "measures_confirmed": frozenset({Role.DISTRICT_OFFICER}),  # the county reports its rectification
    "rectified": frozenset({Role.DISTRICT_LEADER}),  # the county lead reviews it
    "rectification_reviewed": frozenset({Role.CITY_OFFICER}),  # the city signs it off
}

# 网格事件 (SPEC 8): grid workers report in their cell and verify there, officers accept, dispatch
# and close in their division, leaders read it; whoever an event is dispatched to (its handler, the
# members of its department) reads it and handles it, wherever they sit (``visible_events``).
# The staff who accept, dispatch and close the events of their division (and are reminded of those
# waiting for them).
EVENT_STAFF = (*OFFICERS, GRID_STAFF)
GRID_EVENTS = Resource(
    "grid_events",
    "grid.GridEvent",
    scope=IN_CELL,
    owner="reporter",
    grants={
        Role.GRID_WORKER: in_scope(R, C),
        EVENT_STAFF: in_scope(R, C, U, Action.REVIEW),
        LEADERS: in_scope(R),
        Role.DISPLAY: in_scope(R),
    },
)
# Who takes each step (``grid.workflow.STEPS``): "staff" are the officers of the event's division
# (Action.REVIEW in scope), "handler" whoever it is dispatched to, "verifier" a grid worker of its
# cell or the staff, "reporter" the one who reported it or the staff.
EVENT_STEPS: dict[str, str] = {
    "accept": "staff",
    "reject": "staff",
    "dispatch": "staff",
    "redispatch": "staff",
    "chase": "staff",
    "escalate": "staff",
    "start": "handler",
    "feedback": "handler",
    "verify": "verifier",
    "verify_failed": "verifier",
    "close": "staff",
    "merge": "staff",
    "evaluate": "reporter",
}
# Whom an event may be dispatched to by name (besides departments): the people who handle events.
EVENT_HANDLER_ROLES = frozenset({Role.GRID_WORKER, *EVENT_STAFF})
# Event categories are the city's configuration: the city's officers keep them, county staff and
# leaders read them (departments are read within one's area, ``visible_departments``).
EVENT_CONFIG = Resource(
    "event_config",
    None,
    grants={
        Role.CITY_OFFICER: anywhere(R, C, U),
        (Role.DISTRICT_OFFICER, GRID_STAFF, *LEADERS): anywhere(R),
    },
)

# 巡查任务 (001 L91): the event staff (网格治理工作人员, officers) assign the patrols of their division
# to the grid workers in it, leaders read them; a grid worker reads and walks the tasks assigned to
# them (U: take, lock and run) and the shared tasks of their cell (``SHARED_PATROL_TASKS``). Staff's
# U is editing a task and releasing a stuck lock; only ``PATROL_WALKERS`` walk (``may_run_task``).
IN_TASK_AREA = ScopeFields(division="division_code", grid_cell="grid_cell_id")
PATROL_TASKS = Resource(
    "patrol_tasks",
    "patrols.PatrolTask",
    scope=IN_TASK_AREA,
    owner="worker",
    grants={
        Role.GRID_WORKER: own(R, U),
        EVENT_STAFF: in_scope(R, C, U),
        LEADERS: in_scope(R),
    },
)
# A shared task (``shared``) of a grid cell is open to every grid worker of that cell.
SHARED_PATROL_TASKS = Resource(
    "shared_patrol_tasks",
    "patrols.PatrolTask",
    scope=IN_TASK_AREA,
    grants={Role.GRID_WORKER: in_scope(R, U)},
)
PATROL_WALKERS = frozenset({Role.GRID_WORKER})
# Checklist templates (标准检查项) are the city's configuration, like event categories: the city's
# officers keep them; county staff, leaders and the grid workers who fill them in read them.
CHECKLIST_TEMPLATES = Resource(
    "checklist_templates",
    None,
    grants={
        Role.CITY_OFFICER: anywhere(R, C, U),
        (Role.DISTRICT_OFFICER, GRID_STAFF, Role.GRID_WORKER, *LEADERS): anywhere(R),
    },
)

# 消息中心: every signed-in user reads and marks their own messages; nobody reads another's.
MESSAGES = Resource(
    "messages",
    "inbox.Message",
    owner="recipient",
    grants={EVERY_ROLE: own(R, U)},
)

# The audit log (SPEC 9): auditors read all of it, city-wide, and nobody edits it (the database
# refuses). Exporting it is reading it.
AUDIT_LOG = Resource("audit_log", "audit.Entry", grants={Role.AUDITOR: anywhere(R)})

# The phone's offline sync (issue 16): every staff role may send its operations and photos; each
# operation's handler then checks the record it writes like the record's own API does.
SYNC = Resource("sync", None, grants={tuple(r for r in EVERY_ROLE if r != Role.INVESTOR): anywhere(C)})

# --- the park manager's editor (issue 17) ----------------------------------------------------------

# The layers whose edits by a park manager wait for an officer's approval, when the park asks for it
# (``Park.edits_need_approval``): what the public map shows of a park's land must be confirmed first.
REVIEWED_LAYERS = frozenset({"parcels", "buildings"})
# A changeset (editing.Changeset) belongs to its park: the park's managers keep it (stage, submit,
# discard items), officers of the park's division review it (approve, return), leaders read it.
# Reviewing is Action.REVIEW in scope; nobody reviews their own edits (``may_review_changeset``).
CHANGESETS = Resource(
    "changesets",
    "editing.Changeset",
    scope=ScopeFields(division="park__division_code", park="park_id"),
    grants={
        Role.PARK_MANAGER: in_scope(*CRUD),
        OFFICERS: in_scope(R, Action.REVIEW),
        LEADERS: in_scope(R),
    },
)

# --- operations (issue 19) ----------------------------------------------------------------------

# A backup holds everything, personal data unmasked: administrators alone (never listed) run,
# follow and restore backups, through manage.py and the read-only admin; there is no API.
BACKUPS = Resource("backups", "backups.BackupJob", grants={})
# /metrics says what is down and how busy the platform is: administrators read it, and so do
# scrapers from loopback or METRICS_ALLOWED_IPS, which are places rather than people
# (geoportal.metrics asks ``may_read_metrics`` for everyone else).
METRICS = Resource("metrics", None, grants={})

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in [
        *LAYER_RULES.values(),
        INGEST_JOBS,
        EXPORT_JOBS,
        OVERLAY_CHECKS,
        LEADS,
        PERSONAL_DATA,
        INDUSTRY_TARGETS,
        PROJECTS,
        SAVED_VIEWS,
        REPORT_JOBS,
        INSPECTIONS,
        MESSAGES,
        GRID_EVENTS,
        EVENT_CONFIG,
        PATROL_TASKS,
        SHARED_PATROL_TASKS,
        CHECKLIST_TEMPLATES,
        AUDIT_LOG,
        SYNC,
        CHANGESETS,
        BACKUPS,
        METRICS,
    ]
}
