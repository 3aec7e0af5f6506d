"""What can happen to a project, stage by stage (seed 001 L427–L470), as data and a few functions.

- ``submit`` asks to move to the next stage. A move listed in ``REVIEWS`` waits for those reviews
  in order (county leader, then the city); any other move happens at once.
- ``approve`` passes the pending review to the next level, or applies the move after the last.
  The city's signing review (签约复核) may set the signing date.
- ``send_back`` (退回) returns a pending move to its submitter with the reason.
- ``end`` (终止) ends a live project with a reason; ``reserve`` moves a negotiating project into the
  reserve pool (备选库) and back (the actions ``to_reserve`` / ``from_reserve``).
- ``transfer`` (流转) asks to hand a project to another county: the city approves, then the
  receiving county confirms.
- ``supplement`` (补充签约) submits an addition to a signed project's agreement for the city's
  review; ``approve`` / ``send_back`` decide it like any other pending step.

Each function checks the caller's right (``policy.predicates.may_act_on_project``), changes the
project in one transaction with its ``ProjectEvent``, and bumps its version. A move the current
stage does not allow is a ``NotAllowed`` naming those it does; missing required fields and
attachments (the stage's rule, ``checklist``) are an ``Incomplete`` naming each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.refusals import Forbidden, Incomplete, NotAllowed
from layers.models import Division, ProjectStage
from layers.sites import follow_stage
from policy.predicates import may_act_on_project

from . import carriers, notify
from .models import (
    AttachmentKind,
    EventKind,
    Project,
    ProjectEvent,
    Review,
    StageRule,
    Supplement,
    SupplementStatus,
)

ORDER: tuple[str, ...] = tuple(ProjectStage.values)
# The moves that wait for reviews (审核), and whose: the rest take effect when submitted.
REVIEWS: dict[str, tuple[str, ...]] = {
    ProjectStage.NEGOTIATING: (Review.COUNTY,),
    ProjectStage.REVIEW: (Review.COUNTY, Review.CITY),
    ProjectStage.SIGNED: (Review.COUNTY, Review.CITY),
}


@dataclass(frozen=True)
class Action:
    name: str
    label: Any  # a lazy translation


def next_stage(project: Project) -> str | None:
    index = ORDER.index(project.stage)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def available(project: Project, user: Any) -> list[str]:
    """The actions this user may take on the project now, and only those (the page shows them)."""
    return [name for name in ACTIONS if _applies(name, project) and may_act_on_project(user, project, name)]


def _applies(name: str, project: Project) -> bool:
    live = project.is_live
    pending = bool(project.pending)
    if name == "submit":
        return live and not pending and not project.in_reserve and next_stage(project) is not None
    if name in {"approve", "send_back"}:
        return live and pending
    if name == "end":
        return live and not pending
    if name == "to_reserve":
        return live and not pending and project.stage == ProjectStage.NEGOTIATING and not project.in_reserve
    if name == "from_reserve":
        return live and project.in_reserve and not pending
    if name == "transfer":
        return live and not pending
    if name == "supplement":
        return live and not pending and ORDER.index(project.stage) >= ORDER.index(ProjectStage.SIGNED)
    return False


def _check(project: Project, user: Any, name: str) -> None:
    if not _applies(name, project):
        allowed = [a for a in ACTIONS if _applies(a, project)]
        raise NotAllowed(
            _("This action does not apply to the project now (stage %(stage)s). Allowed: %(allowed)s.")
            % {"stage": project.get_stage_display(), "allowed": ", ".join(allowed) or _("none")},
            allowed=allowed,
        )
    if not may_act_on_project(user, project, name):
        raise Forbidden(_("Your role or area may not take this action on this project."))


def checklist(project: Project, stage: str | None = None) -> dict[str, Any]:
    """What entering ``stage`` (by default the one the project is heading for) asks for, and
    whether the project has it: the rule's fields and the newest version of each attachment."""
    stage = stage or project.pending_stage or next_stage(project)
    if stage is None:
        return {"stage": None, "fields": [], "attachments": []}
    rule = StageRule.objects.filter(stage=stage).first()
    fields: Sequence[str] = rule.required_fields if rule else ()
    kinds: Sequence[str] = rule.required_attachments if rule else ()
    have = {a.kind: a for a in project.attachments.order_by("kind", "version")} if kinds else {}
    return {
        "stage": stage,
        "fields": [
            {
                "name": name,
                "label": Project.label(name),
                "done": getattr(project, name, None) not in (None, "", []),
            }
            for name in fields
        ],
        "attachments": [
            {
                "kind": kind,
                "label": str(AttachmentKind(kind).label),
                "done": kind in have,
                "version": have[kind].version if kind in have else None,
            }
            for kind in kinds
        ],
    }


