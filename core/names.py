"""Names kept in both languages (``name_zh``, ``name_en``: configuration edited in the admin, not
translated strings): the one in the request's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def in_language(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") and en else zh


def person_name(user: Any) -> str:
    """How a person is named beside the records they touch: their name, else their username."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""
