"""Each user's inbox as a live feed (``GET /api/stream/inbox/``): the stream loop of
``core.sse``, on a channel of the user's own, replaying what arrived while the page was away."""

from __future__ import annotations

from typing import Any

from core.sse import Feed, channel

from .models import Message

REPLAY_LIMIT = 50


def channel_name(user_id: int) -> str:
    return f"inbox:{user_id}"


def item(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "recipient": message.recipient_id,
        "kind": message.kind,
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "created_at": message.created_at.isoformat(),
    }


def inbox(user: Any) -> Feed:
    def replay(after: int) -> list[dict[str, Any]]:
        newest = Message.objects.filter(recipient=user, pk__gt=after).order_by("-pk")[:REPLAY_LIMIT]
        return [item(m) for m in reversed(newest)]

    return Feed(
        channel=channel(channel_name(user.pk)),
        event="message",
        replay=replay,
        # The channel is the user's own; the check keeps it so if channels are ever shared.
        shown=lambda data: data if data.get("recipient") == user.pk else None,
    )
