"""What the pipeline tells people (消息中心): a step waiting for their review, the result of
their submission, a project handed to them, and the stage warnings the sweep raised.

Recipients follow the policy: the reviewers of the pending level (``PROJECT_REVIEWERS``) whose
scope holds the project (for a transfer, the receiving county's officers), the submitter, the
owner. Each notice is keyed by the occurrence (the project's version, the warning's id), so a
replayed action or a second sweep adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from inbox.models import MessageKind
from inbox.send import notify
from policy.predicates import in_charge
from policy.resources import PROJECT_REVIEWERS

from .models import Card, Project, Review, StageWarning


def _link(project: Project) -> str:
    return reverse("web:project", args=[project.pk])


def review_requested(project: Project) -> None:
    """The project waits for a review: tell whoever takes it."""
    level = project.pending
    if not level:
        return
    place = project.pending_division.code if level == Review.RECEIVING and project.pending_division else ""
    reviewers = in_charge(PROJECT_REVIEWERS[level], place or project.division_code)
    what = project.get_pending_stage_display() if project.pending_stage else _("流转或补充签约")
    notify(
        reviewers,
        kind=MessageKind.REVIEW,
        title=_("待审核：%(name)s（%(what)s）") % {"name": project.name, "what": what},
        body=_("%(level)s：%(code)s 等待您审核。") % {"level": Review(level).label, "code": project.code},
        link=_link(project),
        about=project,
        key=f"project-review:{project.pk}:{project.version}",
    )


def decided(project: Project, *, approved: bool, comment: str, submitter: Any) -> None:
    """Tell the submitter how their step went (a return carries its reason)."""
    if submitter is None:
        return
    title = (
        _("审核通过：%(name)s") % {"name": project.name}
        if approved
        else _("已退回：%(name)s") % {"name": project.name}
    )
    notify(
        [submitter],
        kind=MessageKind.RESULT if approved else MessageKind.RETURNED,
        title=title,
        body=comment,
        link=_link(project),
        about=project,
        key=f"project-decided:{project.pk}:{project.version}",
    )


def handed_over(project: Project, previous_owner_id: int | None) -> None:
    """项目负责人变更 or a confirmed transfer: the new owner has the project now."""
    if project.owner_id == previous_owner_id:
        return
    notify(
        [project.owner],
        kind=MessageKind.ASSIGNMENT,
        title=_("项目交由您负责：%(name)s") % {"name": project.name},
        link=_link(project),
        about=project,
        key=f"project-owner:{project.pk}:{project.version}",
    )


WARNING_TEXT: dict[str, tuple[str, str]] = {
    Card.DUE_SOON: (MessageKind.REMINDER, _("即将到期")),
    Card.YELLOW: (MessageKind.WARNING, _("黄牌")),
    Card.RED: (MessageKind.WARNING, _("红牌")),
}
# Who a card goes to (StageWarning.notify): the owner, the county leader, the city.
NOTIFIED_ROLES = {"county": (Role.DISTRICT_LEADER,), "city": (Role.CITY_OFFICER, Role.CITY_LEADER)}


def deliver_warnings() -> int:
    """Put every undelivered stage warning in its recipients' inboxes; returns how many."""
    pending = StageWarning.objects.filter(delivered_at__isnull=True).select_related("project__owner")
    count = 0
    # Who is in charge of a county is the same for all its warnings: one lookup per county and level.
    charged: dict[tuple[str, str], list[Any]] = {}
    for warning in pending.iterator(chunk_size=500):
        project = warning.project
        if warning.notify == "owner":
            people = [project.owner]
        else:
            place = (warning.notify, project.division_code)
            if place not in charged:
                charged[place] = in_charge(NOTIFIED_ROLES[warning.notify], project.division_code)
            people = charged[place]
        kind, label = WARNING_TEXT[warning.kind]
        reason = (
            _("按目前进度预判将超期（插旗预警）")
            if warning.predicted
            else _("到期日 %(due)s") % {"due": warning.due_on}
        )
        notify(
            people,
            kind=kind,
            title=_("%(card)s：%(name)s（%(stage)s）")
            % {"card": label, "name": project.name, "stage": warning.get_stage_display()},
            body=reason,
            link=_link(project),
            about=project,
            key=f"stage-warning:{warning.pk}",
        )
        warning.delivered_at = timezone.now()
        warning.save(update_fields=["delivered_at"])
        count += 1
    return count