def missing(project: Project, stage: str) -> list[str]:
    """The required fields and attachments (``attachments.<kind>``) entering ``stage`` lacks."""
    listed = checklist(project, stage)
    return [item["name"] for item in listed["fields"] if not item["done"]] + [
        f"attachments.{item['kind']}" for item in listed["attachments"] if not item["done"]
    ]


def _log(project: Project, user: Any, kind: str, before: str, review: str = "", comment: str = "") -> None:
    ProjectEvent.objects.create(
        project=project,
        user=user,
        kind=kind,
        from_stage=before,
        to_stage=project.stage,
        review=review,
        comment=comment,
    )


def log_created(project: Project, user: Any) -> None:
    _log(project, user, EventKind.CREATE, project.stage)


def _enter(project: Project, stage: str) -> None:
    project.stage = stage
    project.stage_entered_at = timezone.now()
    carriers.follow(project)
    follow_stage(project.code, stage)


def _save(project: Project) -> None:
    project.version += 1
    project.save()


@transaction.atomic
def submit(project: Project, user: Any, comment: str = "") -> Project:
    _check(project, user, "submit")
    target = next_stage(project)
    assert target is not None
    lacking = missing(project, target)
    if lacking:
        raise Incomplete(
            _("Fill in these fields and attach these documents before moving to %(stage)s: %(fields)s.")
            % {"stage": ProjectStage(target).label, "fields": ", ".join(lacking)},
            fields=lacking,
        )
    before = project.stage
    reviews = REVIEWS.get(target, ())
    if reviews:
        project.pending, project.pending_stage, project.submitted_by = reviews[0], target, user
        project.returned_reason = ""
        carriers.hold(project, target)
        _save(project)
        _log(project, user, EventKind.SUBMIT, before, review=reviews[0], comment=comment)
        notify.review_requested(project)
    else:
        _enter(project, target)
        _save(project)
        _log(project, user, EventKind.ADVANCE, before, comment=comment)
    return project


@transaction.atomic
def approve(project: Project, user: Any, comment: str = "", signing_date: date | None = None) -> Project:
    _check(project, user, "approve")
    before, level = project.stage, project.pending
    if level == Review.RECEIVING or (level == Review.CITY and project.pending_division_id):
        _approve_transfer(project, user, comment)
        return project
    if pending_supplement(project) is not None:
        _decide_supplement(project, user, comment, approved=True)
        return project
    reviews = REVIEWS[project.pending_stage]
    following = reviews[reviews.index(level) + 1 :]
    submitter = project.submitted_by
    if following:
        project.pending = following[0]
    else:
        if signing_date and project.pending_stage == ProjectStage.SIGNED:
            project.signing_date = signing_date
        target = project.pending_stage
        project.pending, project.pending_stage, project.submitted_by = Review.NONE, "", None
        _enter(project, target)
    _save(project)
    _log(project, user, EventKind.APPROVE, before, review=level, comment=comment)
    if following:
        notify.review_requested(project)
    else:
        notify.decided(project, approved=True, comment=comment, submitter=submitter)
    return project


@transaction.atomic
def send_back(project: Project, user: Any, reason: str) -> Project:
    _check(project, user, "send_back")
    if not reason.strip():
        raise Incomplete(_("Say why the project goes back: the submitter reads it."), fields=["reason"])
    level = project.pending
    if pending_supplement(project) is not None:
        _decide_supplement(project, user, reason, approved=False)
        return project
    submitter = project.submitted_by
    project.pending, project.pending_stage, project.pending_division = Review.NONE, "", None
    project.returned_reason = reason
    carriers.follow(project)  # a held carrier is free again
    _save(project)
    _log(project, user, EventKind.RETURN, project.stage, review=level, comment=reason)
    notify.decided(project, approved=False, comment=reason, submitter=submitter)
    return project


@transaction.atomic
def end(project: Project, user: Any, reason: str) -> Project:
    _check(project, user, "end")
    if not reason.strip():
        raise Incomplete(_("Give the reason the project ends."), fields=["reason"])
    project.ended_at, project.end_reason = timezone.now(), reason
    carriers.follow(project)
    _save(project)
    _log(project, user, EventKind.END, project.stage, comment=reason)
    return project


@transaction.atomic
def reserve(project: Project, user: Any, *, into: bool, comment: str = "") -> Project:
    """Into the reserve pool (备选库), or back out of it (``into=False``)."""
    _check(project, user, "to_reserve" if into else "from_reserve")
    project.in_reserve = into
    _save(project)
    _log(
        project,
        user,
        EventKind.TO_RESERVE if into else EventKind.FROM_RESERVE,
        project.stage,
        comment=comment,
    )
    return project


