"""``notify``: the one way other packages put a message in someone's inbox.

Callers name the occurrence (``key``): the same key for the same recipient is one message,
however often it is raised, so a sweep run twice or a replayed request notifies nobody twice.
The messages are written in the caller's transaction; once it commits they are pushed to the
recipients' open pages (SSE) and handed to the outside channels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model

from .models import Delivery, Message


@dataclass(frozen=True)
class Notice:
    """One occurrence to tell some people about (``key`` names it: once per recipient)."""

    recipients: Sequence[Any]
    kind: str
    title: str
    key: str
    body: str = ""
    link: str = ""
    about: Model | None = None


def notify(
    recipients: Iterable[Any],
    *,
    kind: str,
    title: str,
    key: str,
    body: str = "",
    link: str = "",
    about: Model | None = None,
) -> list[Message]:
    """Put one message per recipient (once per ``key``); returns the messages new now."""
    return notify_all([Notice(list(recipients), kind, title, key, body, link, about)])


def notify_all(notices: Iterable[Notice]) -> list[Message]:
    """``notify`` for many occurrences at once (a sweep's warnings): a fixed handful of queries
    whatever their number, instead of a few per message."""
    wanted: dict[tuple[int, str], Message] = {}
    for notice in notices:
        about = notice.about
        object_type = f"{about._meta.app_label}.{about._meta.model_name}" if about is not None else ""
        key = notice.key[:120]
        for user in notice.recipients:
            if getattr(user, "pk", None) is None or not user.is_active or (user.pk, key) in wanted:
                continue
            wanted[(user.pk, key)] = Message(
                recipient=user,
                kind=notice.kind,
                title=notice.title[:200],
                body=notice.body,
                link=notice.link,
                object_type=object_type,
                object_id=str(about.pk) if about is not None else "",
                key=key,
            )
    if not wanted:
        return []
    keys = sorted({key for _pk, key in wanted})
    had = set(Message.objects.filter(key__in=keys).values_list("recipient_id", "key"))
    new = [message for pair, message in wanted.items() if pair not in had]
    # A notice raised at the same moment elsewhere: the constraint keeps one.
    Message.objects.bulk_create(new, ignore_conflicts=True, batch_size=5000)
    fresh = {(m.recipient_id, m.key) for m in new}
    made = [
        m
        for m in Message.objects.filter(key__in=sorted({m.key for m in new}))
        if (m.recipient_id, m.key) in fresh
    ]
    from .delivery import channels_for, dispatch, push  # the channels read settings at first use

    Delivery.objects.bulk_create(
        [Delivery(message=m, channel=name) for m in made for name in channels_for()],
        ignore_conflicts=True,
        batch_size=5000,
    )
    ids = [m.pk for m in made]

    def hand_on() -> None:
        push(ids)
        dispatch(ids)

    transaction.on_commit(hand_on)
    return made
