"""What can happen to a grid event, state by state (seed 001 L91–L113), as a table and one function.

=============  ==========================  ===========  =========================================
step           from                        to           takes
=============  ==========================  ===========  =========================================
accept         reported                    accepted     staff of the event's division (受理)
reject         reported                    rejected     staff, with the reason (不予受理)
dispatch       accepted                    dispatched   staff: a department or a person in their
                                                        scope (分拨)
redispatch     dispatched, handling        dispatched   staff, logged as 转派
start          dispatched                  handling     the handler or the department (处置)
feedback       handling                    replied      the handler, with photos (反馈)
verify         replied                     verified     a grid worker of the cell, or staff (核查)
verify_failed  replied                     handling     the same, with what is still wrong
close          verified                    closed       staff (结案)
merge          reported, accepted          merged       staff: into the event kept, open, of the same
                                                        category (合并重复上报)
evaluate       closed                      closed       the reporter or staff: a score 1–5, once
chase          reported … replied          (same)       staff (催办): a message to whoever holds it
escalate       reported … replied          (same)       staff, with the reason: one level up (升级)
=============  ==========================  ===========  =========================================

``take`` checks the step applies (else ``NotAllowed`` listing those that do, a 409), the caller's
right (``policy.predicates.may_take_event_step``, a 403), the input (``Incomplete`` naming each
field, a 400), changes the event in one transaction with its ``EventAction``, keeps the source
field point's status in step, and tells the people concerned (``inbox``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.refusals import Forbidden, Incomplete, NotAllowed
from inbox.models import MessageKind
from inbox.send import notify
from layers.models import EventStatus
from policy.predicates import may_dispatch_to, may_take_event_step

from .models import LEVELS, TIMED_STEPS, DeadlineCard, Department, EventAction, GridEvent

S = EventStatus
OPEN = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.REPLIED)


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change


STEPS: dict[str, Step] = {
    "accept": Step((S.REPORTED,), S.ACCEPTED),
    "reject": Step((S.REPORTED,), S.REJECTED),
    "dispatch": Step((S.ACCEPTED,), S.DISPATCHED),
    "redispatch": Step((S.DISPATCHED, S.HANDLING), S.DISPATCHED),
    "start": Step((S.DISPATCHED,), S.HANDLING),
    "feedback": Step((S.HANDLING,), S.REPLIED),
    "verify": Step((S.REPLIED,), S.VERIFIED),
    "verify_failed": Step((S.REPLIED,), S.HANDLING),
    "close": Step((S.VERIFIED,), S.CLOSED),
    "merge": Step((S.REPORTED, S.ACCEPTED), S.MERGED),
    "evaluate": Step((S.CLOSED,), None),
    "chase": Step(OPEN, None),
    "escalate": Step(OPEN, None),
}


def _applies(name: str, event: GridEvent) -> bool:
    step = STEPS[name]
    if event.state not in step.sources:
        return False
    if name == "escalate":
        return event.escalation < len(LEVELS) - 1  # the city is the top
    return not (name == "evaluate" and event.score is not None)


def available(event: GridEvent, user: Any) -> list[str]:
    """The steps this user may take on the event now, and only those."""
    return [name for name in STEPS if _applies(name, event) and may_take_event_step(user, event, name)]


def _link(event: GridEvent) -> str:
    return event.get_absolute_url()


def holders(event: GridEvent) -> list[Any]:
    """Whoever an event is dispatched to: its department's members and its handler."""
    people = list(event.department.members.all()) if event.department_id and event.department else []
    return [*people, event.handler] if event.handler_id else people


def _need(data: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not str(data.get(name) or "").strip()]
    if missing:
        raise Incomplete(_("This step needs: %(fields)s.") % {"fields": ", ".join(missing)}, fields=missing)


@transaction.atomic
def take(event: GridEvent, user: Any, name: str, data: dict[str, Any]) -> GridEvent:
    """Take step ``name`` with its input ``data`` (``comment``, ``department``, ``handler``,
    ``feedback``, ``photos``, ``score``, ``into``)."""
    if name not in STEPS:
        raise Incomplete(
            _("Unknown step; choose one of: %(steps)s.") % {"steps": ", ".join(STEPS)}, fields=["step"]
        )
    event = GridEvent.objects.select_for_update().get(pk=event.pk)
    if not _applies(name, event):
        allowed = [n for n in STEPS if _applies(n, event)]
        raise NotAllowed(
            _("This step does not apply to the event now (%(state)s). Allowed: %(allowed)s.")
            % {"state": event.get_state_display(), "allowed": ", ".join(allowed) or _("none")},
            allowed=allowed,
        )
    if not may_take_event_step(user, event, name):
        raise Forbidden(_("Your role or area does not take this step of the event."))
    comment = str(data.get("comment") or "")
    before, stay_began = event.state, event.state_entered_at
    if name in {"reject", "verify_failed"}:
        _need(data, "comment")
    if name in {"dispatch", "redispatch"}:
        _dispatch(event, user, data)
    if name == "feedback":
        _need(data, "feedback")
        photos = data.get("photos") or []
        if not isinstance(photos, list) or not all(isinstance(p, str) for p in photos):
            raise Incomplete(_("photos is a list of paths in our media library."), fields=["photos"])
        event.feedback, event.feedback_photos = str(data["feedback"]), photos
    if name == "escalate":
        _need(data, "comment")
        event.escalation += 1
    if name == "merge":
        _merge(event, user, data)
    if name == "evaluate":
        score = data.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise Incomplete(_("Give a score from 1 to 5."), fields=["score"])
        event.score = score
    target = STEPS[name].target
    if target is not None:
        # A new stay in a new state: its deadline is the sweep's to set, the old card no longer holds.
        event.state, event.state_entered_at = target, timezone.now()
        event.card, event.due_on = DeadlineCard.NONE, None
    if target == S.CLOSED:
        event.closed_at = timezone.now()
    event.version += 1
    event.save()
    EventAction.objects.create(
        event=event,
        user=user,
        step=name,
        from_state=before,
        to_state=event.state,
        comment=comment,
        step_started_at=_step_started(event, name, stay_began),
        department=event.department if name in {"dispatch", "redispatch"} else None,
        handler=event.handler if name in {"dispatch", "redispatch"} else None,
    )
    if event.field_point_id and event.field_point and event.field_point.status != event.state:
        point = event.field_point
        point.status, point.version = event.state, point.version + 1
        point.save()
    _tell(event, user, name, comment)
    return event


