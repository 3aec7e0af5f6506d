"""Names kept in both languages (``name_zh``, ``name_en``: configuration edited in the admin, not
translated strings): the one in the request's language."""

from __future__ import annotations

from django.utils.translation import get_language


def in_language(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") and en else zh
