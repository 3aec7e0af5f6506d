"""``manage.py audit verify``, ``manage.py audit partitions`` and ``manage.py audit archive``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.archive import ArchiveRefused, archive_month
from audit.partitions import ensure_partitions
from audit.verify import verify
from core.context import acting_as


class Command(BaseCommand):
    help = "Check the audit log's hash chain (verify) or create its monthly partitions (partitions)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser(
            "verify", help="walk the chain; exit 1 naming the first changed, removed or inserted entry"
        )
        months = sub.add_parser("partitions", help="create this month's partition and the next ones")
        months.add_argument("--months-ahead", type=int, default=3)
        archive = sub.add_parser(
            "archive", help="write a month older than the retention to a file, then drop it"
        )
        archive.add_argument("--month", required=True, help="YYYY-MM")
        archive.add_argument("--to", required=True, type=Path, help="directory for the .jsonl.gz file")
        archive.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        if what == "archive":
            self._archive(options["month"], options["to"], options["yes"])
            return
        if what == "partitions":
            result = ensure_partitions(options["months_ahead"])
            self.stdout.write(f"created: {', '.join(result['created']) or 'none'}")
            if result["blocked"]:
                raise CommandError(
                    f"could not create {', '.join(result['blocked'])}: rows of those months are in "
                    "audit_entry_default (they stay there and still verify)"
                )
            return
        report = verify()
        rate = report.checked / report.seconds if report.seconds else 0
        if report.ok:
            self.stdout.write(
                f"audit chain intact: {report.checked} entries in {report.seconds:.2f} s ({rate:,.0f}/s)"
            )
            return
        for problem in report.problems[:20]:
            self.stderr.write(f"{problem.kind}: {problem.message}")
        first = report.first
        assert first is not None
        raise CommandError(
            f"audit chain broken at entry {first.seq}: {first.message} "
            f"({len(report.problems)} problem(s), {report.checked} entries checked)"
        )

    def _archive(self, month: str, directory: Path, yes: bool) -> None:
        try:
            year, number = (int(part) for part in month.split("-"))
        except ValueError:
            raise CommandError("--month is YYYY-MM, e.g. 2026-05") from None
        if not yes:
            # 二次确认: the month leaves the database for good (the file is then its only copy).
            if not sys.stdin.isatty():
                raise CommandError("archiving drops the month from the database: confirm with --yes")
            if (
                input(f"Archive {month} to {directory} and drop it from the database? Type yes: ").strip()
                != "yes"
            ):
                raise CommandError("nothing archived")
        try:
            with acting_as(None, via="manage.py audit archive", channel="command"):
                result = archive_month(year, number, directory)
        except ArchiveRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"archived {result['entries']} entries to {result['path']} (sha256 {result['sha256']})"
        )
