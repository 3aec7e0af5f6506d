"""Handing messages on: to the recipients' open pages (SSE, ``inbox.feed``) and to the outside
channels (``inbox.channels``), each delivery retried with doubling waits until it is sent or
``INBOX_MAX_ATTEMPTS`` is reached (then it is ``failed`` and stays in the admin with its error)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.sse import publish_many

from .channels import DeliveryFailed, channels
from .models import Delivery, DeliveryStatus, Message

log = logging.getLogger(__name__)


def channels_for() -> list[str]:
    return list(channels())


def push(message_ids: list[int]) -> None:
    """Tell each recipient's open pages about their new messages."""
    from .feed import channel_name, item

    publish_many(
        (channel_name(message.recipient_id), item(message))
        for message in Message.objects.filter(pk__in=message_ids)
    )


def dispatch(message_ids: list[int]) -> None:
    """Queue the deliveries of these messages (the worker sends them)."""
    from .tasks import deliver

    ids = list(Delivery.objects.filter(message_id__in=message_ids).values_list("pk", flat=True))
    if ids:
        try:
            deliver.delay(ids)
        except Exception:  # noqa: BLE001 - the broker may be down; the beat's retry picks them up
            log.warning("could not queue deliveries %s; the retry sweep will send them", ids, exc_info=True)


def attempt(delivery_ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Try each pending delivery once; returns how many were sent, deferred and given up."""
    now = now or timezone.now()
    done = {"sent": 0, "deferred": 0, "failed": 0}
    configured = channels()
    for pk in delivery_ids:
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update(skip_locked=True)
                .select_related("message__recipient")
                .filter(pk=pk, status=DeliveryStatus.PENDING)
                .first()
            )
            if delivery is None:
                continue  # sent already, or another worker has it
            channel = configured.get(delivery.channel)
            delivery.attempts += 1
            try:
                if channel is None:
                    raise DeliveryFailed(f"the channel {delivery.channel!r} is no longer configured")
                channel.deliver(delivery.message, delivery)
            except DeliveryFailed as exc:
                delivery.last_error = str(exc)[:2000]
                if delivery.attempts >= settings.INBOX_MAX_ATTEMPTS:
                    delivery.status = DeliveryStatus.FAILED
                    done["failed"] += 1
                else:
                    wait = settings.INBOX_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
                    delivery.next_attempt_at = now + timedelta(seconds=wait)
                    done["deferred"] += 1
            else:
                delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, ""
                done["sent"] += 1
            delivery.save()
    return done


def retry_due(now: datetime | None = None) -> dict[str, int]:
    """The pending deliveries whose next attempt is due (beat: ``inbox.retry_deliveries``)."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    return attempt(due, now)
