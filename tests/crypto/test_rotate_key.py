"""manage.py rotate_key: old key to new, plain text to encrypted, idempotent, and confirmed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from layers.models import Park
from pipeline.models import Lead

from .conftest import K1, K2, raw

PHONE = "13912345678"


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_key", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def leads(settings):
    """Three leads: one left in plain text from before the option, two encrypted under k1."""
    settings.NATIONAL_CRYPTO = False
    legacy = Lead.objects.create(investor_name="甲", phone=PHONE, email="jia@example.com")
    settings.NATIONAL_CRYPTO, settings.PERSONAL_DATA_KEYS = True, (K1,)
    return [legacy, *(Lead.objects.create(investor_name=n, phone=PHONE) for n in "乙丙")]


@pytest.mark.django_db
def test_old_key_to_new_key_and_plain_text_encrypted(settings, leads, city):
    settings.PERSONAL_DATA_KEYS = (K2, K1)  # k2 now current, k1 still readable
    before = {lead.pk: Lead.objects.get(pk=lead.pk).updated_at for lead in leads}
    histories = Lead.history.count()
    out = rotate("--yes", "--batch-size", "2")
    assert "Re-encrypting under key 'k2'" in out
    assert "pipeline.Lead: 2/3 rows, 2 rewritten" in out  # progress per batch
    assert "pipeline.Lead: 3 rows, 3 rewritten" in out
    for lead in leads:
        assert raw(Lead, lead.pk, "phone").startswith("sm4g1:k2:")
    assert raw(Lead, leads[0].pk, "email").startswith("sm4g1:k2:")
    assert raw(Lead, leads[1].pk, "email") == ""
    assert raw(Park, city.park.pk, "contact_phone").startswith("sm4g1:k2:")
    for history in Lead.history.all():
        assert raw(Lead.history.model, history.pk, "phone").startswith("sm4g1:k2:")
    # A rotation changes how values are stored, not the records: no new history, same updated_at.
    assert Lead.history.count() == histories
    assert {lead.pk: Lead.objects.get(pk=lead.pk).updated_at for lead in leads} == before
    settings.PERSONAL_DATA_KEYS = (K2,)  # the old key can go
    assert [Lead.objects.get(pk=lead.pk).phone for lead in leads] == [PHONE] * 3
    assert Park.objects.get(pk=city.park.pk).contact_phone == "13812345678"


@pytest.mark.django_db
def test_a_second_run_rewrites_nothing(settings, leads):
    settings.PERSONAL_DATA_KEYS = (K2, K1)
    rotate("--yes")
    stored = [raw(Lead, lead.pk, "phone") for lead in leads]
    out = rotate("--yes")
    assert "pipeline.Lead: 3 rows, 0 rewritten" in out
    assert [raw(Lead, lead.pk, "phone") for lead in leads] == stored


@pytest.mark.django_db
def test_refuses_without_yes_when_not_interactive(settings, leads, monkeypatch):
    settings.PERSONAL_DATA_KEYS = (K2, K1)
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # not a terminal
    with pytest.raises(CommandError, match="Not interactive: pass --yes"):
        rotate()
    assert raw(Lead, leads[1].pk, "phone").startswith("sm4g1:k1:")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_asks_for_a_second_confirmation(settings, leads, monkeypatch):
    settings.PERSONAL_DATA_KEYS = (K2, K1)
    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    with pytest.raises(CommandError, match="Cancelled"):
        rotate()
    assert raw(Lead, leads[1].pk, "phone").startswith("sm4g1:k1:")
    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    rotate()
    assert raw(Lead, leads[1].pk, "phone").startswith("sm4g1:k2:")


@pytest.mark.django_db
def test_refuses_with_the_option_off_or_a_key_missing(settings, leads):
    settings.PERSONAL_DATA_KEYS = (K2,)  # k1 dropped before its values were rewritten
    with pytest.raises(CommandError, match="key 'k1', which is not configured"):
        rotate("--yes")
    settings.NATIONAL_CRYPTO = False
    with pytest.raises(CommandError, match="NATIONAL_CRYPTO is off"):
        rotate("--yes")
