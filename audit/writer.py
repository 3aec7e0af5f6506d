"""``record()``: the one way an entry joins the audit log.

Who, from where and through what come from the current request (``core.context``) or from the
``acting_as`` block a job or command runs in; callers say only what happened to which object.

An entry is written in the caller's transaction, so a write and its entry commit or roll back
together. Appending locks the chain head's row until that commit: entries join the chain one at a
time, in commit order, which is what lets ``audit verify`` tell a removed or inserted entry from a
late one. Writers therefore record at the end of their work, just before it commits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from psycopg.types.json import Jsonb

from core.client import client_address
from core.context import current_actor, current_request, request_id
from policy.predicates import home_division_code
from policy.scope import role_of

from . import chain
from .models import AuditAction, Channel, Entry, Outcome

_COLUMNS = ", ".join(chain.COVERED) + ", prev_mac, mac"


def _channel(request: HttpRequest | None) -> str:
    if request is None:
        actor = current_actor()
        return actor.channel if actor else Channel.COMMAND
    path = request.path
    if path.startswith("/admin/"):
        return Channel.ADMIN
    if path.startswith(("/api/", "/tiles/", "/media/", "/ogc/")):
        return Channel.API
    return Channel.PAGE


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def _who(user: Any, request: HttpRequest | None) -> Any:
    if user is not None:
        return user
    if request is not None:
        # DRF sets the user it authenticated (token, session) on the underlying request too.
        return getattr(request, "user", None)
    actor = current_actor()
    return actor.user if actor else None


def record(
    action: AuditAction,
    *,
    object_type: str = "",
    object_id: Any = "",
    division: str | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    user: Any = None,
    request: HttpRequest | None = None,
) -> Entry:
    """Append one entry to the audit log, in the current transaction; returns it."""
    request = request if request is not None else current_request()
    who = _who(user, request)
    known = who is not None and getattr(who, "is_authenticated", False)
    actor = current_actor()
    values: dict[str, Any] = {
        "at": timezone.now(),
        "user_id": who.pk if known else None,
        "username": who.get_username() if known else (detail or {}).get("username", ""),
        "role": (role_of(who) or "") if known else "",
        "client_address": _address(request),
        "user_agent": (request.headers.get("User-Agent", "") if request is not None else "")[:256],
        "channel": _channel(request),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id or "")[:64],
        "division": (division if division is not None else home_division_code(who) if known else "")[:12],
        "outcome": outcome,
        "request_id": request_id(request) if request is not None else (actor.request_id if actor else ""),
        "detail": {**({"via": actor.via} if actor and request is None else {}), **(detail or {})},
    }
    pending = _BATCH.get()
    if pending is not None:
        pending.append(values)
        return Entry(**values)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        (entry_id,) = _append(cursor, [values])
    return Entry(id=entry_id, **values)


def _append(cursor: Any, entries: list[dict[str, Any]]) -> list[int]:
    """Chains ``entries`` after the head, in order, under the head's row lock: one INSERT for them
    all and one update of the head. Sets each entry's ``seq``, ``prev_mac`` and ``mac``."""
    cursor.execute("SELECT seq, mac FROM audit_chainhead WHERE id = 1 FOR UPDATE")
    head = cursor.fetchone()
    if head is None:  # a flushed database (tests): the chain starts again
        cursor.execute("INSERT INTO audit_chainhead (id, seq, mac) VALUES (1, 0, '') ON CONFLICT DO NOTHING")
        cursor.execute("SELECT seq, mac FROM audit_chainhead WHERE id = 1 FOR UPDATE")
        head = cursor.fetchone()
    seq, mac = head
    rows: list[Any] = []
    for values in entries:
        seq += 1
        values["seq"], values["prev_mac"] = seq, mac
        mac = values["mac"] = chain.compute(values, values["prev_mac"])
        params = [values[name] for name in chain.COVERED]
        params[chain.COVERED.index("detail")] = Jsonb(values["detail"])
        rows.extend([*params, values["prev_mac"], mac])
    width = len(chain.COVERED) + 2
    placeholders = ", ".join(f"({', '.join(['%s'] * width)})" for _entry in entries)
    cursor.execute(
        f"WITH e AS (INSERT INTO audit_entry ({_COLUMNS}) VALUES {placeholders} RETURNING id), "  # noqa: S608
        "h AS (UPDATE audit_chainhead SET seq = %s, mac = %s WHERE id = 1) SELECT id FROM e ORDER BY id",
        [*rows, seq, mac],
    )
    return [row[0] for row in cursor.fetchall()]


_BATCH: ContextVar[list[dict[str, Any]] | None] = ContextVar("audit_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """The entries recorded inside join the chain together when the block ends (one lock, one
    INSERT), for a writer of many records at once (the phone's sync); inside the caller's
    transaction, as one ``record`` would be. An exception drops them with the writes they describe."""
    if _BATCH.get() is not None:  # already batching: the outer block appends
        yield
        return
    pending: list[dict[str, Any]] = []
    token = _BATCH.set(pending)
    try:
        yield
    finally:
        _BATCH.reset(token)
    if pending:
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            _append(cursor, pending)
