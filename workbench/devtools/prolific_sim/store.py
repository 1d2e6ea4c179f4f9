"""SQLite state of the Prolific simulator: JSON documents by kind, a few counters, one lock.

Every resource (study, submission, participant group, bulk bonus, secret, subscription,
message, hook event, pending payout) is one row of `docs`: its id, kind, insertion order and
its JSON. Keys starting with `_` are the simulator's own bookkeeping and never leave it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import threading
from datetime import datetime, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, id TEXT NOT NULL,
    data TEXT NOT NULL, UNIQUE (kind, id));
CREATE INDEX IF NOT EXISTS docs_by_kind ON docs(kind, seq);
"""


def iso(t: float | None) -> str | None:
    """Epoch seconds as the ISO 8601 UTC timestamps Prolific writes."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public(doc: dict) -> dict:
    """A document without the simulator's own `_` keys."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class Store:
    """One SQLite connection guarded by one re-entrant lock (the simulator has one writer)."""

    def __init__(self, path: str | None = None, seed: int | None = None, balance_cents: int = 1_000_000):
        self.path = path or ":memory:"
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)
        self.seed = seed
        with self.transaction():
            if self.meta("balance") is None:
                self.set_meta("balance", str(int(balance_cents)))
                self.set_meta("workspace_id", self.new_id())
                self.set_meta("user_id", self.new_id())

    @contextlib.contextmanager
    def transaction(self):
        """Hold the lock and run the block in one SQLite transaction (nested calls join it)."""
        with self.lock:
            if self.conn.in_transaction:
                yield self
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- meta and ids --------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def new_id(self) -> str:
        """A 24-hex-digit id like Prolific's; reproducible with a seed, random without one."""
        with self.lock:
            n = int(self.meta("id_counter") or 0) + 1
            self.set_meta("id_counter", str(n))
        if self.seed is None:
            return secrets.token_hex(12)
        return hashlib.sha256(f"{self.seed}:{n}".encode()).hexdigest()[:24]

    @property
    def workspace_id(self) -> str:
        return self.meta("workspace_id")

    @property
    def user_id(self) -> str:
        return self.meta("user_id")

    def balance(self) -> int:
        return int(self.meta("balance"))

    def debit(self, cents: int) -> None:
        with self.transaction():
            self.set_meta("balance", str(self.balance() - int(cents)))

    # -- documents -----------------------------------------------------------------

    def get(self, kind: str, doc_id: str) -> dict | None:
        with self.lock:
            row = self.conn.execute("SELECT data FROM docs WHERE kind=? AND id=?", (kind, doc_id)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, doc: dict) -> dict:
        """Insert or replace `doc` (keyed by its `id`), keeping its first insertion order."""
        with self.lock:
            self.conn.execute(
                "INSERT INTO docs(kind, id, data) VALUES (?, ?, ?) "
                "ON CONFLICT(kind, id) DO UPDATE SET data=excluded.data",
                (kind, doc["id"], json.dumps(doc)))
        return doc

    def delete(self, kind: str, doc_id: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM docs WHERE kind=? AND id=?", (kind, doc_id))

    def all(self, kind: str, **match) -> list[dict]:
        """Every document of a kind in insertion order, keeping those whose fields equal `match`."""
        with self.lock:
            rows = self.conn.execute("SELECT data FROM docs WHERE kind=? ORDER BY seq", (kind,)).fetchall()
        docs = [json.loads(r[0]) for r in rows]
        return [d for d in docs if all(d.get(k) == v for k, v in match.items())]
