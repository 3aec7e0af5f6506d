"""``manage.py restore [NAME]``: bring a backup back over the database and the media files."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Restore a backup (default: the latest) into a new database, check it, and swap it in for the "
        "current one, which is kept closed as <name>_pre_<time>. Open connections are ended: the web "
        "and workers reconnect by themselves."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", nargs="?", default="latest", help="a backup's name or its prefix")
        parser.add_argument("--list", action="store_true", help="list the stored backups and stop")
        parser.add_argument("--drop-previous", action="store_true", help="drop the replaced database")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        from ... import manifest as manifests
        from ...restore import RestoreRefused, restore
        from ...store import default_store

        store = default_store()
        if options["list"]:
            for name in manifests.names(store):
                self.stdout.write(name)
            return
        try:
            name = manifests.resolve(store, options["name"])
        except manifests.UnknownBackup as exc:
            raise CommandError(str(exc)) from exc
        if not options["yes"] and options.get("interactive", True):
            answer = input(f"Replace the database and media with backup {name}? Type yes: ")
            if answer.strip().lower() != "yes":
                raise CommandError("not restored")
        try:
            result = restore(
                name, store=store, keep_previous=not options["drop_previous"], say=self.stdout.write
            )
        except RestoreRefused as exc:
            raise CommandError(
                f"the restored copy did not pass its checks, nothing was replaced: {exc}"
            ) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        self.stdout.write(self.style.SUCCESS(f"restored {name} in {result['seconds']['total']} s"))
