"""SM4-GCM personal fields: what is stored, what is read, and what is refused."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import FieldError, ImproperlyConfigured

from accounts.roles import Role
from crypto.envelope import DecryptionError, reveal, seal
from crypto.keys import DataKey
from layers.models import Park
from pipeline.models import Lead

from .conftest import K1, K2, raw

PHONE = "13912345678"


def test_sm4_gcm_rfc8998_vector():
    """RFC 8998 appendix A.1: SM4-GCM as OpenSSL under `cryptography` computes it here."""
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    cipher = encryptor.update(plain) + encryptor.finalize()
    assert cipher.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


def test_envelope_round_trip_and_tampering():
    sealed = seal("张三 13912345678", K1)
    version, key_id, _nonce, _body = sealed.split(":")
    assert (version, key_id) == ("sm4g1", "k1")
    assert reveal(sealed, [K1]) == "张三 13912345678"
    assert seal(PHONE, K1) != seal(PHONE, K1)  # a new nonce each time
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(DecryptionError, match="altered"):
        reveal(flipped, [K1])
    relabelled = sealed.replace("sm4g1:k1:", "sm4g1:k2:")
    with pytest.raises(DecryptionError, match="authentication failed"):
        reveal(relabelled, [K1, DataKey("k2", K1.secret)])  # the header is authenticated too


@pytest.mark.django_db
def test_round_trip_through_the_database(encryption):
    lead = Lead.objects.create(investor_name="张三", phone=PHONE, email="zhang@example.com")
    stored = raw(Lead, lead.pk, "phone")
    assert stored.startswith("sm4g1:k1:") and PHONE not in stored
    assert raw(Lead, lead.pk, "email").startswith("sm4g1:k1:")
    assert Lead.objects.get(pk=lead.pk).phone == PHONE
    assert list(Lead.objects.values_list("phone", "email")) == [(PHONE, "zhang@example.com")]
    # History rows hold personal data too: they are encrypted the same way.
    [history] = lead.history.all()
    assert history.phone == PHONE
    assert raw(Lead.history.model, history.pk, "phone").startswith("sm4g1:k1:")
    Lead.objects.filter(pk=lead.pk).update(phone="13800000000")
    assert raw(Lead, lead.pk, "phone").startswith("sm4g1:")
    assert Lead.objects.get(pk=lead.pk).phone == "13800000000"


@pytest.mark.django_db
def test_blank_stays_blank(encryption):
    lead = Lead.objects.create(investor_name="张三", phone=PHONE)
    assert raw(Lead, lead.pk, "email") == ""


@pytest.mark.django_db
def test_off_stores_plain_text_and_legacy_rows_stay_readable(settings):
    settings.NATIONAL_CRYPTO = False
    legacy = Lead.objects.create(investor_name="张三", phone=PHONE)
    assert raw(Lead, legacy.pk, "phone") == PHONE  # exactly what a CharField stores
    settings.NATIONAL_CRYPTO, settings.PERSONAL_DATA_KEYS = True, (K1,)
    assert Lead.objects.get(pk=legacy.pk).phone == PHONE  # plain text read as it is
    legacy.save()
    assert raw(Lead, legacy.pk, "phone").startswith("sm4g1:k1:")  # encrypted at its next save
    settings.NATIONAL_CRYPTO = False  # turned off again: what is encrypted stays readable
    assert Lead.objects.get(pk=legacy.pk).phone == PHONE


@pytest.mark.django_db
def test_a_wrong_or_missing_key_is_a_clear_error(encryption):
    lead = Lead.objects.create(investor_name="张三", phone=PHONE)
    encryption.PERSONAL_DATA_KEYS = (DataKey("k1", K2.secret),)
    with pytest.raises(DecryptionError, match=r"pipeline\.Lead\.phone: authentication failed: key 'k1'"):
        Lead.objects.get(pk=lead.pk)
    encryption.PERSONAL_DATA_KEYS = (K2,)
    with pytest.raises(DecryptionError, match="key 'k1', which is not configured"):
        Lead.objects.get(pk=lead.pk)
    encryption.PERSONAL_DATA_KEYS = ()
    with pytest.raises(ImproperlyConfigured, match="no personal-data key"):
        Lead.objects.create(investor_name="李四", phone=PHONE)


@pytest.mark.django_db
def test_sql_lookups_are_refused(encryption):
    Lead.objects.create(investor_name="张三", phone=PHONE)
    for lookup in ("phone", "phone__icontains", "email__startswith"):
        with pytest.raises(FieldError, match="is encrypted at rest"):
            Lead.objects.filter(**{lookup: PHONE}).exists()
    assert Lead.objects.filter(phone__isnull=False).count() == 1


@pytest.mark.django_db
def test_plain_text_length_is_still_validated(encryption):
    lead = Lead(investor_name="张三", phone="1" * 21)
    with pytest.raises(Exception, match="20"):
        lead.full_clean(exclude=["division"])


def test_park_contact_phone_is_masked_after_decryption(api, encryption, city):
    park = city.park  # built with contact_phone 13812345678, encrypted under k1
    assert raw(Park, park.pk, "contact_phone").startswith("sm4g1:k1:")
    url = f"/api/parks/{park.pk}/"
    assert api.get(url).json()["properties"]["contact_phone"] == "138****5678"
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    assert officer.get(url).json()["properties"]["contact_phone"] == "13812345678"
