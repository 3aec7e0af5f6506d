"""Carriers follow their project (seed 000 L132, 004 L207): held (预留) while the signing is in
review, sold (parcels) or leased (buildings) once signed, available again when the project ends or
the signing goes back. Two live projects never hold the same carrier. Changes go through
``layers.carriers``, so each is in the carrier's history and on the map at once."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from layers.carriers import set_supply
from layers.models import Building, LandParcel, ProjectStage, SupplyStatus

from .models import Project

HELD_FROM = ProjectStage.values.index(ProjectStage.SIGNED)


class DoubleBooked(Exception):
    """A carrier another live project holds (a 409 naming it)."""

    def __init__(self, message: str, holder: Project) -> None:
        super().__init__(message)
        self.message = message
        self.holder = holder


def holds(project: Project) -> bool:
    """Whether the project holds its carriers: signing in review, or signed and beyond."""
    if not project.is_live:
        return False
    signing = project.pending_stage == ProjectStage.SIGNED
    return signing or ProjectStage.values.index(project.stage) >= HELD_FROM


def check_free(project: Project) -> None:
    """Refuse a carrier another live project holds."""
    others = (
        Project.objects.filter(ended_at__isnull=True)
        .exclude(pk=project.pk)
        .filter(Q(parcels__in=project.parcels.all()) | Q(buildings__in=project.buildings.all()))
        .distinct()
    )
    for other in others:
        if holds(other):
            raise DoubleBooked(
                _("A carrier of this project is held by project %(code)s %(name)s; release it there first.")
                % {"code": other.code, "name": other.name},
                other,
            )


def occupant(project: Project) -> str:
    """Who occupies the project's carriers: its enterprise once it has one, else the project."""
    enterprise = project.enterprise
    return enterprise.name if enterprise is not None else project.name


def hold(project: Project, target: str) -> None:
    """Before a signing goes to review: check the carriers are free and reserve them."""
    if target != ProjectStage.SIGNED:
        return
    check_free(project)
    set_supply(project.parcels.all(), SupplyStatus.RESERVED, occupant=occupant(project))
    set_supply(project.buildings.all(), SupplyStatus.RESERVED, occupant=occupant(project))


def follow(project: Project) -> None:
    """Set the carriers' supply to what the project's state says, and link the project's
    enterprise to the carriers it has signed for (and unlink them when they are released)."""
    parcels: list[LandParcel] = list(project.parcels.all())
    buildings: list[Building] = list(project.buildings.all())
    enterprise = project.enterprise if project.enterprise_id else None
    if not project.is_live or not holds(project):
        set_supply(parcels, SupplyStatus.AVAILABLE)
        set_supply(buildings, SupplyStatus.AVAILABLE)
        if enterprise is not None:
            enterprise.parcels.remove(*parcels)
            enterprise.buildings.remove(*buildings)
    elif project.pending_stage == ProjectStage.SIGNED:
        set_supply(parcels, SupplyStatus.RESERVED, occupant=occupant(project))
        set_supply(buildings, SupplyStatus.RESERVED, occupant=occupant(project))
    else:
        set_supply(parcels, SupplyStatus.SOLD, occupant=occupant(project))
        set_supply(buildings, SupplyStatus.LEASED, occupant=occupant(project))
        if enterprise is not None:
            enterprise.parcels.add(*parcels)
            enterprise.buildings.add(*buildings)
