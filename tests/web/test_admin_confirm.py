"""Second confirmation (二次确认) in the admin, and the admin's pages under the Content-Security-
Policy: a revert needs an explicit tick the server checks (core/admin.py), every bulk action asks on
a page of its own, and the map widget starts without inline script."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory

from accounts import tokens
from accounts.models import AuthToken, TokenKind, User
from core.admin import ACTION_CONFIRM_FIELD, REVERT_CONFIRM_FIELD
from tests.builders import build_city, make_record

pytestmark = [pytest.mark.django_db]

# Django's delete_selected shows admin/delete_selected_confirmation.html before it deletes; ours
# go through core.admin.confirmed_action.
DJANGO_CONFIRMED = {"delete_selected"}


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root8", password="x-Strong-pass-9"))
    return client


@pytest.fixture
def renamed_parcel():
    city = build_city()
    parcel = make_record("parcels", city, city.inside(0), name="旧名")
    parcel.name = "新名"
    parcel.save()
    return parcel


def _history_url(parcel) -> str:
    first = parcel.history.order_by("history_id").first()
    return f"/admin/layers/landparcel/{parcel.pk}/history/{first.history_id}/"


def test_revert_page_asks_for_the_confirmation(staff, renamed_parcel):
    response = staff.get(_history_url(renamed_parcel))
    assert response.status_code == 200
    assert f'name="{REVERT_CONFIRM_FIELD}" required'.encode() in response.content
    # The map widget is started by web/admin.js from data attributes, not by an inline script.
    assert b"data-offline-map=" in response.content
    assert b"<script>" not in response.content


def test_revert_without_the_tick_changes_nothing(staff, renamed_parcel):
    url = _history_url(renamed_parcel)
    response = staff.post(url, {"name": "旧名", "code": renamed_parcel.code})
    assert response.status_code == 302 and response.url == url
    assert any("勾选确认" in str(m) for m in get_messages(response.wsgi_request))
    renamed_parcel.refresh_from_db()
    assert renamed_parcel.name == "新名"


def test_revert_with_the_tick_goes_on_to_the_form(staff, renamed_parcel):
    url = _history_url(renamed_parcel)
    response = staff.post(url, {"name": "旧名", REVERT_CONFIRM_FIELD: "on"})
    # Past the confirmation: simple_history validates the (here incomplete) form and shows it again.
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_every_bulk_action_confirms_on_a_page_of_its_own():
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    unconfirmed = {
        f"{model._meta.label}: {name}"
        for model, model_admin in admin.site._registry.items()
        for name, (func, *_) in model_admin.get_actions(request).items()
        if name not in DJANGO_CONFIRMED and not getattr(func, "confirmed", False)
    }
    assert unconfirmed == set(), "an irreversible admin action must render a confirmation page first"


def test_revoking_tokens_asks_first_and_only_then_revokes(staff):
    owner = User.objects.create_user("owner8", password="x-Strong-pass-9")
    token, _ = tokens.issue(owner, TokenKind.API)
    url = "/admin/accounts/authtoken/"
    chosen = {"action": "revoke_tokens", "_selected_action": [token.pk]}

    response = staff.post(url, chosen)
    assert response.status_code == 200
    assert "admin/action_confirmation.html" in [t.name for t in response.templates]
    assert f'name="{ACTION_CONFIRM_FIELD}" value="yes"'.encode() in response.content
    assert AuthToken.objects.get(pk=token.pk).revoked_at is None  # nothing happened yet

    response = staff.post(url, {**chosen, ACTION_CONFIRM_FIELD: "yes"})
    assert response.status_code == 302
    assert AuthToken.objects.get(pk=token.pk).revoked_at is not None
