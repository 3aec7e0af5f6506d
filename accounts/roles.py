"""The roles of SPEC section 9, and what each is bound to."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INVESTOR = "investor", _("注册投资人")
    GRID_WORKER = "grid_worker", _("网格员")
    # 村、镇、区县的网格治理工作人员 (001 L209): accept, dispatch and close the events of their
    # division, assign its patrols; bound to a division of any level.
    GRID_STAFF = "grid_staff", _("网格治理工作人员")
    PARK_MANAGER = "park_manager", _("园区管理员")
    DISTRICT_OFFICER = "district_officer", _("区县投促专员")
    DISTRICT_LEADER = "district_leader", _("区县领导")
    CITY_OFFICER = "city_officer", _("市投促专员")
    CITY_LEADER = "city_leader", _("市领导")
    ADMIN = "admin", _("系统管理员")
    DISPLAY = "display", _("大屏展示")
    # Reads the audit log and nothing else (等保 三员: the auditor is not the administrator).
    AUDITOR = "auditor", _("安全审计员")


# Which binding a role's geographic scope comes from. Roles missing here have no scope of their own:
# investors see published content, administrators and displays see the whole city.
SCOPE_BINDING: dict[str, str] = {
    Role.GRID_WORKER: "grid_cell",
    Role.PARK_MANAGER: "park",
    Role.GRID_STAFF: "division",
    Role.DISTRICT_OFFICER: "division",
    Role.DISTRICT_LEADER: "division",
    Role.CITY_OFFICER: "division",
    Role.CITY_LEADER: "division",
}

STAFF_ROLES = frozenset(SCOPE_BINDING) | {Role.ADMIN}
