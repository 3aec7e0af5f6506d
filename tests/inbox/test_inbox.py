"""消息中心: one message per occurrence, each user's own, read/unread, and the live feed."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from core.sse import events
from inbox.delivery import push
from inbox.feed import inbox
from inbox.models import Delivery, Message
from inbox.send import notify
from tests.builders import assert_error

pytestmark = pytest.mark.django_db


def _read(gen, event: str, limit: int = 20) -> dict:
    for _ in range(limit):
        chunk = next(gen)
        if f"event: {event}\n" in chunk:
            return json.loads(chunk.split("data: ", 1)[1])
    raise AssertionError(f"no {event} event")


def test_the_same_occurrence_is_one_message_and_goes_to_each_channel_once(city):
    leader = city.users[Role.DISTRICT_LEADER]
    first = notify([leader], kind="review", title="待审核：项目甲", key="project-review:1:2")
    again = notify([leader, leader], kind="review", title="待审核：项目甲", key="project-review:1:2")
    assert len(first) == 1 and again == [], "nothing new the second time"
    assert Message.objects.filter(recipient=leader).count() == 1
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["log"]


def test_an_inbox_is_its_owners_with_read_and_unread(api, city):
    officer, leader = city.users[Role.DISTRICT_OFFICER], city.users[Role.DISTRICT_LEADER]
    mine = notify([officer], kind="result", title="审核通过：项目甲", key="a")[0]
    notify([officer], kind="returned", title="已退回：项目乙", key="b")
    notify([leader], kind="review", title="待审核：项目丙", key="c")
    page = api.as_user(officer).get("/api/inbox/").json()
    assert [m["title"] for m in page["results"]] == ["已退回：项目乙", "审核通过：项目甲"] and page[
        "unread"
    ] == 2
    assert api.as_user(leader).get(f"/api/inbox/{mine.pk}/").status_code == 404, "nobody else's"
    assert api.as_user(city.users[Role.ADMIN]).get(f"/api/inbox/{mine.pk}/").status_code == 404
    read = api.as_user(officer).post(f"/api/inbox/{mine.pk}/read/")
    assert read.json()["read"] is True
    assert api.as_user(officer).get("/api/inbox/?unread=true").json()["count"] == 1
    assert api.as_user(officer).post("/api/inbox/read-all/").json() == {"marked": 1}
    assert api.as_user(officer).get("/api/inbox/").json()["unread"] == 0
    assert_error(api.as_user(officer).get("/api/inbox/?unread=maybe"), 400, "unread")
    assert APIClient().get("/api/inbox/").status_code == 401


def test_a_new_message_reaches_the_open_page_and_a_reconnect_gets_what_it_missed(city):
    officer = city.users[Role.DISTRICT_OFFICER]
    missed = notify([officer], kind="warning", title="黄牌：项目甲", key="w1")[0]
    gen = events(inbox(officer), missed.pk - 1, lifetime=4)
    _read(gen, "hello")
    assert _read(gen, "message")["id"] == missed.pk, "replayed"
    live = notify([officer], kind="warning", title="红牌：项目甲", key="w2")[0]
    notify([city.users[Role.DISTRICT_LEADER]], kind="warning", title="别人的", key="w3")
    push([m.pk for m in Message.objects.exclude(pk=missed.pk)])
    assert _read(gen, "message")["title"] == "红牌：项目甲" and live.pk
    gen.close()
