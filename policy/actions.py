"""The verbs a rule can grant. One vocabulary for every resource."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("查看")
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    # Jobs: stop a queued or running job.
    CANCEL = "cancel", _("取消")
    # Overlay checks: mark a finding verified or a false positive.
    REVIEW = "review", _("核实")


R, C, U, D = Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE
CRUD = (R, C, U, D)
