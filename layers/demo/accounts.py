"""The demo accounts: one per role, all with the same password. Plain data (no Django imports), so
scripts/run.sh can print the password without setting Django up."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "Geoportal-demo-2025"  # meets the password policy (AUTH_PASSWORD_VALIDATORS)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # an accounts.roles.Role value
    binding: str  # what the scope is bound to: "", "grid_cell", "park", "town", "county" or "city"
    zh: str
    en: str
    superuser: bool = False


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        "admin",
        "admin",
        "",
        "系统管理员：管理全部数据、用户和配置",
        "Administrator: all data, users and settings",
        superuser=True,
    ),
    DemoAccount(
        "investor",
        "investor",
        "",
        "注册投资人：浏览公开发布的园区、地块、楼宇和配套",
        "Registered investor: browses published parks, parcels, buildings and amenities",
    ),
    DemoAccount(
        "grid",
        "grid_worker",
        "grid_cell",
        "网格员：在所属网格内信息打点、巡查",
        "Grid worker: tags field points and walks patrols in one grid cell",
    ),
    DemoAccount(
        "town",
        "grid_staff",
        "town",
        "镇网格治理工作人员：受理、分拨、结案本镇的网格事件，布置巡查任务",
        "Town grid staff: accept, dispatch and close the town's grid events, assign its patrols",
    ),
    DemoAccount(
        "park",
        "park_manager",
        "park",
        "园区管理员：维护本园区的地块、楼宇和项目",
        "Park manager: maintains the parcels, buildings and projects of one park",
    ),
    DemoAccount(
        "district",
        "district_officer",
        "county",
        "区县投促专员：管理本区县的载体资源和招商项目",
        "District officer: carriers and investment projects of one county",
    ),
    DemoAccount(
        "district_leader",
        "district_leader",
        "county",
        "区县领导：查看本区县的数据和统计",
        "District leader: reads the data and statistics of one county",
    ),
    DemoAccount(
        "city",
        "city_officer",
        "city",
        "市投促专员：管理全市的载体资源和招商项目",
        "City officer: carriers and investment projects city-wide",
    ),
    DemoAccount(
        "city_leader",
        "city_leader",
        "city",
        "市领导：查看全市的数据和统计",
        "City leader: reads the data and statistics of the whole city",
    ),
    DemoAccount(
        "display", "display", "", "大屏展示：全市态势大屏（只读）", "Display: the read-only city dashboard"
    ),
    DemoAccount(
        "auditor",
        "auditor",
        "",
        "安全审计员：查询和导出审计日志（/audit/），不能修改任何数据",
        "Auditor: searches and exports the audit log (/audit/); changes nothing",
    ),
]

DEMO_USERNAMES = [a.username for a in DEMO_ACCOUNTS]

# Every grid cell other than the demo worker's gets a grid worker of its own, who cannot log in
# (unusable password) and is recognised by this password marker when the demo data is flushed.
WORKER_PASSWORD_MARK = "!demo-grid-worker"
WORKER_USERNAME_PREFIX = "gw"
