"""Personal data (SPEC 9, privacy) as each viewer may see it: one masking, one decision.

Whether a viewer sees personal data unmasked is ``predicates.may_see_personal_data``; every output
that carries a personal field (the API, history diffs, the live stream, admin lists) masks it here.
An output that names its record (``about=(object type, id)``) and shows the data unmasked is
noted for the request's one audit entry of personal-data reads (``core.context``).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from core.context import note_personal_data

from .predicates import may_see_personal_data


def mask_phone(value: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"


def mask_email(value: str) -> str:
    """z***@example.cn: the domain says which company, the name stays private."""
    name, _at, domain = value.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def _mask(name: str, value: Any) -> str:
    return mask_email(str(value)) if "email" in name else mask_phone(str(value))


def shown(user: Any, value: Any, *, name: str = "phone", about: tuple[str, Any] | None = None) -> Any:
    """One personal value as ``user`` may see it; empty values stay empty, so masking tells nothing."""
    if not value:
        return value
    if may_see_personal_data(user):
        if about is not None:
            note_personal_data(about[0], about[1], [name])
        return value
    return _mask(name, value)


def mask_fields(
    user: Any, names: Iterable[str], values: MutableMapping[str, Any], *, about: tuple[str, Any] | None = None
) -> None:
    """Mask, in place, the personal fields ``names`` of ``values`` that ``user`` may not see."""
    names = [n for n in names if values.get(n)]
    if not names:
        return
    if may_see_personal_data(user):
        if about is not None:
            note_personal_data(about[0], about[1], names)
        return
    for name in names:
        values[name] = _mask(name, values[name])
