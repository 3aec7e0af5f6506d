"""The request a piece of code runs for, wherever it runs: its id, its user, its address.

The audit log (and anything else that must say who did something) is written deep inside models'
save paths, admin actions and background jobs, where no request is passed along. This module keeps
the current request in a context variable, set by ``RequestContextMiddleware`` for the web and by
``acting_as`` for work done on someone's behalf elsewhere (a job run for the user who queued it, a
management command).

The request id comes from our own proxy's ``X-Request-ID`` when it sent one (nginx sets it, so the
id in its access log and ours match), else is made here; it goes back in the response header.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from .signals import personal_data_shown

REQUEST_ID_HEADER = "X-Request-ID"
MAX_NOTED_IDS = 1000  # ids of records shown unmasked, per type, kept in one audit entry
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class Actor:
    """Who acts when there is no request: a user and what they act through."""

    user: Any
    via: str  # "ingest job 12", "manage.py rotate_key" …
    channel: str = "job"  # or "command" (audit.models.Channel)
    request_id: str = ""


_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("request", default=None)
_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("actor", default=None)


def current_request() -> HttpRequest | None:
    return _request.get()


def current_actor() -> Actor | None:
    return _actor.get()


def request_id(request: HttpRequest) -> str:
    """The id of this request (stable for its whole life)."""
    rid = getattr(request, "request_id", None)
    if rid is None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        rid = sent if _VALID_ID.match(sent) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
    return rid


@contextmanager
def acting_as(user: Any, via: str, *, channel: str = "job", request_id: str = "") -> Iterator[None]:
    """Run a block on behalf of ``user`` outside a request (jobs, commands)."""
    token = _actor.set(Actor(user=user, via=via, channel=channel, request_id=request_id or uuid.uuid4().hex))
    try:
        yield
    finally:
        _actor.reset(token)


def note_personal_data(object_type: str, object_id: Any, fields: Iterable[str]) -> None:
    """Say that the current response shows these fields of this record unmasked. The request sends
    ``personal_data_shown`` once at its end (one audit entry however many records it listed)."""
    request = _request.get()
    if request is None:
        return
    shown = request.__dict__.setdefault("_personal_data_shown", {})
    entry = shown.setdefault(object_type, {"ids": {}, "fields": set()})
    if len(entry["ids"]) < MAX_NOTED_IDS:
        entry["ids"][object_id] = None  # a dict: each record once, in the order shown
    entry["fields"].update(fields)


class RequestContextMiddleware:
    """Make the request current for the code it runs, and answer with its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request)
        token = _request.set(request)
        try:
            response = self.get_response(request)
            shown = request.__dict__.pop("_personal_data_shown", None)
            if shown:
                personal_data_shown.send(
                    sender=RequestContextMiddleware,
                    request=request,
                    shown={
                        kind: {"ids": list(e["ids"]), "fields": sorted(e["fields"])}
                        for kind, e in shown.items()
                    },
                )
        finally:
            _request.reset(token)
        response[REQUEST_ID_HEADER] = rid
        return response
