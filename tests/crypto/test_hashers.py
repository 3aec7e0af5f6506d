"""PBKDF2-HMAC-SM3: the primitive against published and independent vectors, then the hasher."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password

from accounts.models import User
from crypto.hashers import PBKDF2SM3PasswordHasher, pbkdf2_sm3

SM3 = "crypto.hashers.PBKDF2SM3PasswordHasher"
SHA256 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
# The upgrade is User.check_password's, which every login path calls; Django's own backend keeps
# these tests clear of the lockout's bookkeeping.
MODEL_BACKEND = ["django.contrib.auth.backends.ModelBackend"]


def test_sm3_is_the_national_standard():
    """GB/T 32905-2016, example 1: SM3("abc")."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def _rfc8018_pbkdf2(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF2 written out from RFC 8018 §5.2 over HMAC-SM3, independent of OpenSSL's PBKDF2."""

    def prf(message: bytes) -> bytes:
        mac = hmac.HMAC(password, hashes.SM3())
        mac.update(message)
        return mac.finalize()

    out = b""
    block = 1
    while len(out) < length:
        u = prf(salt + block.to_bytes(4, "big"))
        t = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = prf(u)
            t ^= int.from_bytes(u, "big")
        out += t.to_bytes(len(u), "big")
        block += 1
    return out[:length]


def test_pbkdf2_sm3_known_vector():
    # Also what Python's hashlib.pbkdf2_hmac("sm3", ...) gives on an OpenSSL that has SM3.
    vector = "e8b635a41dfe5aaab7cf828cff6f3608e22cac59ba16edd70e000b293d00bc91"
    assert pbkdf2_sm3(b"password", b"salt", 1000).hex() == vector
    assert _rfc8018_pbkdf2(b"password", b"salt", 1000, 32).hex() == vector
    # Longer than one block: the block counter is right too.
    assert pbkdf2_sm3(b"pw", b"NaCl", 3, 80) == _rfc8018_pbkdf2(b"pw", b"NaCl", 3, 80)


def test_round_trip_and_wrong_password():
    hasher = PBKDF2SM3PasswordHasher()
    encoded = hasher.encode("正确的密码 horse", hasher.salt())
    algorithm, iterations, salt, _digest = encoded.split("$")
    assert (algorithm, int(iterations)) == ("pbkdf2_sm3", PBKDF2SM3PasswordHasher.iterations)
    assert hasher.verify("正确的密码 horse", encoded)
    assert not hasher.verify("正确的密码 horsE", encoded)
    assert not hasher.must_update(encoded)
    summary = hasher.safe_summary(encoded)
    assert summary["algorithm"] == "pbkdf2_sm3" and salt not in summary["salt"]


def test_fewer_iterations_are_upgraded_and_hardened():
    hasher = PBKDF2SM3PasswordHasher()
    old = hasher.encode("pw", hasher.salt(), iterations=1000)
    assert hasher.verify("pw", old)
    assert hasher.must_update(old)
    hasher.harden_runtime("pw", old)  # the missing iterations, so timing does not tell the age


@pytest.mark.django_db
def test_a_default_django_hash_is_upgraded_to_sm3_at_login(settings):
    settings.PASSWORD_HASHERS = [SM3, SHA256]
    settings.AUTHENTICATION_BACKENDS = MODEL_BACKEND
    user = User.objects.create(
        username="old-hash", password=make_password("pw-long-enough", hasher="pbkdf2_sha256")
    )
    assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"
    assert authenticate(username="old-hash", password="wrong") is None
    assert authenticate(username="old-hash", password="pw-long-enough") == user
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "pbkdf2_sm3"
    assert check_password("pw-long-enough", user.password)
    assert get_hasher().algorithm == "pbkdf2_sm3"


@pytest.mark.django_db
def test_sm3_hashes_still_verify_with_the_option_off(settings):
    """Turning NATIONAL_CRYPTO off lists the SM3 hasher last: nobody is locked out, and the next
    login moves the password back to Django's default."""
    settings.PASSWORD_HASHERS = [SHA256, SM3]
    settings.AUTHENTICATION_BACKENDS = MODEL_BACKEND
    user = User.objects.create(
        username="sm3-hash", password=make_password("pw-long-enough", hasher="pbkdf2_sm3")
    )
    assert authenticate(username="sm3-hash", password="pw-long-enough") == user
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"
