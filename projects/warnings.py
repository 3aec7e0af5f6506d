"""黄牌 / 红牌 / 亮灯: each open project's standing against its stage's time limit, in working days.

For a project in a stage whose rule has a time limit, counted from the day it entered the stage:

- due within ``remind_days``: *due soon*, a reminder to the project's owner;
- past the limit: a *yellow* card, to the county leader;
- past the limit by more than ``red_grace_days``: a *red* card, to the city.

``sweep`` (beat: ``projects.sweep_warnings``) sets each project's card and due date and records
each warning once per stage entry (``StageWarning``'s unique constraint), so running it twice
notifies nobody twice. Advancing the stage gives the project a new entry time: its card clears at
the next sweep. Ended projects and stages without a limit carry no card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Min
from django.utils import timezone

from workdays.calendar import WorkdayIndex

from .models import Card, Project, StageRule, StageWarning

NOTIFY: dict[str, str] = {Card.DUE_SOON: "owner", Card.YELLOW: "county", Card.RED: "city"}


@dataclass(frozen=True)
class Standing:
    card: str
    due_on: date | None


def standing(project: Project, rule: StageRule | None, today: date, days: WorkdayIndex) -> Standing:
    if rule is None or not rule.time_limit_days or not project.is_live:
        return Standing(Card.NONE, None)
    entered = timezone.localdate(project.stage_entered_at)
    due = days.add(entered, rule.time_limit_days)
    if today > due:
        late = days.between(due, today)
        return Standing(Card.RED if late > rule.red_grace_days else Card.YELLOW, due)
    if days.between(today, due) <= rule.remind_days:
        return Standing(Card.DUE_SOON, due)
    return Standing(Card.NONE, due)


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
    fields = ("id", "stage", "stage_entered_at", "ended_at", "card", "due_on")
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
                )
            )
    # Bookkeeping, not edits: no version, no history, no audit entry (bulk_update sends no signals).
    Project.objects.bulk_update(changed, ["card", "due_on"], batch_size=1000)
    # A sweep running at the same moment may have raised some: the constraint keeps one of each.
    StageWarning.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    raised: dict[str, int] = {kind: 0 for kind in NOTIFY}
    for warning in new:
        raised[warning.kind] += 1
    return raised
