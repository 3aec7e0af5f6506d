"""The operation registry (like pygeoapi's processors): a type names its handler, and ``apply``
runs one operation exactly once.

A handler takes the ``Op`` and returns the record it wrote (``{"id", "version"}``), or raises: the
workflows' refusals (``core.refusals``), DRF's exceptions (the layer API's own checks), ``Clash``
(the record moved on since the phone's base version) or ``PhotoMissing``. ``apply`` turns each
into the operation's state; only the final states are kept, so an operation waiting for its photos
is sent again by the phone and runs then.
"""

from __future__ import annotations

import hashlib
import json
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request

from audit.writer import batched
from core.refusals import Forbidden, Incomplete, NotAllowed

from .models import Operation, OperationState


@dataclass(frozen=True)
class Op:
    """One operation as the phone sent it, with the request it came in (the caller, the language).

    ``at`` is the phone's own time of the action, as sent (and kept, ``Operation.device_time``);
    ``clock_offset`` is what its batch said the phone's clock is behind the server's (None: the batch
    did not say), which the handlers add to the phone's times (``happened_at``, a track's times).
    """

    id: uuidlib.UUID
    type: str
    at: datetime | None
    base_version: int | None
    data: dict[str, Any]
    request: Request
    clock_offset: timedelta | None = None

    @property
    def user(self) -> Any:
        return self.request.user

    @property
    def offset(self) -> timedelta:
        """What to add to the phone's times to put them on the server's clock."""
        return self.clock_offset or timedelta(0)

    @property
    def happened_at(self) -> datetime | None:
        """When the action happened, on the server's clock (None: the phone did not say), and never
        later than now: it happened before the operation arrived."""
        if self.at is None:
            return None
        return min(self.at + self.offset, timezone.now())


class Clash(Exception):
    """The record changed on the server since the phone's ``base_version``."""

    def __init__(self, current_version: int, fields: list[str], message: str = "", **extra: Any) -> None:
        super().__init__(message or "clash")
        self.current_version, self.fields, self.message, self.extra = current_version, fields, message, extra


class PhotoMissing(Exception):
    """Photos the operation names that are not uploaded yet."""

    def __init__(self, photos: list[str]) -> None:
        super().__init__("photo_missing")
        self.photos = photos


