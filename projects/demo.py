"""The demo city's investment pipeline (``manage.py seed_demo``): a project behind every project
site, at the site's stage, with a history that got it there.

What a visitor of ``make run`` should find, each for a demo account to act on:

- projects at every stage, some with yellow and red cards (the sweep decides, on the same rules
  the beat runs), builds flagged 插旗 from their progress, and some waiting for the county leader's
  or the city's review (``district_leader``, ``city``);
- a reserve pool, ended projects, transfers done and one waiting for the demo county to confirm
  (``district``), supplementary signings, a returned submission with its reason;
- enterprises for the signed projects, linked to the parcels and buildings they occupy, some not
  yet registered (已签约未注册);
- inspections at every step of the loop, each county's annual targets, and the documents each
  passed stage asked for (small PDFs, so the checklists read done);
- the inboxes: the cards delivered and the reviews waiting, as the beat and the workflow do.

Deterministic for a seed; bulk writes (no signals, so no audit entries for demo data), then one
sweep. The project codes are the sites' codes, which is how a site names its project.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from industries.demo import LINK_WEIGHTS
from industries.models import ChainLink, Industry
from layers.models import Division, Enterprise, EnterpriseTag, ProjectSite, ProjectStage
from layers.models.enterprises import CREDIT_ALPHABET, credit_check_character

from .models import (
    AttachmentKind,
    CountyTarget,
    EventKind,
    Inspection,
    InspectionStep,
    Project,
    ProjectAttachment,
    ProjectEvent,
    Review,
    StageRule,
    Supplement,
    SupplementStatus,
)
from .notify import deliver_warnings, review_requested
from .warnings import sweep
from .workflow import ORDER, REVIEWS

Say = Callable[[str], None]
OFFICES = ("驻深圳招商联络处", "驻上海招商联络处", "驻广州招商联络处", "驻香港招商联络处")
DEMO_PDF = b"%PDF-1.4\n% demo document of the synthetic city\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _credit_code(rng: random.Random, county_code: str) -> str:
    # 9 (工商) 1 (企业), the county's six-digit area code, nine organisation characters.
    first17 = "91" + county_code[:6] + "".join(rng.choice(CREDIT_ALPHABET) for _i in range(9))
    return first17 + credit_check_character(first17)


def _calendar_days(working_days: int) -> float:
    return working_days * 7 / 5


class _Builder:
    def __init__(self, rng: random.Random, as_of: datetime) -> None:
        self.rng = rng
        self.as_of = as_of
        self.rules = {rule.stage: rule for rule in StageRule.objects.all()}
        user = get_user_model()
        self.officer = user.objects.get(username="district")
        self.leader = user.objects.get(username="district_leader")
        self.city = user.objects.get(username="city")
        self.demo_county: Division = cast(Division, self.officer.division)
        self.events: list[ProjectEvent] = []
        self.files: list[tuple[Project, str, datetime]] = []

    def limit(self, stage: str) -> int:
        rule = self.rules.get(stage)
        return rule.time_limit_days if rule and rule.time_limit_days else 30

    def event(self, project: Project, at: datetime, kind: str, before: str, after: str, **kw: Any) -> None:
        user = kw.pop("user", self.officer)
        self.events.append(
            ProjectEvent(
                project=project, at=at, user=user, kind=kind, from_stage=before, to_stage=after, **kw
            )
        )

    def history(self, project: Project, entered_current: datetime) -> datetime:
        """Events from creation to the current stage, walking back from when it entered it."""
        reached = ORDER.index(project.stage)
        entries: dict[str, datetime] = {project.stage: entered_current}
        moment = entered_current
        for stage in reversed(ORDER[:reached]):
            moment -= timedelta(days=_calendar_days(self.limit(stage)) * self.rng.uniform(0.3, 1.0))
            entries[stage] = moment
        created = entries[ORDER[0]]
        self.event(project, created, EventKind.CREATE, ORDER[0], ORDER[0])
        for index in range(1, reached + 1):
            stage, before = ORDER[index], ORDER[index - 1]
            at = entries[stage]
            reviews = REVIEWS.get(stage, ())
            if not reviews:
                self.event(project, at, EventKind.ADVANCE, before, stage)
            else:
                self.event(
                    project, at - timedelta(days=3), EventKind.SUBMIT, before, before, review=reviews[0]
                )
                for n, level in enumerate(reviews):
                    last = n == len(reviews) - 1
                    reviewer = self.leader if level == Review.COUNTY else self.city
                    self.event(
                        project,
                        at - timedelta(days=len(reviews) - 1 - n),
                        EventKind.APPROVE,
                        before,
                        stage if last else before,
                        review=level,
                        comment="同意" if last else "同意，报市级审核",
                        user=reviewer,
                    )
            rule = self.rules.get(stage)
            for kind in rule.required_attachments if rule else ():
                self.files.append((project, kind, at - timedelta(days=4)))
        if project.stage != ProjectStage.TARGET_OUTPUT:
            following = self.rules.get(ORDER[reached + 1])
            for kind in following.required_attachments if following else ():
                if self.rng.random() < 0.5:  # some have the next stage's documents ready
                    self.files.append((project, kind, self.as_of - timedelta(days=1)))
        if ORDER.index(ProjectStage.SIGNED) <= reached:
            project.signing_date = timezone.localdate(entries[ProjectStage.SIGNED])
        return created


def _chain_link(rng: random.Random, links: list[ChainLink] | None) -> ChainLink | None:
    if not links:
        return None
    return rng.choices(links, weights=LINK_WEIGHTS[: len(links)])[0]


def _name_chain_leaders(projects: list[Project]) -> None:
    """The biggest investor on each chain is its 链主."""
    biggest: dict[int, tuple[Decimal, Enterprise]] = {}
    for project in projects:
        enterprise = getattr(project, "_demo_enterprise", None)
        if enterprise is None or enterprise.chain_link is None:
            continue
        industry = enterprise.chain_link.industry_id
        if industry not in biggest or project.investment_wan > biggest[industry][0]:
            biggest[industry] = (project.investment_wan, enterprise)
    for _, enterprise in biggest.values():
        enterprise.chain_leader = True


def load_projects(say: Say, as_of: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """One project per project site, and everything hanging off them. Call inside a transaction."""
    as_of = as_of or timezone.now()
    rng = random.Random(seed)
    build = _Builder(rng, as_of)
    counties = {d.prefix: d for d in Division.objects.filter(level="county")}
    sites = list(ProjectSite.objects.order_by("project_code"))
    signed_at = ORDER.index(ProjectStage.SIGNED)
    projects: list[Project] = []
    enterprises: list[Enterprise] = []
    chains = {i.name: list(i.links.all()) for i in Industry.objects.prefetch_related("links")}
    # Links drawn from their own stream, so the projects' draws (stages, cards, reviews) stay put.
    link_rng = random.Random(seed + 487)
    for site in sites:
        county = next((d for prefix, d in counties.items() if site.division_code.startswith(prefix)), None)
        if county is None:
            continue
        mine = county.pk == build.demo_county.pk
        invest = Decimal(str(site.investment_wan or 10_000))
        project = Project(
            code=site.project_code,
            name=site.project_name,
            industry=site.industry,
            investment_wan=invest,
            annual_investment_wan=(invest * Decimal(rng.uniform(0.2, 0.5))).quantize(Decimal("1")),
            expected_output_wan=(invest * Decimal(rng.uniform(1.0, 2.5))).quantize(Decimal("1")),
            expected_tax_wan=(invest * Decimal(rng.uniform(0.04, 0.12))).quantize(Decimal("1")),
            foreign_capital=rng.random() < 0.08,
            city_direct=rng.random() < 0.1,
            office=rng.choice(OFFICES) if rng.random() < 0.15 else "",
            stage=site.stage,
            division=county,
            division_code=county.code,  # save() would copy it; bulk_create does not call save()
            park_id=site.park_id,
            owner=build.officer if mine else build.city,
        )
        limit = _calendar_days(build.limit(project.stage))
        # Most are within their window; about one in five is past it, some far past (red).
        late = rng.random()
        share = rng.uniform(0.1, 0.85) if late < 0.8 else rng.uniform(1.02, 1.6)
        entered = as_of - timedelta(days=limit * share)
        project.stage_entered_at = entered
        created = build.history(project, entered)
        project._demo_created = created  # type: ignore[attr-defined]
        if project.stage == ProjectStage.CONSTRUCTION:
            elapsed = min(share, 1.0)
            # On pace builds are near their share of the window; one in four is well behind.
            project.progress_percent = int(
                max(5, min(95, 100 * elapsed * (rng.uniform(0.2, 0.45) if rng.random() < 0.25 else 1.1)))
            )
        if ORDER.index(project.stage) >= signed_at:
            brand = project.name[:2]
            enterprises.append(
                Enterprise(
                    name=f"云浮{brand}{project.industry}有限公司",
                    credit_code=_credit_code(rng, county.code) if rng.random() < 0.8 else None,
                    industry=project.industry,
                    chain_link=_chain_link(link_rng, chains.get(project.industry)),
                    tags=rng.sample(EnterpriseTag.values, k=rng.choice((0, 0, 1, 2))),
                    registered_on=timezone.localdate(entered) if rng.random() < 0.75 else None,
                    contact_name="王经理",
                    contact_phone=f"139{rng.randrange(10**8):08d}",
                    geom=site.geom.centroid if site.geom.geom_type != "Point" else site.geom,
                    division_code=site.division_code,
                    park_id=site.park_id,
                )
            )
            project._demo_enterprise = enterprises[-1]  # type: ignore[attr-defined]
        projects.append(project)
    _name_chain_leaders(projects)
    Enterprise.objects.bulk_create(enterprises, batch_size=1000)
    for project in projects:
        enterprise = getattr(project, "_demo_enterprise", None)
        if enterprise is not None:
            project.enterprise = enterprise
    Project.objects.bulk_create(projects, batch_size=1000)
    by_code = {site.project_code: site for site in sites}
    parcels = Project.parcels.through
    buildings = Project.buildings.through
    parcel_links, building_links, occupied_parcels, occupied_buildings = [], [], [], []
    for project in projects:
        site = by_code[project.code]
        if site.parcel_id:
            parcel_links.append(parcels(project_id=project.pk, landparcel_id=site.parcel_id))
        if site.building_id:
            building_links.append(buildings(project_id=project.pk, building_id=site.building_id))
        if project.enterprise_id:
            if site.parcel_id:
                occupied_parcels.append((project.enterprise_id, site.parcel_id))
            if site.building_id:
                occupied_buildings.append((project.enterprise_id, site.building_id))
    parcels.objects.bulk_create(parcel_links, batch_size=2000)
    buildings.objects.bulk_create(building_links, batch_size=2000)
    Enterprise.parcels.through.objects.bulk_create(
        [Enterprise.parcels.through(enterprise_id=e, landparcel_id=p) for e, p in occupied_parcels]
    )
    Enterprise.buildings.through.objects.bulk_create(
        [Enterprise.buildings.through(enterprise_id=e, building_id=b) for e, b in occupied_buildings]
    )
    _situations(build, projects, counties)
    ProjectEvent.objects.bulk_create(build.events, batch_size=2000)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE projects_project p SET created_at = e.first, updated_at = e.last FROM"
            " (SELECT project_id, min(at) AS first, max(at) AS last FROM projects_projectevent"
            " GROUP BY project_id) e WHERE e.project_id = p.id"
        )
    stored = _documents(build)
    _inspections(build, projects)
    _targets(projects, counties, as_of)
    raised = sweep(timezone.localdate(as_of))
    # The inboxes: the cards just raised, and the reviews waiting (so each demo account has mail).
    deliver_warnings()
    for project in Project.objects.exclude(pending=""):
        review_requested(project)
    say(
        f"  {'projects':<16} {len(projects):>9,} projects, {len(enterprises):,} enterprises, "
        f"{stored:,} documents; cards raised: " + ", ".join(f"{kind} {n}" for kind, n in raised.items())
    )
    return {"projects": len(projects), "enterprises": len(enterprises)}


def _situations(build: _Builder, projects: list[Project], counties: dict[str, Division]) -> None:
    """The reserve pool, pending reviews, a return, transfers, ends and supplements."""
    rng, as_of = build.rng, build.as_of
    live = list(projects)
    rng.shuffle(live)
    changed: list[Project] = []
    others = [d for d in counties.values() if d.pk != build.demo_county.pk]
    negotiating = [p for p in live if p.stage == ProjectStage.NEGOTIATING]
    for project in negotiating[: max(1, len(negotiating) // 5)]:
        project.in_reserve = True
        build.event(
            project,
            as_of - timedelta(days=5),
            EventKind.TO_RESERVE,
            project.stage,
            project.stage,
            comment="企业投资计划推迟，暂缓推进",
        )
        changed.append(project)
    early = [
        p
        for p in live
        if p.stage in (ProjectStage.FIRST_TALK, ProjectStage.NEGOTIATING, ProjectStage.REVIEW)
        and not p.in_reserve
    ]
    # Waiting for a review: alternately the county leader's and, where the step has one, the city's.
    city_next = True
    for project in early[: max(4, len(early) // 6)]:
        target = ORDER[ORDER.index(project.stage) + 1]
        reviews = REVIEWS.get(target, ())
        level = reviews[-1] if city_next and len(reviews) > 1 else reviews[0]
        city_next = not city_next if len(reviews) > 1 else city_next
        project.pending, project.pending_stage, project.submitted_by = level, target, build.officer
        build.event(
            project,
            as_of - timedelta(days=2),
            EventKind.SUBMIT,
            project.stage,
            project.stage,
            review=reviews[0],
            comment="材料已齐，请审核",
        )
        if level == Review.CITY:
            build.event(
                project,
                as_of - timedelta(days=1),
                EventKind.APPROVE,
                project.stage,
                project.stage,
                review=Review.COUNTY,
                comment="同意，报市级审核",
                user=build.leader,
            )
        changed.append(project)
    returned = next((p for p in early if not p.pending and p.stage == ProjectStage.NEGOTIATING), None)
    if returned is not None:
        returned.returned_reason = "缺少环评初步意见，请补充后重新提交"
        build.event(
            returned,
            as_of - timedelta(days=6),
            EventKind.RETURN,
            returned.stage,
            returned.stage,
            review=Review.CITY,
            comment=returned.returned_reason,
            user=build.city,
        )
        changed.append(returned)
    movable = [
        p
        for p in live
        if not p.pending
        and not p.in_reserve
        and p.stage in (ProjectStage.NEGOTIATING, ProjectStage.FIRST_TALK)
        and p.division_id != build.demo_county.pk
    ]
    for project in movable[1:4]:
        origin = project.division
        receiving = rng.choice([d for d in counties.values() if d.pk != origin.pk])
        build.event(
            project,
            as_of - timedelta(days=30),
            EventKind.SUBMIT,
            project.stage,
            project.stage,
            review=Review.CITY,
            comment=f"{origin.name}无合适用地，建议流转",
        )
        build.event(
            project,
            as_of - timedelta(days=28),
            EventKind.APPROVE,
            project.stage,
            project.stage,
            review=Review.CITY,
            comment="同意流转",
            user=build.city,
        )
        build.event(
            project,
            as_of - timedelta(days=25),
            EventKind.TRANSFER,
            project.stage,
            project.stage,
            review=Review.RECEIVING,
            comment=f"{receiving.name}确认接收",
            user=build.city,
        )
        project.division, project.division_code = receiving, receiving.code
        changed.append(project)
    if movable and others:
        waiting = movable[0]  # first: the demo county's officer has it to confirm
        waiting.pending, waiting.pending_division, waiting.submitted_by = (
            Review.RECEIVING,
            build.demo_county,
            build.city,
        )
        build.event(
            waiting,
            as_of - timedelta(days=3),
            EventKind.SUBMIT,
            waiting.stage,
            waiting.stage,
            review=Review.CITY,
            comment="产业方向更适合接收区县",
        )
        build.event(
            waiting,
            as_of - timedelta(days=2),
            EventKind.APPROVE,
            waiting.stage,
            waiting.stage,
            review=Review.CITY,
            comment="同意流转，请接收区县确认",
            user=build.city,
        )
        changed.append(waiting)
    ended = [
        p
        for p in live
        if not p.pending
        and not p.in_reserve
        and p.stage in (ProjectStage.FIRST_TALK, ProjectStage.NEGOTIATING)
    ][-3:]
    for project in ended:
        project.ended_at, project.end_reason = as_of - timedelta(days=10), "企业调整投资方向，项目终止"
        build.event(
            project, project.ended_at, EventKind.END, project.stage, project.stage, comment=project.end_reason
        )
        changed.append(project)
    signed = [p for p in live if p.stage == ProjectStage.SIGNED and not p.pending]
    supplements: list[Supplement] = []
    for n, project in enumerate(signed[:3]):
        pending = n == len(signed[:3]) - 1
        supplements.append(
            Supplement(
                project=project,
                content="追加建设二期厂房及配套仓储",
                signed_on=timezone.localdate(as_of) - timedelta(days=7),
                added_investment_wan=Decimal("5000"),
                submitted_by=build.officer,
                submitted_at=as_of - timedelta(days=6),
                status=SupplementStatus.PENDING if pending else SupplementStatus.APPROVED,
                decided_at=None if pending else as_of - timedelta(days=4),
            )
        )
        build.files.append((project, AttachmentKind.SUPPLEMENTARY_CONTRACT, as_of - timedelta(days=7)))
        build.event(
            project,
            as_of - timedelta(days=6),
            EventKind.SUPPLEMENT,
            project.stage,
            project.stage,
            review=Review.CITY,
            comment="追加建设二期厂房及配套仓储",
        )
        if pending:
            project.pending, project.submitted_by = Review.CITY, build.officer
        else:
            project.investment_wan = (project.investment_wan or 0) + Decimal("5000")
            build.event(
                project,
                as_of - timedelta(days=4),
                EventKind.APPROVE,
                project.stage,
                project.stage,
                review=Review.CITY,
                comment="同意",
                user=build.city,
            )
        changed.append(project)
    Supplement.objects.bulk_create(supplements)
    Project.objects.bulk_update(
        changed,
        [
            "in_reserve",
            "pending",
            "pending_stage",
            "pending_division",
            "submitted_by",
            "returned_reason",
            "division",
            "division_code",
            "ended_at",
            "end_reason",
            "investment_wan",
        ],
        batch_size=500,
    )


def _documents(build: _Builder) -> int:
    """The passed stages' documents: one small PDF per kind and project (the newest version)."""
    rows: list[ProjectAttachment] = []
    seen: set[tuple[int, str]] = set()
    for project, kind, at in build.files:
        if (project.pk, kind) in seen:
            continue
        seen.add((project.pk, kind))
        name = f"projects/{project.code}/{kind}/v1-{kind}.pdf"
        if default_storage.exists(name):  # left by an earlier seed_demo --flush
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(DEMO_PDF))
        rows.append(
            ProjectAttachment(
                project=project,
                kind=kind,
                version=1,
                file=stored,
                filename=f"{AttachmentKind(kind).label}.pdf",
                content_type="pdf",
                size=len(DEMO_PDF),
                sha256="demo",
                stage=project.stage,
                uploaded_by=build.officer,
                uploaded_at=at,
            )
        )
    ProjectAttachment.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


