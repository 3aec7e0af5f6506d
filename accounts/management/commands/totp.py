"""``manage.py totp enrol <username>`` and ``manage.py totp remove <username>``: set up or take away
a user's authenticator (the second factor, accounts/totp.py)."""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import totp
from accounts.models import SecondFactor
from core.context import acting_as


class Command(BaseCommand):
    help = "Set up (enrol) or remove a user's authenticator app for the second login factor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["enrol", "remove"])
        parser.add_argument("username")
        parser.add_argument("--yes", action="store_true", help="replace or remove without asking (scripts)")

    def handle(self, *args: Any, action: str, username: str, yes: bool, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        has_one = SecondFactor.objects.filter(user=user).exists()
        if action == "remove" and not has_one:
            raise CommandError(f"{username!r} has no authenticator")
        if (has_one or action == "remove") and not yes:
            # 二次确认: the old authenticator stops working at once.
            if not sys.stdin.isatty():
                raise CommandError(
                    "this replaces or removes the user's authenticator: run with --yes to confirm"
                )
            answer = input(f"{username}'s current authenticator stops working. Type yes to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("nothing changed")
        with transaction.atomic(), acting_as(None, via=f"manage.py totp {action}", channel="command"):
            if action == "remove":
                SecondFactor.objects.filter(user=user).delete()
                self.stdout.write(f"{username}: authenticator removed")
                return
            secret, uri = totp.enrol(user)
        self.stdout.write(
            f"{username}: add this to the authenticator app (shown once):\n  secret {secret}\n  uri {uri}"
        )
