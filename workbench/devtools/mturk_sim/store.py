"""SQLite state of the simulator: schema, connection, ids, and rows turned into MTurk shapes."""
from __future__ import annotations

import json
import random
import sqlite3
import string
import threading
from decimal import ROUND_HALF_UP, Decimal

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hit_types (
    id TEXT PRIMARY KEY, fingerprint TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
    description TEXT NOT NULL, keywords TEXT, reward TEXT NOT NULL,
    assignment_duration INTEGER NOT NULL, auto_approval_delay INTEGER NOT NULL,
    qual_reqs TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS hits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    hit_type_id TEXT NOT NULL REFERENCES hit_types(id), question TEXT NOT NULL,
    question_kind TEXT NOT NULL, external_url TEXT, max_assignments INTEGER NOT NULL,
    created REAL NOT NULL, expiration REAL NOT NULL, requester_annotation TEXT,
    status TEXT NOT NULL, review_status TEXT NOT NULL DEFAULT 'NotReviewed',
    pending INTEGER NOT NULL DEFAULT 0, available INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0, submitted INTEGER NOT NULL DEFAULT 0,
    initial_max INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS hits_by_status ON hits(status, seq);
CREATE INDEX IF NOT EXISTS hits_by_type_status ON hits(hit_type_id, status, seq);
CREATE INDEX IF NOT EXISTS hits_by_status_expiration ON hits(status, expiration);
CREATE TABLE IF NOT EXISTS assignments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
    hit_id TEXT NOT NULL REFERENCES hits(id), worker_id TEXT NOT NULL,
    status TEXT NOT NULL, accept_time REAL NOT NULL, deadline REAL NOT NULL,
    submit_time REAL, auto_approval_time REAL, approval_time REAL, rejection_time REAL,
    answer TEXT, feedback TEXT);
CREATE INDEX IF NOT EXISTS asg_by_hit ON assignments(hit_id, status, seq);
CREATE UNIQUE INDEX IF NOT EXISTS asg_one_per_worker ON assignments(hit_id, worker_id)
    WHERE status != 'Abandoned';
CREATE INDEX IF NOT EXISTS asg_by_status_deadline ON assignments(status, deadline);
CREATE INDEX IF NOT EXISTS asg_by_status_approval ON assignments(status, auto_approval_time);
CREATE TABLE IF NOT EXISTS tokens (
    op TEXT NOT NULL, token TEXT NOT NULL, ref TEXT, created REAL NOT NULL,
    PRIMARY KEY (op, token));
CREATE TABLE IF NOT EXISTS bonuses (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, worker_id TEXT NOT NULL, assignment_id TEXT NOT NULL,
    hit_id TEXT NOT NULL, amount TEXT NOT NULL, reason TEXT NOT NULL, grant_time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS bonuses_by_hit ON bonuses(hit_id, seq);
CREATE INDEX IF NOT EXISTS bonuses_by_assignment ON bonuses(assignment_id, seq);
CREATE TABLE IF NOT EXISTS blocks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, worker_id TEXT UNIQUE NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qual_types (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, name TEXT UNIQUE NOT NULL,
    description TEXT NOT NULL, keywords TEXT, status TEXT NOT NULL, test TEXT, answer_key TEXT,
    test_duration INTEGER, retry_delay INTEGER, is_requestable INTEGER NOT NULL,
    auto_granted INTEGER NOT NULL, auto_granted_value INTEGER, created REAL NOT NULL,
    disposed_at REAL);
CREATE TABLE IF NOT EXISTS qualifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, qual_type_id TEXT NOT NULL, worker_id TEXT NOT NULL,
    value INTEGER NOT NULL, grant_time REAL NOT NULL, status TEXT NOT NULL,
    UNIQUE (qual_type_id, worker_id));
CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, first_seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS notifications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, worker_id TEXT NOT NULL, subject TEXT NOT NULL,
    message TEXT NOT NULL, sent REAL NOT NULL);
"""

CENT = Decimal("0.01")
ID_ALPHABET = string.ascii_uppercase + string.digits


def money(value: Decimal) -> str:
    """A dollar amount as MTurk writes it, e.g. '10000.00'."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


