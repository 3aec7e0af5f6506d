"""领取 a shared patrol task: one worker of the cell holds it at a time, for ``PATROL_LOCK_MINUTES``.

Unlike a lock that lapses silently (HOT Tasking Manager unlocks after two hours without a word),
the lock is visible: the API shows its holder, when it runs out and the seconds left, so the phone
can count down and its holder can extend it before it lapses. A lock past its time is free — anyone
of the cell may take it — and only its holder extends it. The holder releases it (finishing a run
does), and so may the staff of the task's area, for a worker who walked away.

Each change reads the task ``FOR UPDATE``: two workers pressing 领取 at once get one lock and one 409
that says who holds it and until when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import person_name
from core.refusals import Conflict, Forbidden, NotAllowed
from policy.predicates import may_edit_task, may_run_task

from .models import PatrolTask, TaskState


def held(task: PatrolTask, now: datetime | None = None) -> bool:
    """Whether someone holds the task's lock now."""
    now = now or timezone.now()
    return task.lock_holder_id is not None and task.lock_expires_at is not None and task.lock_expires_at > now


def lock_view(task: PatrolTask, now: datetime | None = None) -> dict[str, Any] | None:
    """The lock as the API shows it, or None when the task is free."""
    now = now or timezone.now()
    if not held(task, now):
        return None
    holder = task.lock_holder
    expires = task.lock_expires_at
    assert expires is not None and holder is not None
    return {
        "holder": holder.pk,
        "holder_name": person_name(holder),
        "expires_at": expires.isoformat(),
        "seconds_left": max(0, int((expires - now).total_seconds())),
    }


def _taken(task: PatrolTask, now: datetime) -> Conflict:
    lock = lock_view(task, now)
    assert lock is not None
    return Conflict(
        _("%(name)s 已领取此任务，锁定到 %(until)s；到时未延长即可领取。")
        % {"name": lock["holder_name"], "until": timezone.localtime(task.lock_expires_at).strftime("%H:%M")},
        lock=lock,
    )


def _for_update(task: PatrolTask) -> PatrolTask:
    return PatrolTask.objects.select_for_update(of=("self",)).select_related("lock_holder").get(pk=task.pk)


def take(task: PatrolTask, user: Any, now: datetime) -> None:
    """Give ``user`` the lock of a shared task read ``FOR UPDATE`` (not saved): a 409 if another
    holds it; a lock of theirs still running stays as it is."""
    if held(task, now) and task.lock_holder_id != user.pk:
        raise _taken(task, now)
    if not held(task, now):
        task.lock_holder, task.lock_expires_at = user, now + timedelta(minutes=settings.PATROL_LOCK_MINUTES)


def lock(task: PatrolTask, user: Any, now: datetime | None = None) -> PatrolTask:
    now = now or timezone.now()
    if not may_run_task(user, task):
        raise Forbidden(_("只有任务指派的网格员或本网格的网格员可以领取。"))
    with transaction.atomic():
        task = _for_update(task)
        if not task.shared:
            raise NotAllowed(_("此任务已指派给个人，无需领取，可直接开始巡查。"), allowed=[])
        if task.state == TaskState.DONE:
            raise NotAllowed(_("任务已完成，不能再领取。"), allowed=[])
        take(task, user, now)
        task.save(update_fields=["lock_holder", "lock_expires_at", "updated_at"])
    return task


def extend(task: PatrolTask, user: Any, now: datetime | None = None) -> PatrolTask:
    """Another ``PATROL_LOCK_MINUTES`` from now, for the holder of a lock still running."""
    now = now or timezone.now()
    with transaction.atomic():
        task = _for_update(task)
        if held(task, now) and task.lock_holder_id != user.pk:
            raise _taken(task, now)
        if not held(task, now):
            raise NotAllowed(_("你没有领取此任务，或锁定已到期：请重新领取。"), allowed=["lock"])
        task.lock_expires_at = now + timedelta(minutes=settings.PATROL_LOCK_MINUTES)
        task.save(update_fields=["lock_expires_at", "updated_at"])
    return task


def unlock(task: PatrolTask, user: Any, now: datetime | None = None) -> PatrolTask:
    """Free the task: its holder, or the staff of its area; a task already free stays free."""
    now = now or timezone.now()
    with transaction.atomic():
        task = _for_update(task)
        if not held(task, now):
            return task
        if task.lock_holder_id != user.pk and not may_edit_task(user, task):
            raise _taken(task, now)
        release(task)
        task.save(update_fields=["lock_holder", "lock_expires_at", "updated_at"])
    return task


def release(task: PatrolTask) -> None:
    task.lock_holder, task.lock_expires_at = None, None
