"""Job locks: one sync, one ingest, one run of a job at a time per name, across processes and machines.

On PostgreSQL a session-level advisory lock, keyed by a hash of the job name, held on a
connection of its own for the job's duration (the server lets go if the process dies); a
second scheduler finds it taken and skips, or waits a while. On SQLite every write
transaction is already exclusive (BEGIN IMMEDIATE), and sync and ingest commit in chunks
whose writes are idempotent, so there is nothing more to take for them; a caller whose
runs must not overlap there either (``on_sqlite``) gets an exclusive ``flock`` on a file
beside the database, which the kernel releases if the process dies.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from .. import config


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(store, name: str, *, wait: float = 0, on_sqlite: bool = False) -> Iterator[bool]:
    """Yield True while this process holds the job ``name``, or False when another one held it for ``wait``
    seconds (0: one try)."""
    deadline = time.monotonic() + max(0.0, wait)

    def keep_trying() -> bool:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
        return True

    if store.dialect == "postgresql":
        key = lock_key(name)
        with store.engine.connect() as conn:
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                conn.commit()
                if not keep_trying():
                    yield False
                    return
            conn.commit()
            try:
                yield True
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    if not on_sqlite:
        yield True
        return
    import fcntl  # fcntl is POSIX-only; only the SQLite file lock needs it

    base = store.path or (config.home() / "memory-store")
    with open(base.with_name(f"{base.name}.{name}.lock"), "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not keep_trying():
                    yield False
                    return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
