"""``manage.py verify_backup [NAME]``: restore a stored backup into a scratch database and check it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Verify a stored backup (default: the latest) by restoring it into a scratch database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", nargs="?", default="latest", help="a backup's name or its prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        from ... import manifest as manifests
        from ...store import default_store
        from ...verify import restore_and_check

        store = default_store()
        try:
            name = manifests.resolve(store, options["name"])
        except manifests.UnknownBackup as exc:
            raise CommandError(str(exc)) from exc
        manifest = manifests.load(store, name)
        with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
            dump = Path(tmp) / "backup.dump"
            store.get(manifests.dump_key(name), dump)
            report = restore_and_check(manifest, dump, store)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if not report["ok"]:
            raise CommandError(f"backup {name} did not verify: {report['problems'][0]}")
        self.stdout.write(self.style.SUCCESS(f"backup {name}: verified"))
