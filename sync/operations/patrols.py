"""``patrol.start`` and ``patrol.finish``: a patrol walked offline, through ``patrols.runs`` as the
patrol API does.

The run's uuid is the ``patrol.start`` operation's id, and ``patrol.finish`` names the run by it:
the phone knows it before the server has answered, so both go in one batch, or the finish in a
later one. Both are replay-safe twice over: the operation is kept once (``sync.registry.apply``),
and ``runs.start``/``runs.finish`` are the run already started or finished for its uuid.

Their results are ``{"record": "patrol_runs", "id", "uuid", ...}`` without a ``version``: a run has
none, since nobody edits it after its finish, so there is nothing a later operation could clash
with. The start adds ``started_at``; the finish ``finished_at``, its ``track`` and the ``events``
its problems opened.

Times are the phone's, on the server's clock (``Op.happened_at``, ``Op.offset``): the run started
and finished when the phone says, and every vertex time of its track is moved by the same offset.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError

from layers.api.serializers import media_name
from patrols import runs
from patrols.checklist import ItemType
from patrols.models import PatrolRun
from policy.predicates import visible_tasks

from ..registry import Op, first_message, handles
from .common import read, uploaded

RECORD = "patrol_runs"


class StartData(serializers.Serializer):
    task = serializers.IntegerField(help_text="The patrol task's id.")


@handles("patrol.start")
def start_patrol(op: Op) -> dict[str, Any]:
    data = read(StartData, op.data)
    task = visible_tasks(op.user).filter(pk=data["task"]).first()
    if task is None:
        raise NotFound(_("No such patrol task among yours: reload your tasks."))
    run, _created = runs.start(task, op.user, op.id, at=op.happened_at)
    return {"record": RECORD, "id": run.pk, "uuid": str(run.uuid), "started_at": run.started_at.isoformat()}


class FinishData(serializers.Serializer):
    run = serializers.UUIDField(help_text="The id of the patrol.start operation that started the run.")


def _named(value: Any, field: str, errors: dict[str, list[str]], photos: list[str]) -> Any:
    """A photo, or a list of them, as storage names (what the wait and media access look for), each
    added to ``photos``; anything else as it is, for ``patrols.runs`` to refuse in its own words."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        return value
    try:
        named = [media_name(item) for item in items]
    except serializers.ValidationError as exc:
        errors[field] = [first_message(exc.detail)]
        return value
    photos.extend(named)
    return named if isinstance(value, list) else named[0]


def _with_photos_named(run: PatrolRun, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The finish's data with the photos it names (its problems', its photo items') as storage
    names, and those photos: the operation waits for every one to be uploaded."""
    errors: dict[str, list[str]] = {}
    photos: list[str] = []
    named = dict(given)
    if isinstance(given.get("problems"), list):
        named["problems"] = [
            {**problem, "photos": _named(problem["photos"], f"problems.{n}.photos", errors, photos)}
            if isinstance(problem, dict) and isinstance(problem.get("photos"), list)
            else problem
            for n, problem in enumerate(given["problems"])
        ]
    if isinstance(given.get("results"), dict):
        kinds = {item["key"]: item.get("type") for item in run.template.items}
        named["results"] = {
            key: _named(value, f"results.{key}", errors, photos)
            if kinds.get(key) == ItemType.PHOTO and value
            else value
            for key, value in given["results"].items()
        }
    if errors:
        raise ValidationError(errors)
    return named, photos


@handles("patrol.finish")
def finish_patrol(op: Op) -> dict[str, Any]:
    head = read(FinishData, op.data)
    run = (
        PatrolRun.objects.select_related("task", "template")
        .filter(uuid=head["run"], task__in=visible_tasks(op.user))
        .first()
    )
    if run is None:
        raise NotFound(
            _(
                "No patrol run %(run)s on the server: its patrol.start was not applied (see that "
                "operation's answer). Start the patrol again to record it."
            )
            % {"run": head["run"]}
        )
    given, photos = _with_photos_named(run, {key: value for key, value in op.data.items() if key != "run"})
    try:
        run, finished_now = runs.finish(run, op.user, given, at=op.happened_at, clock_offset=op.offset)
    except runs.Invalid as exc:
        raise ValidationError(exc.errors) from exc
    if finished_now:
        # After the refusals, which are final: only then is it worth waiting for the photos, and the
        # finish written meanwhile rolls back with the operation (sync.registry).
        uploaded(photos)
    assert run.finished_at is not None
    return {
        "record": RECORD,
        "id": run.pk,
        "uuid": str(run.uuid),
        "finished_at": run.finished_at.isoformat(),
        "track": run.track_id,
        "events": sorted(run.events.values_list("pk", flat=True)),
    }
