"""The demo patrols seed_demo loads: templates, tasks in every state, walked runs with coverage (some
below the threshold), problems that opened events, and the missed tasks' notices."""

from __future__ import annotations

import pytest
from django.conf import settings

from grid.models import EventSource, GridEvent
from inbox.models import Message
from patrols.models import ChecklistTemplate, PatrolRun, PatrolTask, PlaceVisit, TaskState


@pytest.mark.django_db
def test_tasks_in_every_state_and_runs_with_their_coverage(demo):
    assert "patrols" in demo
    assert set(ChecklistTemplate.objects.values_list("name", flat=True)) >= {
        "消防安全检查",
        "出租屋巡查",
        "重点场所巡查",
    }
    mine = PatrolTask.objects.filter(worker__username="grid")
    assert set(mine.values_list("state", flat=True)) == set(TaskState.values)
    assert PatrolTask.objects.filter(shared=True, lock_holder__username="grid").exists()
    walked = PatrolRun.objects.filter(finished_at__isnull=False)
    assert walked.count() >= 5 and not walked.filter(coverage__isnull=True).exists()
    assert walked.filter(coverage__lt=settings.PATROL_COVERAGE_THRESHOLD).exists(), "some below the threshold"
    assert walked.filter(coverage__gte=settings.PATROL_COVERAGE_THRESHOLD).exists()
    assert all(r.track.timestamps == sorted(r.track.timestamps) for r in walked.select_related("track"))
    assert PlaceVisit.objects.exists()
    assert GridEvent.objects.filter(source=EventSource.PATROL, patrol_runs__isnull=False).exists()
    assert Message.objects.filter(recipient__username="town", key__startswith="patrol-missed:").exists()
