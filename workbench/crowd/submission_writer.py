"""The submission writer: a child process of the server that stores worker submissions in batches.

The server's event loop reads and checks each request; this process does the database
work for many of them at once (group commit, ``submissions.submit_many``). In its own
process the writer runs on its own core: as a thread it took turns with the event loop
on one interpreter lock, and every store call waited for the loop to let go.

Protocol, one JSON document per line. The server writes batches on standard input,
``[[submission, session_token], ...]`` (submissions as ``submissions.parse`` returns
them), as fast as requests come, without waiting for answers. The writer takes every
line that arrived while it was busy, stores their submissions in one transaction (at
most ``--max-batch`` per transaction), commits, and only then answers: one line per
batch, in order, holding one outcome per item, either ``{"status": 201, "json": text}``
(200 for a duplicate; ``text`` is the stored annotation, with ``duplicate``, serialised
here so that the server's event loop sends it as it is) or ``{"error": status, "body":
error.to_dict()}``. Submissions the store could not take at all (the database unreachable
or locked past its timeout) are answered with a 503 each, and the traceback goes to
standard error, which is the server's log. A transaction that fails for any other reason
is one item the database refused: the batch is then stored item by item
(``submissions.submit_each``), so that only that item hears of it (a 400 for a value the
store cannot keep, a 503 of its own otherwise) and its neighbours are stored.

Before the first batch the writer checks the store's schema, compiles its queries and the
result checks of definitions with open tasks, and writes one line,
``{"ready": pid}``, so that the server knows it can take submissions. End of input ends
the process.

    WORKBENCH_DATABASE_URL=... python -m workbench.crowd.submission_writer --provider mturk
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from typing import Any, BinaryIO

from workbench import logs
from . import submissions
from workbench.errors import StoreError, WorkbenchError
from workbench.store import Store
from workbench.store.types import json_default

log = logging.getLogger("workbench.crowd.submission_writer")

UNAVAILABLE = {"error": "unavailable", "message": "the store could not take the submission just now; submit again"}


def answer(store: Store, batch: list[tuple[dict[str, Any], str | None]], *, provider: str) -> list[dict[str, Any]]:
    """One outcome per item of ``batch``, after its transaction committed: the batch's, or if that failed while
    the store could be used, the one of its items stored one by one."""
    try:
        with store.transaction() as session:
            outcomes = submissions.submit_many(session, batch, provider=provider)
    except Exception as exc:  # noqa: BLE001 - rolled back; the store unreachable, or one item it refused
        if submissions.store_unreachable(exc):
            return _unavailable(batch)
        log.warning("a batch of %d submission(s) failed (%s); storing them one by one", len(batch),
                    submissions.describe(exc))
        try:
            with store.transaction() as session:
                outcomes = submissions.submit_each(session, batch, provider=provider)
        except Exception:  # noqa: BLE001
            return _unavailable(batch)
    return [_outcome(o) for o in outcomes]


def _outcome(outcome: dict[str, Any] | WorkbenchError) -> dict[str, Any]:
    if isinstance(outcome, dict):
        return stored(outcome)
    if isinstance(outcome, StoreError):  # one item the store failed on: as the whole batch's 503 would say
        return {"error": 503, "body": UNAVAILABLE}
    return {"error": outcome.status, "body": outcome.to_dict()}


def _unavailable(batch: list) -> list[dict[str, Any]]:
    """Every item hears that the store could not take it (each may retry: submissions are idempotent); the log
    has why. Called in an ``except`` block."""
    log.exception("a batch of %d submission(s) was not stored", len(batch))
    return [{"error": 503, "body": UNAVAILABLE}] * len(batch)


#: What the stored annotation holds that its worker never hears: a gold score would tell them which task was gold
#: (and the page's own telemetry, sent back, would only make the answer longer).
WORKER_HIDDEN = ("gold_score", "gold_passed", "telemetry")


def stored(annotation: dict[str, Any]) -> dict[str, Any]:
    """The answer for a stored submission: its HTTP status and its response body (without ``WORKER_HIDDEN``), ready
    to send."""
    shown = {key: value for key, value in annotation.items() if key not in WORKER_HIDDEN}
    return {"status": 200 if annotation["duplicate"] else 201,
            "json": json.dumps(shown, separators=(",", ":"), default=json_default)}


def serve(store: Store, source: BinaryIO, sink: BinaryIO, *, provider: str, max_batch: int = 256) -> int:
    """Answer the batches read from ``source`` until it ends; the number of transactions committed or tried."""
    transactions = 0
    pending = b""
    while chunk := source.read1(1 << 20):  # everything that arrived while the last transaction ran
        *lines, pending = (pending + chunk).split(b"\n")
        batches = [json.loads(line) for line in lines if line.strip()]
        items = [(item, token) for batch in batches for item, token in batch]
        outcomes: list[dict[str, Any]] = []
        for start in range(0, len(items), max_batch):
            outcomes += answer(store, items[start:start + max_batch], provider=provider)
            transactions += 1
        out, at = [], 0
        for batch in batches:
            out.append(json.dumps(outcomes[at:at + len(batch)], separators=(",", ":"), default=json_default).encode())
            at += len(batch)
        if out:
            sink.write(b"\n".join(out) + b"\n")
            sink.flush()
    return transactions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workbench.crowd.submission_writer", description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="mturk")
    parser.add_argument("--max-batch", type=int, default=256, help="most submissions in one transaction")
    parser.add_argument("--log-style", choices=logs.STYLES, default=logs.style_from_env())
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logs.JsonFormatter() if args.log_style == "json" else
                         logging.Formatter("[%(levelname)1.1s %(asctime)s %(name)s] %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    store = Store()  # WORKBENCH_DATABASE_URL: the server's store, passed in the environment (never argv)
    try:
        store.check_current()
    except WorkbenchError as exc:
        log.error("%s", exc)
        sys.exit(1)
    with store.session() as session:
        submissions.warm(session)
    # Everything imported so far lives as long as the process: keep it out of the collector's full passes.
    gc.collect()
    gc.freeze()
    sys.stdout.buffer.write(json.dumps({"ready": os.getpid()}).encode() + b"\n")
    sys.stdout.buffer.flush()
    try:
        serve(store, sys.stdin.buffer, sys.stdout.buffer, provider=args.provider, max_batch=max(1, args.max_batch))
    finally:
        store.dispose()


if __name__ == "__main__":
    main()
