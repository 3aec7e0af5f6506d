"""Issue the display token a big-screen wall runs with, and print the wall's URL.

The token is stored only as a hash (accounts.tokens), so its key can be shown once, when it is
issued: without ``--rotate`` a token is issued only if the display user has no usable one, and
``--rotate`` revokes the old ones (their URLs and stream tickets stop at once) and issues another.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import tokens
from accounts.models import TokenKind
from policy.predicates import may_carry_url_token


def default_base_url() -> str:
    """Where `make run` serves (scripts/lib.sh reads the same two variables)."""
    host = os.environ.get("GEOPORTAL_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('GEOPORTAL_PORT', '8000')}"


class Command(BaseCommand):
    help = (
        "Print the wall URL with a new display token for the display user (a token opening only the "
        "wall). --rotate replaces the current one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="display", help="A user with the display (大屏) role.")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the display user's tokens and issue a new one: the old URL stops working at once.",
        )
        parser.add_argument("--base-url", default="", help="e.g. http://wall:8080 (default: make run's).")

    def handle(self, *args: Any, username: str, rotate: bool, base_url: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}; create one with the display role first")
        if not may_carry_url_token(user):
            raise CommandError(
                f"{username!r} is not an active display (大屏) user: a wall URL must carry a display token"
            )
        if rotate:
            token, key = tokens.rotate_display(user)
        else:
            current = tokens.live_tokens(user).filter(kind=TokenKind.DISPLAY).first()
            if current is not None:
                raise CommandError(
                    f"{username!r} already has a display token ({current.prefix}…, expires "
                    f"{current.expires_at:%Y-%m-%d}); its key is stored only as a hash and cannot be "
                    "shown again. Use --rotate for a new URL (the old one stops working)."
                )
            token, key = tokens.issue(user, TokenKind.DISPLAY, name="wall")
        self.stdout.write(f"{(base_url or default_base_url()).rstrip('/')}/wall/?token={key}")
