"""Print (creating it if needed) the read-only token a big-screen wall runs with, and its URL."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token

from policy.predicates import may_carry_url_token


def default_base_url() -> str:
    """Where `make run` serves (scripts/lib.sh reads the same two variables)."""
    host = os.environ.get("GEOPORTAL_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('GEOPORTAL_PORT', '8000')}"


class Command(BaseCommand):
    help = "Print the wall URL with the display user's read-only token (creates the token if needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="display", help="A user with the display (大屏) role.")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the token: the old URL stops working at once."
        )
        parser.add_argument("--base-url", default="", help="e.g. http://wall:8080 (default: make run's).")

    def handle(self, *args: Any, username: str, rotate: bool, base_url: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}; create one with the display role first")
        if not may_carry_url_token(user):
            raise CommandError(
                f"{username!r} is not an active display (大屏) user: a wall URL must carry a read-only token"
            )
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{(base_url or default_base_url()).rstrip('/')}/wall/?token={token.key}")
