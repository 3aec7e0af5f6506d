"""The owner's access, stamped on the job when it is asked for and compared when it runs."""

from __future__ import annotations

from typing import Any

from policy.predicates import home_division_code, may_see_personal_data
from policy.scope import role_of, scope_of


def stamp(user: Any, layer: str = "") -> dict[str, Any]:
    """Role, reach (``Scope.key``), home division and whether personal data shows unmasked: equal
    for the same user exactly when an export of theirs would hold the same rows and values."""
    return {
        "role": role_of(user) or "",
        "reach": scope_of(user).key,
        "home": home_division_code(user),
        "personal_data": may_see_personal_data(user),
    }
