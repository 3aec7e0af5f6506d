"""manage.py frontend_meta: write what the pages need from the server (web/meta.py) into the file
the front-end build imports, frontend/src/generated/meta.json. Needs no database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from web.meta import GENERATED, render_meta


class Command(BaseCommand):
    help = (
        "Write the layers' zooms, the labels of every coded value (zh, en) and the style colours to "
        "frontend/src/generated/meta.json (committed; the pages' bundles import it)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=GENERATED, help=f"default: {GENERATED}")
        parser.add_argument(
            "--check", action="store_true", help="write nothing; fail if the file is not what it would write"
        )

    def handle(self, *args: Any, output: Path, check: bool, **options: Any) -> None:
        text = render_meta()
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if check:
            if current != text:
                raise CommandError(f"{output} is out of date: run `python manage.py frontend_meta`")
            self.stdout.write(f"{output} is up to date")
            return
        if current == text:
            self.stdout.write(f"{output} is up to date")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {output}")
