"""Walk the chain and name the first entry that was changed, removed or inserted.

- **changed**: an entry's MAC no longer matches its content (someone edited a column, or the MAC).
- **removed**: a gap in ``seq`` (other than a month archived by ``audit archive``, whose entry in
  the chain names the positions it took away), or the chain head is further on than the last entry.
- **inserted**: an entry repeats a ``seq``, or follows a MAC that is not its predecessor's.

The walk reads the table once, in ``seq`` order, through a server-side cursor; nothing is held in
memory but the previous entry.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from . import chain
from .archive import archived_runs

_SELECT = f"SELECT id, {', '.join(chain.COVERED)}, prev_mac, mac FROM audit_entry ORDER BY seq, id"  # noqa: S608


@dataclass
class Problem:
    kind: str  # changed | removed | inserted
    seq: int
    entry_id: int | None
    message: str


@dataclass
class Report:
    checked: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


_DETAIL = chain.COVERED.index("detail")


def _values(row: tuple[Any, ...]) -> dict[str, Any]:
    values = dict(zip(chain.COVERED, row[1 : 1 + len(chain.COVERED)], strict=True))
    # Django has psycopg hand jsonb over as text (its JSONField decodes it itself).
    values["detail"] = json.loads(row[1 + _DETAIL])
    return values


def verify(batch: int = 5000) -> Report:
    report = Report()
    started = time.perf_counter()
    archived = archived_runs()
    last_seq, last_mac, last_id, last_ok = 0, "", None, True
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(_SELECT)
        while rows := cursor.fetchmany(batch):
            for row in rows:
                entry_id, seq, prev_mac, mac = row[0], row[1], row[-2], row[-1]
                report.checked += 1
                # Positions archived with ``audit archive`` are a recorded gap: step over them.
                while last_seq + 1 in archived and last_seq + 1 < seq:
                    last_seq, last_mac = archived[last_seq + 1]
                intact = chain.matches(_values(row), prev_mac, mac)
                if seq == last_seq:
                    fake = entry_id if not intact else last_id
                    report.problems.append(
                        Problem("inserted", seq, fake, f"entry id {fake} repeats chain position {seq}")
                    )
                    if not intact:
                        continue  # keep following the genuine entry
                elif seq > last_seq + 1:
                    report.problems.append(
                        Problem(
                            "removed",
                            last_seq + 1,
                            None,
                            f"entries {last_seq + 1}–{seq - 1} are missing (between ids {last_id} and {entry_id})",  # noqa: E501
                        )
                    )
                elif not intact:
                    report.problems.append(
                        Problem("changed", seq, entry_id, f"entry {seq} (id {entry_id}) was changed")
                    )
                elif prev_mac != last_mac and last_ok:
                    report.problems.append(
                        Problem(
                            "inserted",
                            seq,
                            entry_id,
                            f"entry {seq} (id {entry_id}) does not follow entry {last_seq}: "
                            "one was put in between",
                        )
                    )
                last_seq, last_mac, last_id, last_ok = seq, mac, entry_id, intact
        cursor.execute("SELECT seq, mac FROM audit_chainhead WHERE id = 1")
        head = cursor.fetchone()
    if head and head[0] > last_seq:
        report.problems.append(
            Problem(
                "removed",
                last_seq + 1,
                None,
                f"entries {last_seq + 1}–{head[0]} after the last one are missing",
            )
        )
    elif head and head[0] == last_seq and last_seq and head[1] != last_mac:
        report.problems.append(
            Problem("changed", last_seq, last_id, f"the last entry {last_seq} does not match the chain head")
        )
    report.problems.sort(key=lambda p: p.seq)
    report.seconds = time.perf_counter() - started
    return report
