"""黄牌 / 红牌 / 亮灯: each open project's standing against its stage's time limit, in working days.

For a project in a stage whose rule has a time limit, counted from the day it entered the stage:

- due within ``remind_days``: *due soon*, a reminder to the project's owner;
- past the limit: a *yellow* card, to the county leader;
- past the limit by more than ``red_grace_days``: a *red* card, to the city;
- 插旗预警 (seed 003 L120): under construction, once a quarter of the limit has passed, a project
  whose progress so far (``progress_percent``) projects a finish beyond the limit and its grace
  gets the red card before it is late, marked ``predicted``.

``sweep`` (beat: ``projects.sweep_warnings``) sets each project's card and due date and records
each warning once per stage entry (``StageWarning``'s unique constraint), so running it twice
notifies nobody twice. Advancing the stage gives the project a new entry time: its card clears at
the next sweep. Ended projects and stages without a limit carry no card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from layers.models import ProjectStage
from workdays.calendar import WorkdayIndex

from .models import Card, Project, StageRule, StageWarning

NOTIFY: dict[str, str] = {Card.DUE_SOON: "owner", Card.YELLOW: "county", Card.RED: "city"}
# The stages whose progress is reported, and how much of the limit must pass before a projection
# from it is worth a flag (a week's progress says little about a year's build).
PROGRESS_STAGES = frozenset({ProjectStage.STARTED, ProjectStage.CONSTRUCTION})
EVIDENCE_SHARE = 0.25


@dataclass(frozen=True)
class Standing:
    card: str
    due_on: date | None
    predicted: bool = False


def standing(project: Project, rule: StageRule | None, today: date, days: WorkdayIndex) -> Standing:
    if rule is None or not rule.time_limit_days or not project.is_live:
        return Standing(Card.NONE, None)
    entered = timezone.localdate(project.stage_entered_at)
    due = days.add(entered, rule.time_limit_days)
    if today > due:
        late = days.between(due, today)
        if late > rule.red_grace_days:
            return Standing(Card.RED, due)
        return (
            Standing(Card.RED, due, predicted=True)
            if _behind(project, rule, entered, today, days)
            else Standing(Card.YELLOW, due)
        )
    if _behind(project, rule, entered, today, days):
        return Standing(Card.RED, due, predicted=True)
    if days.between(today, due) <= rule.remind_days:
        return Standing(Card.DUE_SOON, due)
    return Standing(Card.NONE, due)


def _behind(project: Project, rule: StageRule, entered: date, today: date, days: WorkdayIndex) -> bool:
    """Whether progress so far, extended at its pace, finishes past the limit and its grace."""
    progress = project.progress_percent
    if project.stage not in PROGRESS_STAGES or progress is None or progress >= 100:
        return False
    elapsed = days.between(entered, today)
    if elapsed < EVIDENCE_SHARE * rule.time_limit_days:
        return False
    return elapsed * 100 / max(progress, 1) > rule.time_limit_days + rule.red_grace_days


def _write_cards(changed: list[Project]) -> None:
    """One UPDATE from arrays for every changed card. Bookkeeping, not edits: no version, no
    history, no audit entry. (Django's bulk_update builds a CASE per row: 20 s for 20,000.)"""
    if not changed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_project p SET card = v.card, due_on = v.due_on"
            " FROM unnest(%s::bigint[], %s::text[], %s::date[]) AS v(id, card, due_on) WHERE p.id = v.id",
            [[p.pk for p in changed], [p.card for p in changed], [p.due_on for p in changed]],
        )


def sweep(today: date | None = None) -> dict[str, int]:
    """Bring every open project's card up to date; returns how many of each kind were raised now."""
    today = today or timezone.localdate()
    rules = {rule.stage: rule for rule in StageRule.objects.all()}
    open_projects = Project.objects.filter(ended_at__isnull=True)
    earliest = open_projects.aggregate(first=Min("stage_entered_at"))["first"]
    longest = max((rule.time_limit_days for rule in rules.values()), default=0)
    first_day = min(timezone.localdate(earliest), today) if earliest else today
    days = WorkdayIndex(first_day, max(today, first_day) + timedelta(days=longest * 2 + 60))
    raised_before = set(
        StageWarning.objects.filter(project__ended_at__isnull=True).values_list(
            "project_id", "stage_entered_at", "kind"
        )
    )
    new: list[StageWarning] = []
    changed: list[Project] = []
    fields = ("id", "stage", "stage_entered_at", "ended_at", "card", "due_on", "progress_percent")
    for project in open_projects.only(*fields).iterator(chunk_size=2000):
        now = standing(project, rules.get(project.stage), today, days)
        if (project.card, project.due_on) != (now.card, now.due_on):
            project.card, project.due_on = now.card, now.due_on
            changed.append(project)
        if (
            now.due_on
            and now.card in NOTIFY
            and (project.pk, project.stage_entered_at, now.card) not in raised_before
        ):
            new.append(
                StageWarning(
                    project=project,
                    kind=now.card,
                    stage=project.stage,
                    stage_entered_at=project.stage_entered_at,
                    due_on=now.due_on,
                    notify=NOTIFY[now.card],
                    predicted=now.predicted,
                )
            )
    _write_cards(changed)
    # A sweep running at the same moment may have raised some: the constraint keeps one of each.
    StageWarning.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    raised: dict[str, int] = {kind: 0 for kind in NOTIFY}
    for warning in new:
        raised[warning.kind] += 1
    return raised