PROBLEMS = (
    ("施工现场扬尘防治措施不到位", "落实围挡、喷淋和车辆冲洗", "已增设喷淋设施并硬化出入口"),
    ("项目进度滞后于年度计划", "倒排工期，增加施工班组", "已增加两个施工班组，进度追回"),
    ("消防通道被建材占用", "清理通道并设置警示标识", "已清理并设专人巡查"),
)


def _inspections(build: _Builder, projects: list[Project]) -> None:
    """Problems found on builds, one at each step of the loop and a few more."""
    building = [p for p in projects if p.stage in (ProjectStage.STARTED, ProjectStage.CONSTRUCTION)]
    steps = list(InspectionStep.values)
    rows = []
    for n, project in enumerate(building[: max(len(steps), len(building) // 10)]):
        step = steps[n % len(steps)]
        problem, measures, rectified = PROBLEMS[n % len(PROBLEMS)]
        index = steps.index(step)
        rows.append(
            Inspection(
                project=project,
                division_code=project.division_code,
                step=step,
                problem=problem,
                measures=measures if index >= steps.index(InspectionStep.MEASURES_CONFIRMED) else "",
                rectification=rectified if index >= steps.index(InspectionStep.RECTIFIED) else "",
                reported_by=build.city if n % 2 else build.officer,
                closed_at=build.as_of - timedelta(days=2) if step == InspectionStep.CLOSED else None,
            )
        )
    Inspection.objects.bulk_create(rows)


def _targets(projects: list[Project], counties: dict[str, Division], as_of: datetime) -> None:
    """Each county's targets for this year: a little above what it has (so the rates read < 100 %)."""
    year = timezone.localdate(as_of).year
    rows = []
    for county in counties.values():
        own = [p for p in projects if p.division_id == county.pk]
        invest = sum((p.investment_wan or 0 for p in own), Decimal(0))
        rows.append(
            CountyTarget(
                division=county,
                year=year,
                new_projects=max(5, round(len(own) * 1.25)),
                investment_wan=(invest * Decimal("1.2")).quantize(Decimal("1")),
            )
        )
    CountyTarget.objects.bulk_create(rows)
