"""Outside channels: the signed webhook, retried with doubling waits, and given up in the end."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from accounts.roles import Role
from inbox import channels
from inbox.delivery import attempt, retry_due
from inbox.models import Delivery, DeliveryStatus
from inbox.send import notify

pytestmark = pytest.mark.django_db
SECRET = "webhook-test-secret"


class Receiver:
    """A webhook receiver on a local port that answers each request with the next status."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.requests = list(statuses), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(settings):
    receiver = Receiver([500])
    settings.INBOX_CHANNELS = ["log", "webhook"]
    settings.INBOX_WEBHOOK_URL, settings.INBOX_WEBHOOK_SECRET = receiver.url, SECRET
    settings.INBOX_RETRY_SECONDS, settings.INBOX_MAX_ATTEMPTS = 30, 3
    channels.channels.cache_clear()
    yield receiver
    receiver.close()
    channels.channels.cache_clear()


def test_the_webhook_is_signed_retried_after_its_wait_and_sent_once(city, webhook):
    message = notify([city.users[Role.DISTRICT_LEADER]], kind="review", title="待审核：项目甲", key="k")[0]
    hook = Delivery.objects.get(message=message, channel="webhook")
    now = timezone.now()
    both = list(Delivery.objects.filter(message=message).values_list("pk", flat=True))
    assert attempt(both, now) == {"sent": 1, "deferred": 1, "failed": 0}, "log sent, webhook got a 500"
    hook.refresh_from_db()
    assert hook.next_attempt_at == now + timedelta(seconds=30) and "500" in hook.last_error
    assert retry_due(now + timedelta(seconds=29)) == {"sent": 0, "deferred": 0, "failed": 0}, "not yet"
    assert retry_due(now + timedelta(seconds=31))["sent"] == 1
    assert retry_due(now + timedelta(hours=1)) == {"sent": 0, "deferred": 0, "failed": 0}, "sent once"
    headers, body = webhook.requests[-1]
    expected = hmac.new(
        SECRET.encode(), headers["X-Geoportal-Timestamp"].encode() + b"." + body, hashlib.sha256
    )
    assert headers["X-Geoportal-Signature"] == f"sha256={expected.hexdigest()}"
    assert headers["X-Geoportal-Delivery"] == str(hook.pk) == webhook.requests[0][0]["X-Geoportal-Delivery"]
    assert json.loads(body)["title"] == "待审核：项目甲"


def test_a_channel_that_keeps_refusing_is_given_up_with_its_error(city, webhook):
    webhook.statuses = [503, 503, 503]
    message = notify([city.users[Role.DISTRICT_LEADER]], kind="review", title="甲", key="k2")[0]
    hook = Delivery.objects.get(message=message, channel="webhook")
    now = timezone.now()
    for minutes in (0, 1, 3):
        retry_due(now + timedelta(minutes=minutes))
    hook.refresh_from_db()
    assert (hook.status, hook.attempts) == (DeliveryStatus.FAILED, 3) and "503" in hook.last_error
