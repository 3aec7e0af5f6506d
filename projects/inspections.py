"""The inspection loop (项目巡查督导, seed 001 L441–L448), one step at a time:

reported → the county's patrol lead reviews → the city confirms the measures (``measures``) → the
county reports its rectification (``rectification``) → the county lead reviews it → the city
signs it off (销号). Who takes each step is ``policy.resources.INSPECTION_STEPS``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.refusals import Forbidden, Incomplete, NotAllowed
from policy.predicates import may_advance_inspection, may_report_problem

from .models import Inspection, InspectionStep, Project

ORDER: tuple[str, ...] = tuple(InspectionStep.values)
# What a step asks for from whoever takes it.
NEEDS: dict[str, str] = {
    InspectionStep.REVIEWED: "measures",
    InspectionStep.MEASURES_CONFIRMED: "rectification",
}


@transaction.atomic
def report(project: Project, user: Any, problem: str) -> Inspection:
    if not may_report_problem(user, project):
        raise Forbidden(_("Problems on this project are reported by officers of its area."))
    if not problem.strip():
        raise Incomplete(_("Describe the problem found."), fields=["problem"])
    return Inspection.objects.create(project=project, problem=problem, reported_by=user)


@transaction.atomic
def advance(inspection: Inspection, user: Any, text: str = "") -> Inspection:
    """Take the inspection's current step (with the measures or the rectification it asks for)."""
    if inspection.step == InspectionStep.CLOSED:
        raise NotAllowed(_("This problem is closed: it has been signed off."), allowed=[])
    if not may_advance_inspection(user, inspection):
        raise Forbidden(_("Another role takes this step of the inspection."))
    field = NEEDS.get(inspection.step)
    if field:
        if not text.strip():
            raise Incomplete(_("This step needs the %(field)s.") % {"field": field}, fields=[field])
        setattr(inspection, field, text)
    inspection.step = ORDER[ORDER.index(inspection.step) + 1]
    if inspection.step == InspectionStep.CLOSED:
        inspection.closed_at = timezone.now()
    inspection.save()
    return inspection
