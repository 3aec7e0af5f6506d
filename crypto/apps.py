from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CryptoConfig(AppConfig):
    name = "crypto"
    verbose_name = _("国密")

    def ready(self) -> None:
        checks.register(openssl_has_sm3_and_sm4, checks.Tags.security)


def openssl_has_sm3_and_sm4(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """With NATIONAL_CRYPTO on, the OpenSSL under ``cryptography`` must offer SM3 and SM4-GCM: some
    builds leave them out, and that should stop start-up, not the first login or save."""
    if not settings.NATIONAL_CRYPTO:
        return []
    try:
        hashes.Hash(hashes.SM3())
        Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))).encryptor()
    except Exception as exc:  # UnsupportedAlgorithm, or a build that fails otherwise
        return [
            checks.Error(
                f"NATIONAL_CRYPTO is on, but this OpenSSL lacks SM3 or SM4-GCM: {exc}",
                hint="Install the cryptography wheel from PyPI, which bundles an OpenSSL with both.",
                id="crypto.E001",
            )
        ]
    return []
