"""Job locks: one sync or one ingest at a time per job name, across processes and machines.

On PostgreSQL a session-level advisory lock, keyed by a hash of the job name, held on a
connection of its own for the job's duration; a second scheduler finds it taken and
skips. On SQLite every write transaction is already exclusive (BEGIN IMMEDIATE), and the
jobs commit in chunks whose writes are idempotent, so there is nothing more to take.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(store, name: str, *, wait: bool = False) -> Iterator[bool]:
    """Yield True when this process holds the job ``name`` (False: another one does)."""
    if store.dialect != "postgresql":
        yield True
        return
    key = lock_key(name)
    with store.engine.connect() as conn:
        if wait:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            got = True
        else:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
