"""manage.py demo_accounts: the demo logins, for `make run` to print."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from layers.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

UNBOUND_SCOPE = {"admin": "全市（管理）", "display": "全市（只读）", "investor": "公开数据"}


def _scope(user: Any) -> str:
    if user is None:
        return "(not loaded: run manage.py seed_demo)"
    for bound in (user.grid_cell, user.park, user.division):
        if bound is not None:
            return str(bound)
    return UNBOUND_SCOPE.get(user.role, "")


class Command(BaseCommand):
    help = "Print the demo accounts: username, password, role and scope."

    def handle(self, *args: Any, **options: Any) -> None:
        users = {
            u.username: u
            for u in get_user_model()
            .objects.select_related("division", "park", "grid_cell")
            .filter(username__in=[a.username for a in DEMO_ACCOUNTS])
        }
        rows = [("username", "password", "role", "scope")]
        for account in DEMO_ACCOUNTS:
            user = users.get(account.username)
            rows.append((account.username, DEMO_PASSWORD, account.role, _scope(user)))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
            )
