"""The proof (SPEC §9, issue 13): with NATIONAL_CRYPTO on, a pg_dump of the database holds no
known phone number in clear, while the API still shows it, masked or not as the role may see it."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.roles import Role
from pipeline.models import Lead

from .conftest import K1

LEAD_PHONE = "13977770361"
PARK_PHONE = "13812345678"  # tests.builders' park
LEGACY_PHONE = "13566660361"


def pg_dump() -> bytes:
    """The whole test database as pg_dump writes it (the binaries scripts/lib.sh uses)."""
    binary = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "pg_dump"
    found = str(binary) if binary.exists() else shutil.which("pg_dump")
    assert found, "pg_dump not found: install postgresql-15 or set PG_BIN"
    db = connection.settings_dict
    return subprocess.run(
        [found, "--no-owner", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], db["NAME"]],
        env={**os.environ, "PGPASSWORD": db["PASSWORD"]},
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout


@pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows
def test_pg_dump_holds_no_phone_number_in_clear(settings, api):
    from tests.builders import build_city

    # Records left in plain text from before the option was on: the dump shows them, so the check
    # below can see a number when there is one.
    settings.NATIONAL_CRYPTO = False
    city = build_city()
    legacy = Lead(investor_name="旧线索", phone=LEGACY_PHONE)
    legacy.assign(None)  # the city's lead
    legacy.save()
    before = pg_dump()
    assert LEGACY_PHONE.encode() in before and PARK_PHONE.encode() in before

    # The option on: a new lead through the API, then the old rows encrypted by rotate_key.
    settings.NATIONAL_CRYPTO, settings.PERSONAL_DATA_KEYS = True, (K1,)
    ip = str(ipaddress.ip_address(f"2001:db8::{uuid.uuid4().hex[:4]}"))
    body = {
        "investor_name": "张先生",
        "company": "广东某新材料有限公司",
        "phone": "139 7777 0361",
        "consent": True,
    }
    created = api.post("/api/pipeline/leads/", body, format="json", REMOTE_ADDR=ip)
    assert created.status_code == 201, created.content
    call_command("rotate_key", "--yes", stdout=open(os.devnull, "w"))  # noqa: SIM115

    dump = pg_dump()
    for phone in (LEAD_PHONE, PARK_PHONE, LEGACY_PHONE):
        assert phone.encode() not in dump, f"{phone} is in the dump in clear"
    assert dump.count(b"sm4g1:k1:") >= 6  # leads, park, and their history rows

    lead = Lead.objects.exclude(pk=legacy.pk).get()
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    assert officer.get(f"/api/pipeline/leads/{lead.pk}/").json()["phone"] == LEAD_PHONE
    assert officer.get(f"/api/pipeline/leads/{legacy.pk}/").json()["phone"] == LEGACY_PHONE
    park = f"/api/parks/{city.park.pk}/"
    assert officer.get(park).json()["properties"]["contact_phone"] == PARK_PHONE
    api.force_authenticate(None)
    assert api.get(park).json()["properties"]["contact_phone"] == "138****5678"
