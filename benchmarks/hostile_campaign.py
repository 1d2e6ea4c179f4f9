"""A hostile-input campaign (issue 14) against a real public ``jupyter workbench`` and the local MTurk simulator.

    python benchmarks/hostile_campaign.py [--requests 6000] [--honest 150] [--seed 14] [--threads 8]
                                          [--database postgresql+psycopg://127.0.0.1:5432/test]

Set-up: a fresh store (a SQLite file; with ``--database`` a new PostgreSQL database made on the server that URL
names, dropped afterwards, so nothing there is touched), holding a study (project ``cats``, a classification
definition whose results are ``{"labels": [cat|dog]}``, an image asset, its tasks), a decoy project and task type
for the researcher's own hostile calls, and two collaboration studies. The local MTurk simulator runs in this
process (``MTURK_ENVIRONMENT=local``), ``jupyter workbench`` in a child process with its log in a file. The rate
limits are off (all load comes from one address; the campaign is about what requests hold, not how many).

The campaign is the same for the same ``--seed`` and sizes (``random.Random(seed)`` draws every request first):

1. flood: ``--requests`` hostile requests at every route of ``server_ext/openapi.yaml`` and at Jupyter's own
   (``/login``, ``/api``), the researcher routes with the token, without it, and with forged ones; payload
   families: XSS, path traversal, SQL injection, odd unicode (lone surrogates, NUL, RTL, zero-width), huge numbers,
   NaN/Infinity, deep JSON (3,000 levels), malformed JSON, wrong content types, bodies over the limit by
   ``Content-Length`` and chunked, odd methods, XML bombs and XXE, forged and non-ASCII signatures and tokens,
   ``%00`` in paths, ids past 64 bits, broken HTTP framing. Each request goes on its own connection
   (``--threads`` at a time), written byte by byte as given, so nothing is tidied up by a client library;
2. burst: a quarter of the way into the flood, ``--honest`` honest submissions (each with the page token its
   worker's page would carry) and 8 poisoned ones (task id 2**63+1, NaN, Infinity, 1e400, NUL, a lone surrogate,
   nesting 65 and 3,000 deep) are sent at once from one thread each, so that they share the writer's batches;
3. socket: two workers join a collaboration session; one sends hostile frames (deep, NaN, NUL, lone surrogate,
   binary, too large, too many), and its socket must still answer a ping and reach its partner;
4. sync: HITs are created on the simulator through the workbench; simulated workers send honest answers (through
   the worker page, and straight to MTurk) and hostile ones to externalSubmit (3,000 nested brackets, a lone
   surrogate, NUL, NaN, an XML bomb as text); three stored answers are replaced with an ``encoding="UTF-7"``
   declaration, an XML bomb and an XXE (a hostile MTurk). Then sync (``reviewable`` and ``poll``) and ingest run
   twice each, in this process; then ``POST /workbench/api/mturk/sync`` (both methods) and ``/ingest`` over HTTP.

Counted: answers by status class; the 5xx (the first few with method and path); "Traceback" in the server's log;
4xx answers under ``/workbench/api/`` that are not JSON ``{"error", "message"}`` (a 400 also naming ``field`` and
``reason``, as the spec says) and 3xx answers there (the spec answers a missing login with 403), both reported
only; HTML answers that echo an XSS payload unescaped; connections the server opened to a listener that hostile
``$ref`` and XXE URLs name; honest submissions refused and acknowledged-but-missing; invalid answers recorded and
honest answers ingested. The exit status is 1 when any 5xx, traceback, refused or lost honest
submission, unescaped echo or outbound fetch is found, the socket did not survive, or a sync or ingest failed. The
last line printed is one JSON object with the figures.

The campaign's parts are the package ``benchmarks/hostile/`` (payloads, the flood, the burst, the socket, MTurk, the
report); this script is its command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.hostile.burst import POISONS  # noqa: E402
from benchmarks.hostile.run import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="hostile requests in the flood")
    parser.add_argument("--honest", type=int, default=150, help="honest submissions in the burst (at least 8)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--threads", type=int, default=8, help="flood connections at a time")
    parser.add_argument("--database", default="",
                        help="a PostgreSQL URL (e.g. postgresql+psycopg://127.0.0.1:5432/test): the campaign runs in "
                             "a new database on that server, dropped afterwards; default a SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the folder (store, server log) and say where")
    parser.add_argument("--server-arg", action="append", default=[], help="extra jupyter workbench argument")
    args = parser.parse_args()
    if args.honest < len(POISONS):
        parser.error(f"--honest must be at least {len(POISONS)}")
    figures = run(args)
    print(json.dumps(figures, ensure_ascii=True))
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
