"""manage.py rotate_key: re-encrypt every encrypted personal-data field under the current key.

Run it after putting a new key first in PERSONAL_DATA_KEYS (or the key file) with the old ones
still after it, and once after turning NATIONAL_CRYPTO on, to encrypt the plain text already
stored. It rewrites personal data in place, so it asks for a second confirmation (二次确认)
unless given ``--yes``, and refuses to run unattended without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crypto.envelope import DecryptionError, current_key
from crypto.rotation import Progress, Target, rotate, targets


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted personal-data field (SM4-GCM) under the current key, the first "
        "of PERSONAL_DATA_KEYS; plain text left from before NATIONAL_CRYPTO is encrypted too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--yes", action="store_true", help="Confirm without asking (scripts).")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (500).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.NATIONAL_CRYPTO:
            raise CommandError("NATIONAL_CRYPTO is off: there is no key to encrypt under.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        key = current_key()
        tables = targets()
        total = sum(t.count() for t in tables)
        self.stdout.write(f"Re-encrypting under key {key.id!r}:")
        for t in tables:
            self.stdout.write(f"  {t.label}: {', '.join(f.name for f in t.fields)}")
        if not options["yes"]:
            self._confirm(total, len(tables))
        try:
            for t in tables:
                done = rotate(t, options["batch_size"], self._reporter(t))
                self.stdout.write(f"{t.label}: {done.rows:,} rows, {done.rewritten:,} rewritten")
        except DecryptionError as exc:
            raise CommandError(f"{exc} Batches before this one are committed; run again once fixed.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Every encrypted value is under key {key.id!r}. Older keys can leave the ring once no "
                "backup made before this run is still to be restored."
            )
        )

    def _confirm(self, total: int, tables: int) -> None:
        if not sys.stdin.isatty():
            raise CommandError("Not interactive: pass --yes to confirm re-encrypting personal data.")
        answer = input(f"Rewrite personal data in {total:,} rows of {tables} tables? Type 'yes' to go on: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Cancelled; nothing was changed.")

    def _reporter(self, target: Target) -> Callable[[Progress], None]:
        total = target.count()

        def report(progress: Progress) -> None:
            self.stdout.write(
                f"  {target.label}: {progress.rows:,}/{total:,} rows, {progress.rewritten:,} rewritten"
            )

        return report