class Store:
    """One SQLite connection guarded by one lock: the simulator has exactly one writer."""

    def __init__(self, path: str | None = None, balance: str = "10000.00", seed: int | None = None):
        self.path = path or ":memory:"
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        _add_missing_columns(self.conn)
        with self.lock:
            self.conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('balance', ?)",
                (money(Decimal(balance)),),
            )
            self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('opens', '0')")
            self.conn.execute("UPDATE meta SET value=CAST(value AS INTEGER)+1 WHERE key='opens'")
            opens = self.conn.execute("SELECT value FROM meta WHERE key='opens'").fetchone()[0]
        # MTurk's ids are unique across everything it ever made, so by default two simulators
        # never share one. A seed is for reproducible tests only; salted with the number of
        # openings, a reopened file still never hands out an id it already used.
        self._rng = random.SystemRandom() if seed is None else random.Random(f"{seed}:{opens}")

    # -- transactions -------------------------------------------------------

    def transaction(self):
        """Context manager: hold the lock and run in one SQLite transaction."""
        return _Tx(self)

    def q(self, sql: str, params=()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def q1(self, sql: str, params=()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    # -- ids ----------------------------------------------------------------

    def new_id(self, length: int = 30, prefix: str = "3") -> str:
        """An MTurk-looking id: uppercase letters and digits."""
        with self.lock:
            body = "".join(self._rng.choices(ID_ALPHABET, k=length - len(prefix)))
        return prefix + body

    # -- balance ------------------------------------------------------------

    def balance(self) -> Decimal:
        return Decimal(self.q1("SELECT value FROM meta WHERE key='balance'")["value"])

    def set_balance(self, value: Decimal) -> None:
        self.conn.execute("UPDATE meta SET value=? WHERE key='balance'", (money(value),))

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added after the first release, so an older --db file still opens."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(qual_types)")}
    if "disposed_at" not in have:
        conn.execute("ALTER TABLE qual_types ADD COLUMN disposed_at REAL")


class _Tx:
    def __init__(self, store: Store):
        self.store = store

    def __enter__(self):
        self.store.lock.acquire()
        self.store.conn.execute("BEGIN IMMEDIATE")
        return self.store

    def __exit__(self, exc_type, exc, tb):
        try:
            self.store.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store.lock.release()
        return False


# -- rows to wire shapes -----------------------------------------------------

def hit_to_wire(hit: sqlite3.Row, htype: sqlite3.Row) -> dict:
    """A `hits` row with its HIT type as botocore's `HIT` structure."""
    out = {
        "HITId": hit["id"],
        "HITTypeId": hit["hit_type_id"],
        "HITGroupId": group_id(hit["hit_type_id"]),
        "CreationTime": hit["created"],
        "Title": htype["title"],
        "Description": htype["description"],
        "Question": hit["question"],
        "Keywords": htype["keywords"] or "",
        "HITStatus": hit["status"],
        "MaxAssignments": hit["max_assignments"],
        "Reward": htype["reward"],
        "AutoApprovalDelayInSeconds": htype["auto_approval_delay"],
        "Expiration": hit["expiration"],
        "AssignmentDurationInSeconds": htype["assignment_duration"],
        "QualificationRequirements": json.loads(htype["qual_reqs"]),
        "HITReviewStatus": hit["review_status"],
        "NumberOfAssignmentsPending": hit["pending"],
        "NumberOfAssignmentsAvailable": hit["available"],
        "NumberOfAssignmentsCompleted": hit["completed"],
    }
    if hit["requester_annotation"] is not None:
        out["RequesterAnnotation"] = hit["requester_annotation"]
    return out


def group_id(hit_type_id: str) -> str:
    """HITs of one type share a group on the worker site."""
    return "3" + hit_type_id[1:][::-1]


def assignment_to_wire(a: sqlite3.Row) -> dict:
    """An `assignments` row as botocore's `Assignment` structure."""
    out = {
        "AssignmentId": a["id"],
        "WorkerId": a["worker_id"],
        "HITId": a["hit_id"],
        "AssignmentStatus": a["status"],
        "AcceptTime": a["accept_time"],
        "Deadline": a["deadline"],
    }
    for key, col in (("AutoApprovalTime", "auto_approval_time"), ("SubmitTime", "submit_time"),
                     ("ApprovalTime", "approval_time"), ("RejectionTime", "rejection_time"),
                     ("Answer", "answer"), ("RequesterFeedback", "feedback")):
        if a[col] is not None:
            out[key] = a[col]
    return out
