"""Admin list pages show no personal data: a column listing phone numbers or e-mail addresses to
every staff user would bypass the masking of every other output (policy.privacy)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from layers.registry import LAYERS

# Personal fields of the models that are not layers (layers declare theirs in the registry).
PERSONAL = {"pipeline.lead": {"phone", "email"}, "accounts.user": {"phone", "email"}}


@pytest.mark.django_db
def test_no_admin_list_shows_a_personal_field(city):
    from accounts.roles import Role

    request = RequestFactory().get("/admin/")
    request.user = city.users[Role.ADMIN]
    personal = {spec.model._meta.label_lower: set(spec.personal_fields) for spec in LAYERS.values()}
    for label, names in PERSONAL.items():
        personal.setdefault(label, set()).update(names)
    for model, model_admin in admin.site._registry.items():
        shown = {name for name in model_admin.get_list_display(request) if isinstance(name, str)}
        leaked = shown & personal.get(model._meta.label_lower, set())
        assert not leaked, f"{model._meta.label}: mask {leaked} through policy.privacy.shown"
