"""Checks of the industry codes other records hold (a park's leading industries)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def validate_industry_codes(codes: Iterable[str]) -> None:
    from .models import Industry

    wanted = set(codes)
    unknown = sorted(wanted - set(Industry.objects.filter(code__in=wanted).values_list("code", flat=True)))
    if unknown:
        raise ValidationError(
            _("没有这些产业代码：%(codes)s。请从重点产业中选择，或先在后台“重点产业”中添加。")
            % {"codes": "、".join(unknown)},
            code="unknown_industry",
        )
