"""The demo pipeline seed_demo loads: every stage, cards, reviews waiting, transfers, inspections,
enterprises on their parcels, and documents that make the checklists read done."""

from __future__ import annotations

import pytest

from inbox.models import Message
from layers.models import Enterprise, ProjectSite, ProjectStage
from projects.models import (
    Card,
    CountyTarget,
    EventKind,
    Inspection,
    InspectionStep,
    Project,
    ProjectEvent,
    Review,
    StageWarning,
    Supplement,
)
from projects.workflow import missing


@pytest.mark.django_db
def test_every_site_has_its_project_at_every_stage(demo):
    assert "projects" in demo
    assert Project.objects.count() == ProjectSite.objects.count()
    assert set(Project.objects.values_list("stage", flat=True)) == set(ProjectStage.values)
    site = ProjectSite.objects.first()
    assert Project.objects.get(code=site.project_code).stage == site.stage


@pytest.mark.django_db
def test_cards_reviews_transfers_and_the_rest_are_there_to_act_on(demo):
    cards = set(Project.objects.values_list("card", flat=True))
    assert {Card.YELLOW, Card.RED} <= cards
    assert StageWarning.objects.filter(kind=Card.RED).exists()
    assert Project.objects.filter(pending=Review.COUNTY).exists(), "the district leader has a review"
    assert Project.objects.filter(pending=Review.CITY).exists(), "the city has a review"
    waiting = Project.objects.get(pending=Review.RECEIVING)
    assert waiting.pending_division.prefix and waiting.pending_division != waiting.division
    assert ProjectEvent.objects.filter(kind=EventKind.TRANSFER).count() >= 1
    assert Project.objects.filter(in_reserve=True).exists() and Project.objects.filter(ended_at__isnull=False)
    assert Supplement.objects.exists()
    assert set(Inspection.objects.values_list("step", flat=True)) == set(InspectionStep.values)
    assert CountyTarget.objects.exists()
    assert Message.objects.filter(recipient__username="district_leader", kind="review").exists()


@pytest.mark.django_db
def test_signed_projects_have_enterprises_on_their_carriers_and_their_documents(demo):
    signed = Project.objects.filter(stage=ProjectStage.TARGET_OUTPUT).first()
    assert signed.enterprise is not None and signed.signing_date is not None
    enterprise_parcels = Enterprise.objects.filter(parcels__isnull=False)
    assert enterprise_parcels.exists(), "a plot shows the enterprise it carries"
    for project in Project.objects.filter(stage=ProjectStage.SIGNED):
        assert not missing(project, ProjectStage.SIGNED), "the passed stage's documents are there"
    assert Enterprise.objects.filter(registered_on__isnull=True).exists(), "已签约未注册"
