"""``manage.py audit verify`` and ``manage.py audit partitions``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.partitions import ensure_partitions
from audit.verify import verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain (verify) or create its monthly partitions (partitions)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser(
            "verify", help="walk the chain; exit 1 naming the first changed, removed or inserted entry"
        )
        months = sub.add_parser("partitions", help="create this month's partition and the next ones")
        months.add_argument("--months-ahead", type=int, default=3)

    def handle(self, *args: Any, what: str, **options: Any) -> None:
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
