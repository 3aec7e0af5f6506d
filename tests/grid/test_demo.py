"""The demo grid seed_demo loads: control centres, categories, and events in every state, some late."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from grid.models import Department, EventCategory, EventWarning, GridEvent
from inbox.models import Message
from layers.models import EventStatus


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", scale=0.05, seed=2026, flush=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


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