@transaction.atomic
def transfer(project: Project, user: Any, to: Division, comment: str) -> Project:
    _check(project, user, "transfer")
    if to.level != "county" or to.pk == project.division_id:
        raise Incomplete(_("Transfer to another county of the city."), fields=["to"])
    if not comment.strip():
        raise Incomplete(_("Say why the project does not fit this county."), fields=["comment"])
    project.pending, project.pending_division, project.submitted_by = Review.CITY, to, user
    _save(project)
    _log(project, user, EventKind.SUBMIT, project.stage, review=Review.CITY, comment=comment)
    notify.review_requested(project)
    return project


def _approve_transfer(project: Project, user: Any, comment: str) -> None:
    level = project.pending
    submitter, previous_owner = project.submitted_by, project.owner_id
    if level == Review.CITY:
        project.pending = Review.RECEIVING
        kind = EventKind.APPROVE
    else:
        project.division = project.pending_division  # type: ignore[assignment]
        project.pending, project.pending_division, project.submitted_by = Review.NONE, None, None
        project.owner = user  # the receiving county's officer who confirmed takes it on
        kind = EventKind.TRANSFER
    _save(project)
    _log(project, user, kind, project.stage, review=level, comment=comment)
    if level == Review.CITY:
        notify.review_requested(project)
    else:
        notify.decided(project, approved=True, comment=comment, submitter=submitter)
        notify.handed_over(project, previous_owner)


def pending_supplement(project: Project) -> Supplement | None:
    if project.pending != Review.CITY or project.pending_stage or project.pending_division_id:
        return None
    return project.supplements.filter(status=SupplementStatus.PENDING).first()


@transaction.atomic
def supplement(
    project: Project,
    user: Any,
    *,
    content: str,
    signed_on: date | None,
    added_investment_wan: Any = None,
) -> Supplement:
    """补充签约: the addition goes to the city with its agreement (a 补充协议 attachment uploaded
    since the previous supplement)."""
    _check(project, user, "supplement")
    lacking = [name for name, value in (("content", content.strip()), ("signed_on", signed_on)) if not value]
    previous = project.supplements.order_by("-submitted_at").first()
    agreements = project.attachments.filter(kind=AttachmentKind.SUPPLEMENTARY_CONTRACT)
    if previous is not None:
        agreements = agreements.filter(uploaded_at__gt=previous.submitted_at)
    if not agreements.exists():
        lacking.append(f"attachments.{AttachmentKind.SUPPLEMENTARY_CONTRACT}")
    if lacking:
        raise Incomplete(
            _("A supplementary signing needs its content, date and supplementary agreement: %(fields)s.")
            % {"fields": ", ".join(lacking)},
            fields=lacking,
        )
    assert signed_on is not None  # checked above
    added = Supplement.objects.create(
        project=project,
        content=content,
        signed_on=signed_on,
        added_investment_wan=added_investment_wan,
        submitted_by=user,
    )
    project.pending, project.submitted_by, project.returned_reason = Review.CITY, user, ""
    _save(project)
    _log(project, user, EventKind.SUPPLEMENT, project.stage, review=Review.CITY, comment=content)
    notify.review_requested(project)
    return added


def _decide_supplement(project: Project, user: Any, comment: str, *, approved: bool) -> None:
    added = pending_supplement(project)
    assert added is not None
    added.status = SupplementStatus.APPROVED if approved else SupplementStatus.RETURNED
    added.decided_at = timezone.now()
    added.save(update_fields=["status", "decided_at"])
    if approved and added.added_investment_wan:
        project.investment_wan = (project.investment_wan or 0) + added.added_investment_wan
    if not approved:
        project.returned_reason = comment
    submitter = project.submitted_by
    project.pending, project.submitted_by = Review.NONE, None
    _save(project)
    notify.decided(project, approved=approved, comment=comment, submitter=submitter)
    _log(
        project,
        user,
        EventKind.APPROVE if approved else EventKind.RETURN,
        project.stage,
        review=Review.CITY,
        comment=comment,
    )


ACTIONS: dict[str, Action] = {
    "submit": Action("submit", _lazy("提交")),
    "approve": Action("approve", _lazy("审核通过")),
    "send_back": Action("send_back", _lazy("退回")),
    "end": Action("end", _lazy("终止")),
    "to_reserve": Action("to_reserve", _lazy("转入备选库")),
    "from_reserve": Action("from_reserve", _lazy("移出备选库")),
    "transfer": Action("transfer", _lazy("流转")),
    "supplement": Action("supplement", _lazy("补充签约")),
}
