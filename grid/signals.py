"""Events that open by themselves, in the transaction of what opened them:

- a field point of a category configured to open events (``EventCategory.opens_from``), when it is
  saved for the first time;
- a suspected illegal land use (疑似违法用地) an overlay check found, once a reviewer verifies it
  (核实): an event of the category ``GRID_FINDING_CATEGORY`` at the finding, reported by the
  reviewer, once per finding (its client id is derived from the finding's, so verifying it again
  opens nothing new).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from core.signals import finding_verified
from layers.models import FieldPoint

from .models import EventCategory, EventSource
from .opening import from_field_point, open_event

# The client ids of the events findings open: one per finding, whoever verifies it how often.
FINDING_NAMESPACE = uuid.UUID("6b1f9a52-3c1e-4f4e-9d55-9b0a7c2e1f15")


def _opened_by(point: FieldPoint) -> EventCategory | None:
    """The active event category the point's category opens, asked once per category object: the
    points a phone sends in one run share theirs (``sync.operations.field_points``)."""
    kind = point.category
    if not hasattr(kind, "_opens_event"):
        kind._opens_event = EventCategory.objects.filter(opens_from=kind, active=True).first()  # type: ignore[attr-defined]
    return kind._opens_event  # type: ignore[attr-defined]


@receiver(post_save, sender=FieldPoint, dispatch_uid="grid-open-from-field-point")
def open_from_field_point(sender: type, instance: FieldPoint, created: bool, **kwargs: Any) -> None:
    if not created or instance.reporter_id is None:
        return
    category = _opened_by(instance)
    if category is not None:
        from_field_point(instance, category)


@receiver(finding_verified, dispatch_uid="grid-open-from-finding")
def open_from_finding(sender: type, finding: Any, user: Any, **kwargs: Any) -> None:
    from spatial.models import CheckKind

    category = EventCategory.objects.filter(key=settings.GRID_FINDING_CATEGORY, active=True).first()
    if category is None or finding.check_run.kind != CheckKind.ILLEGAL_LAND_USE:
        return
    details = finding.details or {}
    where = finding.geom.point_on_surface
    open_event(
        reporter=user,
        category=category,
        title=_("疑似违法用地：%(name)s") % {"name": details.get("building_name") or finding.pk},
        geom=Point(where.x, where.y, srid=4326),
        description=_("叠加分析核实：建筑压占%(use)s地块 %(parcel)s，重叠 %(area).0f ㎡。")
        % {
            "use": details.get("land_use", ""),
            "parcel": details.get("parcel_code", ""),
            "area": finding.overlap_area_m2,
        },
        source=EventSource.FINDING,
        client_uuid=uuid.uuid5(FINDING_NAMESPACE, str(finding.pk)),
    )
