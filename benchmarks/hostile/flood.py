"""The flood: requests broken at the HTTP level or over the size limits, the seeded order of every kind of request,
and the threads that send them."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Callable

from benchmarks.hostile import researcher_routes, worker_routes
from benchmarks.hostile.draw import Draw
from benchmarks.hostile.study import TOKEN
from benchmarks.hostile.wire import Shot, Tally, fire


def oversized(d: Draw) -> Shot:
    """A body over the limit (by Content-Length or chunked), or lengths that break the framing."""
    public = d.rng.random() < 0.7
    path = d.pick(["/workbench/api/submissions", "/workbench/annotate/1", "/login", "/workbench/login",
                   "/workbench/collab/join"]) if public else d.pick(
        ["/workbench/api/projects", "/workbench/api/tasks", "/workbench/api/mturk/sync"])
    method = "POST" if path in ("/workbench/api/submissions", "/login") or not public else "GET"
    auth = [] if public else [("Authorization", f"token {TOKEN}")]
    kind = d.pick(["length", "length", "huge_length", "chunked", "bad_length", "conflict"])
    headers: list[tuple[str, str]] = [*auth, ("Content-Type", "application/json")]
    framing = False
    if kind == "length":
        headers.append(("Content-Length", str(d.pick([65537, 10**6, 10**9]) if public
                                              else d.pick([16 * 2**20 + 1, 10**9]))))
        body = b'{"a": "' + b"x" * 1000  # the start of it; the server must not wait for the rest
    elif kind == "huge_length":
        headers.append(("Content-Length", d.pick([str(10**12), str(2**63), str(2**64 + 1), "9" * 40])))
        body = b""
    elif kind == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        size = 0x10000
        # past the limit, tornado drops the connection: no answer to hold to the API's error form
        body = (b"%x\r\n" % size + b" " * size + b"\r\n") * (3 if public else 1) + b"0\r\n\r\n"
        framing = True
        if not public:
            body = b"5\r\n{\"a\":\r\n" + b"zz\r\n" + b"0\r\n\r\n"  # a chunk size that is not hex
    elif kind == "bad_length":
        headers.append(("Content-Length", d.pick(["-1", "abc", "1e3", " 2 ", "0x10", "\u00e9", "2, 2", "+2"])))
        body, framing = b"{}", True
    else:
        headers += [("Content-Length", "2"), ("Transfer-Encoding", "chunked")]
        body, framing = b"{}", True
    return d.shot("oversized" if kind in ("length", "huge_length", "chunked") else "framing",
                  f"{method} {path}", method, path, headers, body, length=False, framing=framing)


def malformed_http(d: Draw) -> Shot:
    """Requests broken at the HTTP level; tornado answers 400 or closes, before any route."""
    path = d.pick(["/workbench/api/submissions", "/workbench/annotate/1", "/workbench/api/projects", "/login"])
    variants = [
        b"GARBAGE\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b"\r\n\r\n",
        b"GET http://evil.example" + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nNoColonHere\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000
        + b"\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 3000
        + b"Connection: close\r\n\r\n",
        b"GET " + path.encode() + b"?" + b"a=1&" * 20_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: \xff\xfe\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Real-IP: <script>\r\nX-Forwarded-For: ' OR 1=1\r\n"
        b"X-Forwarded-Proto: javascript\r\nX-Scheme: \xc3\xa9\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n Folded: continuation\r\nConnection: close\r\n\r\n",
        b"\r\n\r\n\r\nGET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET " + path.encode() + b" HTTP/1.1\nHost: x\nConnection: close\n\n",
    ]
    raw = d.pick(variants)
    return Shot("framing", "malformed HTTP", raw.split(b" ", 1)[0].strip().decode("latin-1")[:16] or "?", raw,
                api=b" /workbench/api/" in raw[:60], framing=True)


#: One request of each in turn (the spec's operations three times as often).
KINDS: list[Callable[[Draw], Shot]] = [
    worker_routes.annotate, worker_routes.submission_field, worker_routes.submission_body, worker_routes.asset_link,
    worker_routes.files, worker_routes.link_out, worker_routes.collab, worker_routes.jupyter_pages,
    researcher_routes.spec_op, researcher_routes.spec_op, researcher_routes.spec_op, researcher_routes.definition,
    researcher_routes.odd_method, oversized, malformed_http,
]


def draw_flood(seed: int, port: int, study: SimpleNamespace, listener: str, n: int) -> list[Shot]:
    """The flood's ``n`` requests, drawn in order from one generator: the same seed and size, the same campaign."""
    draw = Draw(seed, port, study, listener)
    return [KINDS[i % len(KINDS)](draw) for i in range(n)]


def run_flood(port: int, shots: list[Shot], threads: int, tally: Tally) -> list[threading.Thread]:
    """Start ``threads`` threads that send the shots in order, each on its own connection."""
    lock, position = threading.Lock(), iter(range(len(shots)))

    def work() -> None:
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                return
            tally.record(shots[index], fire(port, shots[index]))

    started = [threading.Thread(target=work, name=f"flood-{n}", daemon=True) for n in range(threads)]
    for thread in started:
        thread.start()
    return started