Handler = Callable[[Op], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
# A result per operation, or None for one the one-by-one handler must take.
ManyHandler = Callable[[list[Op]], list[dict[str, Any] | None]]
MANY: dict[str, ManyHandler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register the handler of operation type ``name``."""

    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return register


def handles_many(name: str) -> Callable[[ManyHandler], ManyHandler]:
    """Register the bulk variant of type ``name`` (which also has its one-by-one handler): it
    writes together what it can of a run of such operations, as set-based writes, and answers None
    for every operation it leaves (anything to refuse or to wait for), which the one-by-one handler
    then takes, so every refusal is said in one place. A phone coming back online sends hundreds of
    points in a row; one by one, each costs a transaction, a serializer and some twenty queries."""

    def register(handler: ManyHandler) -> ManyHandler:
        MANY[name] = handler
        return handler

    return register


def body_hash(raw: dict[str, Any]) -> str:
    """What makes two sendings the same operation: everything but its id."""
    body = {key: raw.get(key) for key in ("type", "at", "base_version", "data")}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def first_message(detail: Any) -> str:
    """The first message of a DRF error detail (nested in fields and lists), for people."""
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


def _rejected(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields:
        answer["fields"] = fields
    return answer


def _run(op: Op) -> tuple[str, dict[str, Any]]:
    """The handler's outcome as (state, result); its writes roll back unless it applied."""
    handler = HANDLERS.get(op.type)
    if handler is None:
        message = _("Unknown operation type %(type)s; the server knows: %(types)s.") % {
            "type": op.type,
            "types": ", ".join(sorted(HANDLERS)),
        }
        return OperationState.REJECTED, _rejected(400, "unknown_type", message, {"type": [message]})
    try:
        with transaction.atomic():
            return OperationState.APPLIED, {"result": handler(op)}
    except PhotoMissing as exc:
        message = _("Upload these photos first, then send the operation again: %(photos)s.") % {
            "photos": ", ".join(exc.photos)
        }
        return OperationState.WAITING, {"code": "photo_missing", "message": message, "photos": exc.photos}
    except Clash as exc:
        message = exc.message or _(
            "The record changed on the server (now version %(version)s): reload it and redo your change."
        ) % {"version": exc.current_version}
        answer = {"current_version": exc.current_version, "fields": exc.fields, "message": message}
        return OperationState.CONFLICT, {"code": "conflict", **answer, **exc.extra}
    except Incomplete as exc:
        named = {name: [exc.message] for name in exc.detail.get("fields", [])}
        return OperationState.REJECTED, _rejected(400, "invalid", exc.message, named)
    except Forbidden as exc:
        return OperationState.REJECTED, _rejected(403, "permission_denied", exc.message)
    except exceptions.ValidationError as exc:
        fields = exc.detail if isinstance(exc.detail, dict) else {"data": exc.detail}
        return OperationState.REJECTED, _rejected(400, "invalid", first_message(fields), fields)
    except exceptions.APIException as exc:
        code = getattr(exc.detail, "code", None) or exc.default_code
        return OperationState.REJECTED, _rejected(exc.status_code, str(code), first_message(exc.detail))
    except NotAllowed as exc:
        return OperationState.CONFLICT, {
            "code": "not_allowed",
            "message": exc.message,
            "allowed": exc.detail.get("allowed", []),
        }


def _kept(op: Op, digest: str, state: str, result: dict[str, Any]) -> Operation:
    """The operation's row, unsaved: what a replay is answered from."""
    return Operation(
        uuid=op.id,
        user=op.user,
        type=op.type[:40],
        body_hash=digest,
        state=state,
        result=result,
        device_time=op.at,
        server_time=timezone.now(),
        clock_offset_s=None if op.clock_offset is None else op.clock_offset.total_seconds(),
    )


def _answer(op: Op, digest: str, stored: Operation) -> dict[str, Any]:
    if stored.body_hash != digest or stored.user_id != op.user.pk:
        message = _("This operation id was used for a different operation: give each operation a new UUID.")
        answer = _rejected(409, "uuid_reused", message, {"id": [message]})
        return {"id": str(op.id), "state": OperationState.REJECTED, **answer}
    return {"id": str(op.id), "state": stored.state, **stored.result}


def apply(op: Op, raw: dict[str, Any]) -> dict[str, Any]:
    """The operation's answer: the stored one for a replay, else the outcome of running it now."""
    digest = body_hash(raw)
    stored = Operation.objects.filter(uuid=op.id).first()
    if stored is None:
        try:
            # The record and the operation's row are written together, or neither is.
            with transaction.atomic():
                state, result = _run(op)
                if state == OperationState.WAITING:
                    return {"id": str(op.id), "state": state, **result}
                stored = _kept(op, digest, state, result)
                stored.save()
        except IntegrityError:
            # Sent twice at the same moment: the one kept first is the answer.
            stored = Operation.objects.filter(uuid=op.id).first()
            if stored is None:
                raise
    return _answer(op, digest, stored)


def _apply_run(run: list[tuple[Op, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Answers for consecutive operations of one type with a bulk variant: replays from their rows
    (one query), the new ones through the bulk variant in one transaction with their rows and their
    audit entries, and what it leaves one by one. Should the bulk write fail (the same operation
    sent twice at once), every new one goes one by one, which sorts that out."""
    digests = [body_hash(raw) for _op, raw in run]
    stored = {row.uuid: row for row in Operation.objects.filter(uuid__in=[op.id for op, _raw in run])}
    fresh: list[int] = []
    seen: set[uuidlib.UUID] = set()
    for n, (op, _raw) in enumerate(run):
        # An id twice in the run: the second is a replay of the first, answered one by one.
        if op.id not in stored and op.id not in seen:
            fresh.append(n)
        seen.add(op.id)
    done: dict[int, dict[str, Any]] = {}
    if fresh:
        try:
            with transaction.atomic(), batched():
                outcome = MANY[run[0][0].type]([run[n][0] for n in fresh])
                applied = {n: result for n, result in zip(fresh, outcome, strict=True) if result is not None}
                rows = [
                    _kept(run[n][0], digests[n], OperationState.APPLIED, {"result": result})
                    for n, result in applied.items()
                ]
                Operation.objects.bulk_create(rows)
            done = {n: {"result": result} for n, result in applied.items()}
        except IntegrityError:
            done = {}
    answers = []
    for n, (op, raw) in enumerate(run):
        if n in done:
            answers.append({"id": str(op.id), "state": OperationState.APPLIED, **done[n]})
        elif op.id in stored:
            answers.append(_answer(op, digests[n], stored[op.id]))
        else:
            answers.append(apply(op, raw))
    return answers


def apply_all(batch: list[tuple[Op, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The answers to a batch, in its order: each run of consecutive operations of a type with a
    bulk variant together (``_apply_run``), every other operation by ``apply``. Runs keep the
    batch's order between types (a patrol's start before the points tagged on it)."""
    answers: list[dict[str, Any]] = []
    n = 0
    while n < len(batch):
        kind = batch[n][0].type
        end = n + 1
        while kind in MANY and end < len(batch) and batch[end][0].type == kind:
            end += 1
        answers.extend(_apply_run(batch[n:end]) if kind in MANY else [apply(*batch[n])])
        n = end
    return answers
