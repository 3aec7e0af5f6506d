"""The demo grid seed_demo loads: control centres, categories, and events in every state, some late."""

from __future__ import annotations

import pytest

from grid.models import Department, EventCategory, EventWarning, GridEvent
from inbox.models import Message
from layers.models import EventStatus


@pytest.mark.django_db
def test_events_in_every_state_with_their_departments_and_warnings(demo):
    assert "grid events" in demo
    assert set(GridEvent.objects.values_list("state", flat=True)) == set(EventStatus.values)
    assert Department.objects.filter(is_control_centre=True, division__level="county").exists()
    assert EventCategory.objects.filter(opens_from__key="hazard").exists()
    assert EventWarning.objects.filter(kind="escalated").exists(), "some ran late and climbed"
    assert Message.objects.filter(recipient__username="grid", kind="assignment").exists(), (
        "dispatched to them"
    )
    closed = GridEvent.objects.filter(state=EventStatus.CLOSED).first()
    assert closed.field_point.status == EventStatus.CLOSED, "the point follows its event"
