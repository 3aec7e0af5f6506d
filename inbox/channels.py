"""Outside channels a message also goes out on, behind one small interface.

A channel has a ``name`` and ``deliver(message)``, which returns when the message is out and
raises ``DeliveryFailed`` when it is not (the delivery is retried with backoff, ``inbox.deliver``).
``INBOX_CHANNELS`` lists the channels in use, by name or by dotted path to a class of your own:

- ``log``: writes each message to the ``inbox.delivery`` logger (the default; nothing leaves);
- ``webhook``: POSTs the message as JSON to ``INBOX_WEBHOOK_URL``, signed, for a government
  messaging platform (粤政易 and the like) or any bridge;
- an SMS vendor: subclass ``SmsChannel`` and implement ``send_sms``; we ship no vendor.

The webhook's signature: ``X-Geoportal-Signature: sha256=<hex>``, the HMAC-SHA256 with
``INBOX_WEBHOOK_SECRET`` of ``"<X-Geoportal-Timestamp>.<body>"``. A receiver recomputes it over
the raw body, refuses a mismatch, and refuses a timestamp more than five minutes old (a replay).
``X-Geoportal-Delivery`` is the delivery's id, the same on every retry, so a receiver that saw it
already can answer 200 and do nothing. Any 2xx is success; anything else, or no answer within
``INBOX_WEBHOOK_TIMEOUT`` seconds, is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .models import Delivery, Message

log = logging.getLogger("inbox.delivery")


class DeliveryFailed(Exception):
    """The channel did not take the message; it is tried again later."""


class Channel(ABC):
    name: str

    @abstractmethod
    def deliver(self, message: Message, delivery: Delivery) -> None: ...


def payload(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "recipient": message.recipient.get_username(),
        "kind": message.kind,
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "object": {"type": message.object_type, "id": message.object_id},
        "created_at": message.created_at.isoformat(),
    }


class LogChannel(Channel):
    name = "log"

    def deliver(self, message: Message, delivery: Delivery) -> None:
        log.info("message %s to %s: %s", message.pk, message.recipient.get_username(), message.title)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookChannel(Channel):
    name = "webhook"

    def deliver(self, message: Message, delivery: Delivery) -> None:
        url, secret = settings.INBOX_WEBHOOK_URL, settings.INBOX_WEBHOOK_SECRET
        if not url or not secret:
            raise DeliveryFailed("INBOX_WEBHOOK_URL and INBOX_WEBHOOK_SECRET must both be set")
        body = json.dumps(payload(message), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Geoportal-Timestamp": timestamp,
                "X-Geoportal-Signature": sign(secret, timestamp, body),
                "X-Geoportal-Delivery": str(delivery.pk),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.INBOX_WEBHOOK_TIMEOUT) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"the webhook answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"the webhook did not answer: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"the webhook answered {status}")


class SmsChannel(Channel):
    """The interface an SMS vendor's adapter implements: the text and the recipient's phone.
    Recipients without a phone number are skipped (the inbox still has the message)."""

    name = "sms"

    @abstractmethod
    def send_sms(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone``; raise ``DeliveryFailed`` if the vendor refuses."""

    def deliver(self, message: Message, delivery: Delivery) -> None:
        phone = getattr(message.recipient, "phone", "")
        if phone:
            self.send_sms(phone, f"{message.title} {message.body}".strip()[:300])


BUILT_IN: dict[str, type[Channel]] = {"log": LogChannel, "webhook": WebhookChannel}


@cache
def channels() -> dict[str, Channel]:
    """The configured channels, by name (``INBOX_CHANNELS``)."""
    found: dict[str, Channel] = {}
    for entry in settings.INBOX_CHANNELS:
        cls = BUILT_IN.get(entry)
        if cls is None:
            try:
                cls = import_string(entry)
            except ImportError as exc:
                raise ImproperlyConfigured(f"INBOX_CHANNELS: no channel {entry!r} ({exc})") from exc
        channel = cls()
        found[channel.name] = channel
    return found
