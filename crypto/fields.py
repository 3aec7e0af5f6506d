"""Model fields whose values are SM4-GCM encrypted at rest when NATIONAL_CRYPTO is on.

To the application they are a CharField or an EmailField: forms, serializers, validation and
masking see the plain text, which is encrypted on the way into the database and decrypted on the
way out (``from_db_value`` also serves ``values()`` and ``values_list()``). With the option off
they store plain text exactly as their parent does, and read both forms, so turning the option on
is a rewrite of data (``manage.py rotate_key``), never a change of schema.

The column is ``text`` either way: an envelope is about 70 characters longer than its plain
text. ``max_length`` still bounds the plain text (forms, serializers, ``full_clean``).

SQL cannot compare ciphertexts, so filtering on these fields is refused with an error that says
why (only ``isnull`` is allowed), rather than silently matching nothing once the option is on.
Ordering by them sorts ciphertexts; nothing orders by them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup

from .envelope import configured_keys, current_key, encrypting, is_sealed, reveal, seal


class EncryptedFieldMixin(models.Field):
    """Encryption on save, decryption on load, for a text-valued field (put before its parent)."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "text"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if is_sealed(value):
            return reveal(value, configured_keys(), where=self._label())
        return value

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        value = super().get_db_prep_save(value, connection)
        # Blank stays blank: "no phone given" is not personal data, and forms test for it.
        if isinstance(value, str) and value and encrypting():
            return seal(value, current_key())
        return value

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self._label()} is encrypted at rest (SM4-GCM, random nonce), so the database cannot "
            f"compare it: the {lookup_name!r} lookup is refused. Filter on another field and "
            "compare the decrypted values in Python."
        )

    def _label(self) -> str:
        return f"{self.model._meta.label}.{self.name}" if hasattr(self, "model") else self.name


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    """A CharField (phone numbers, ID numbers) encrypted at rest."""


class EncryptedEmailField(EncryptedFieldMixin, models.EmailField):
    """An EmailField encrypted at rest."""
