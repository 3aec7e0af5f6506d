"""Read replicas: the heavy read-only queries go to a streaming replica when there is one.

With ``DATABASE_REPLICA_URL`` set, the database alias ``replica`` exists, and ``read_cursor()``
hands the tile SQL, the GeoJSON pages and the workflow reports a cursor on it. Everything else,
every write and every ORM query included, stays on the primary. So a user who just saved never
reads an older copy of what they saved through the ORM, and sessions, tokens, locks and the
audit log never see replication lag.

Three cases still read from the primary:

- **inside a transaction on the primary** (a request that wrote, a job): the replica has not seen
  the transaction's own writes, so its reads must stay with it;
- **no replica configured;**
- **the replica is down:** a failed connection marks it unavailable for
  ``DATABASE_REPLICA_RETRY_SECONDS``, and reads go to the primary until then. The next attempt
  after that tries the replica again, so it comes back into service by itself.

The router (``ReplicaRouter``) keeps Django's own queries on the primary and migrations off the
replica, which is read-only anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.backends.utils import CursorWrapper

REPLICA = "replica"
log = logging.getLogger(__name__)

_down_until = 0.0
_lock = threading.Lock()


def _replica_usable() -> bool:
    global _down_until
    if REPLICA not in settings.DATABASES or time.monotonic() < _down_until:
        return False
    replica = connections[REPLICA]
    try:
        # A kept connection to a replica that has since stopped would fail at the query: one
        # round trip (``SELECT 1``) finds out first, so the read can still go to the primary.
        if replica.connection is not None and not replica.is_usable():
            replica.close()
        replica.ensure_connection()
        return True
    except OperationalError as exc:
        with _lock:
            _down_until = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
        log.warning("read replica unavailable, reading from the primary: %s", exc)
        replica.close()
        return False


def read_alias() -> str:
    """The alias a read-only query should run on: ``replica`` when there is a working one and no
    transaction on the primary holds writes it could not see, else ``default``."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA if _replica_usable() else DEFAULT_DB_ALIAS


def read_cursor() -> CursorWrapper:
    """A cursor for a read-only query, on the replica when ``read_alias`` chooses it."""
    return connections[read_alias()].cursor()


def read_chunked_cursor() -> CursorWrapper:
    """A server-side cursor for a long read-only query (an export), as ``read_cursor``."""
    return connections[read_alias()].chunked_cursor()


class ReplicaRouter:
    """Every ORM query on the primary (``read_cursor`` opts raw reads in); no migration on the
    replica."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
