"""What a patrol task tells its worker: that it is theirs (布置 or 转派), in their inbox."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.models import MessageKind
from inbox.send import notify

from .models import PatrolTask


def assigned(task: PatrolTask) -> None:
    """Tell the task's worker it is theirs: once per worker and due time (a replay tells nobody
    twice, a reassignment or a new due time tells again)."""
    if task.worker is None:
        return
    until = timezone.localtime(task.due_until)
    notify(
        [task.worker],
        kind=MessageKind.ASSIGNMENT,
        title=_("新巡查任务：%(title)s") % {"title": task.title},
        body=_("截止时间 %(until)s。") % {"until": until.strftime("%Y-%m-%d %H:%M")},
        link=f"{reverse('web:events')}?tab=patrols",
        about=task,
        key=f"patrol-assigned:{task.pk}:{task.worker_id}:{until.isoformat()}",
    )
