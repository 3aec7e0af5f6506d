"""A backup's manifest: what it holds, enough to verify and restore it without the database it
came from. It is written last, once the backup has been verified, so a manifest in the store is a
verified backup; a backup's name starts with its UTC time, so names sort by age."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .store import Store

FORMAT = 1
_STAMP = "%Y%m%dT%H%M%SZ"


def name_for(created_at: datetime, job_id: int) -> str:
    return f"{created_at.astimezone(UTC):{_STAMP}}-{job_id}"


def taken_at(name: str) -> datetime:
    return datetime.strptime(name.split("-", 1)[0], _STAMP).replace(tzinfo=UTC)


def manifest_key(name: str) -> str:
    return f"manifests/{name}.json"


def dump_key(name: str) -> str:
    return f"dumps/{name}.dump"


def names(store: Store) -> list[str]:
    """Every backup in the store, oldest first."""
    found = [s.key.removeprefix("manifests/").removesuffix(".json") for s in store.list("manifests/")]
    return sorted(n for n in found if n and not n.startswith("."))


class UnknownBackup(LookupError):
    pass


def resolve(store: Store, name: str) -> str:
    """``latest`` or a name (or its unique prefix, such as the date) to the backup's full name."""
    known = names(store)
    if not known:
        raise UnknownBackup(f"there is no backup in {store.where}: run manage.py backup first")
    if name == "latest":
        return known[-1]
    matches = [n for n in known if n == name or n.startswith(name)]
    if len(matches) != 1:
        listed = ", ".join(known[-5:])
        raise UnknownBackup(
            f"{'no' if not matches else 'more than one'} backup matches {name!r} in {store.where}; "
            f"the latest are: {listed}"
        )
    return matches[0]


def load(store: Store, name: str) -> dict[str, Any]:
    return json.loads(store.get_bytes(manifest_key(name)))


def save(store: Store, manifest: dict[str, Any]) -> None:
    data = json.dumps({"format": FORMAT, **manifest}, ensure_ascii=False, sort_keys=True, default=str)
    store.put_bytes(manifest_key(manifest["name"]), data.encode())
