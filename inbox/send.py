"""``notify``: the one way other packages put a message in someone's inbox.

Callers name the occurrence (``key``): the same key for the same recipient is one message,
however often it is raised, so a sweep run twice or a replayed request notifies nobody twice.
The messages are written in the caller's transaction; once it commits they are pushed to the
recipients' open pages (SSE) and handed to the outside channels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model

from .models import Delivery, Message


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
    people = {user.pk: user for user in recipients if getattr(user, "pk", None) and user.is_active}
    if not people:
        return []
    had = set(Message.objects.filter(key=key, recipient_id__in=people).values_list("recipient_id", flat=True))
    object_type = f"{about._meta.app_label}.{about._meta.model_name}" if about is not None else ""
    new = [
        Message(
            recipient=user,
            kind=kind,
            title=title[:200],
            body=body,
            link=link,
            object_type=object_type,
            object_id=str(about.pk) if about is not None else "",
            key=key[:120],
        )
        for pk, user in people.items()
        if pk not in had
    ]
    # A notice raised at the same moment elsewhere: the constraint keeps one.
    Message.objects.bulk_create(new, ignore_conflicts=True)
    made = list(Message.objects.filter(key=key[:120], recipient_id__in=[m.recipient_id for m in new]))
    from .delivery import channels_for, dispatch, push  # the channels read settings at first use

    Delivery.objects.bulk_create(
        [Delivery(message=m, channel=name) for m in made for name in channels_for()], ignore_conflicts=True
    )
    ids = [m.pk for m in made]

    def hand_on() -> None:
        push(ids)
        dispatch(ids)

    transaction.on_commit(hand_on)
    return made
