"""Query parameters that name one of a fixed set of values, or a date: a value a list cannot use
is a 400 naming the parameter and what it takes, never an empty list that looks like an answer."""

from __future__ import annotations

from datetime import date

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def choice(param: str, raw: str, allowed: list[str]) -> list[str]:
    """The comma-separated values of ``param``, each one of ``allowed``."""
    values = [v for v in raw.split(",") if v]
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise ValidationError(
            {param: [_("Choose from: %(values)s (comma-separated).") % {"values": ", ".join(allowed)}]}
        )
    return values


def day(param: str, raw: str) -> date:
    parsed = parse_date(raw)
    if parsed is None:
        raise ValidationError({param: [_("Give the date as YYYY-MM-DD.")]})
    return parsed