def _step_started(event: GridEvent, name: str, stay_began: Any) -> Any:
    """When a timed step (``TIMED_STEPS``) began: its state's entry, or for handling the latest
    dispatch; None for the steps that are not timed."""
    if name not in TIMED_STEPS:
        return None
    if TIMED_STEPS[name] != "handle":
        return stay_began
    dispatched = (
        event.actions.filter(to_state=S.DISPATCHED).order_by("-at", "-id").values_list("at", flat=True)
    )
    return dispatched.first() or stay_began


def _merge(event: GridEvent, user: Any, data: dict[str, Any]) -> None:
    """Into the event kept: it takes the repeat's photos and a line in its timeline."""
    from policy.predicates import visible_events

    from .duplicates import STILL_OPEN

    into = str(data.get("into") or "")
    seen = into.isdigit() and visible_events(user).filter(pk=int(into)).exists()
    kept = GridEvent.objects.select_for_update().filter(pk=int(into)).first() if seen else None
    if kept is None or kept.pk == event.pk:
        raise Incomplete(_("Name the event to keep (into), another event in your area."), fields=["into"])
    if kept.state not in STILL_OPEN or kept.category_id != event.category_id:
        raise Incomplete(
            _("The event kept must be open and of the same category; %(code)s is not.") % {"code": kept.code},
            fields=["into"],
        )
    event.merged_into = kept
    kept.photos = [*kept.photos, *(p for p in event.photos if p not in kept.photos)]
    kept.version += 1
    kept.save(update_fields=["photos", "version", "updated_at"])
    EventAction.objects.create(
        event=kept,
        user=user,
        step="merge",
        from_state=kept.state,
        to_state=kept.state,
        comment=_("合并重复上报 %(code)s") % {"code": event.code},
    )


def _dispatch(event: GridEvent, user: Any, data: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    department = handler = None
    if str(data.get("department") or "").isdigit():
        department = Department.objects.select_related("division").filter(pk=int(data["department"])).first()
        if department is None:
            raise Incomplete(_("No such department."), fields=["department"])
    if str(data.get("handler") or "").isdigit():
        handler = get_user_model().objects.filter(pk=int(data["handler"]), is_active=True).first()
        if handler is None:
            raise Incomplete(_("No such person."), fields=["handler"])
    if department is None and handler is None:
        raise Incomplete(
            _("Dispatch to a department or a person (department, handler)."), fields=["department"]
        )
    if not may_dispatch_to(user, department=department, handler=handler):
        raise Forbidden(_("Dispatch only to departments and people within your own area."))
    event.department, event.handler = department, handler


# Who hears of each step, as what kind of message, and its title: whoever the event is dispatched to,
# the control centre of the level it climbs to, or the reporter of the outcome.
NOTICES: dict[str, tuple[str, str, Any]] = {
    "dispatch": ("holders", MessageKind.ASSIGNMENT, _lazy("新派事件：%(title)s")),
    "redispatch": ("holders", MessageKind.ASSIGNMENT, _lazy("转派事件：%(title)s")),
    "verify_failed": ("holders", MessageKind.ASSIGNMENT, _lazy("核查未通过：%(title)s")),
    "chase": ("holders", MessageKind.ASSIGNMENT, _lazy("催办：%(title)s")),
    "escalate": ("centre", MessageKind.ASSIGNMENT, _lazy("升级办理：%(title)s")),
    "reject": ("reporter", MessageKind.RESULT, _lazy("不予受理：%(title)s")),
    "close": ("reporter", MessageKind.RESULT, _lazy("已结案：%(title)s")),
    "merge": ("reporter", MessageKind.RESULT, _lazy("已合并到另一事件：%(title)s")),
}


def _tell(event: GridEvent, user: Any, name: str, comment: str) -> None:
    """The people a step concerns (``NOTICES``), once per step taken."""
    if name not in NOTICES:
        return
    whom, kind, title = NOTICES[name]
    if whom == "holders":
        people = holders(event)
    elif whom == "centre":
        from .deadlines import control_centres

        people = control_centres(event, LEVELS[event.escalation])
    else:
        people = [event.reporter]
    notify(
        people,
        kind=kind,
        title=title % {"title": event.title},
        body=comment,
        link=_link(event),
        about=event,
        key=f"grid-event:{event.pk}:{event.version}",
    )
