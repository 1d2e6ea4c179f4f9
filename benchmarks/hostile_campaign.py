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
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.child_servers import free_port, serving, stop_on_signals  # noqa: E402

TOKEN = "hostile-campaign-token"
LABELS_SCHEMA = {"type": "object", "required": ["labels"], "additionalProperties": False,
                 "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}},
                                "confidence": {"type": "number"}}}
COLLAB = {"paradigm": "word_guessing", "conditions": [{"agent": False}], "max_wait_s": 600, "grace_s": 600}
TIMEOUT = 30.0  # seconds a request may take before it counts as unanswered

# -- payload families -------------------------------------------------------------------------------------------
XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>", "javascript:alert(1)",
       "</script><script>alert(1)</script>", '<iframe src="javascript:alert(1)">', "{{7*7}}${7*7}<%= 7*7 %>"]
#: What an HTML answer may never hold as it is (the payloads above, unescaped).
XSS_MARKERS = ("<script>alert(1)", "<img src=x onerror", "<svg/onload", '<iframe src="javascript')
TRAVERSAL = ["../../../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/passwd", "~root/.ssh/id_rsa",
             "file:///etc/passwd", "....//....//etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "~nosuchuser/a.png"]
SQLI = ["' OR '1'='1", "1; DROP TABLE tasks; --", "1 UNION SELECT sqlite_version(), version() --", '" OR ""="',
        "'; SELECT pg_sleep(5); --", "1' AND SLEEP(5)#", "admin'--", "%' OR 1=1 --", "1)) OR ((1=1"]
UNICODE = ["\ud800", "\udfff x", "a\u0000b", "\u0000", "\u202eevil\u202c", "zero\u200bwidth\u200d", "\ufeffbom",
           "e\u0301\u0301\u0301", "\U0001F600" * 8, "\uffff\ufffe", "\uff11\uff12\uff13", "\u0661\u0662", "\u00b2",
           "\u2028\u2029", "A" * 300, "\t\r\n"]
NUMBERS = ["9223372036854775808", "18446744073709551616", "9223372036854775809", "-9223372036854775809",
           "2147483648", "99999999999999999999999999999", "1e400", "-1e400", "-0", "-1", "0", "1e308", "4.9e-324",
           "1e-400", "1.5", "0x10", "1_000", "+1", "00000000001"]
NONFINITE = ["NaN", "Infinity", "-Infinity", "[NaN]", '{"x": Infinity}', "[1, -Infinity]"]
DEEP = ["[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 65 + "]" * 65,
        '{"a": ' + "[" * 200 + "]" * 200 + "}"]
TEXT_FAMILIES = {"xss": XSS, "traversal": TRAVERSAL, "sqli": SQLI, "unicode": UNICODE}


def billion_laughs(root: str = "lolz", inner: str = "&lol9;") -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 2 else "") + ";") * 10}">' for n in range(2, 10)]
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(entities)}]><{root}>{inner}</{root}>'


def xxe(url: str) -> str:
    return f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "{url}">]><x>&e;</x>'


#: Paths as they are sent (already in URL form): traversal, NUL, encodings a decoder might fold, names no file has.
RAW_PATHS = ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
             "..%252f..%252fetc%252fpasswd", "....//....//etc/passwd", "..%5c..%5c..%5cwindows%5cwin.ini",
             "%00", "worker.css%00", "plugin.js%00.png", "%00../../etc/passwd", "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
             "%ed%a0%80", "%ff%fe", "/etc/passwd", "//etc/passwd", "%2fetc%2fpasswd", ".", "..", "~", "%7eroot",
             "a" * 4000, "con", "manifest.json", "../manifest.json", "..%2fmanifest.json", "plugin.js;.png",
             "%25", "%", "%zz", "%u002e%u002e/etc/passwd", "..;/..;/etc/passwd"]
#: Bytes that go into the request line unencoded (non-ASCII, an unpaired surrogate as CESU-8).
RAW_BYTES = ["\u00e9" * 43, "\u0661\u0662", "\ud800", "\U0001F600", "\u202e", "\uff11"]
HUGE_IDS = ["9223372036854775808", "18446744073709551617", "99999999999999999999999", "2147483648", "9999999999",
            "0", "-1", "1e3", "0x10", "%00", "1%00", "\uff11\uff12", "\u0661\u0662", "00000000001", "1.0", "+1", ""]
CONTENT_TYPES = ["text/plain", "application/xml", "text/html", "multipart/form-data", "multipart/form-data; boundary=b",
                 "application/x-www-form-urlencoded", "application/json; charset=utf-7", "application/json; charset=x",
                 "", "*/*", "application/" + "x" * 3000, "application/json\u00e9"]
MALFORMED = [b"", b"{", b"[", b'{"a":', b"\xff\xfe{}", "\ufeff{}".encode(), b"{'a': 1}", b'{"a":1,}', b"null", b"[]",
             b'"text"', b"1", b"NaN", b'{"a":1}{"b":2}', b"\x00\x00\x00", '{"a": "b"}'.encode("utf-16"),
             b'{"task_id":1', b'{"a":"\\x41"}', b'{"a":"\\ud800\\udc00\\ud800"}', b"\xc0\xae", b" " * 1000,
             json.dumps({f"k{n}": n for n in range(4000)}).encode(), json.dumps(list(range(12000))).encode()]
ODD_METHODS = ["TRACE", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "PROPFIND", "DEBUG", "M-SEARCH", "get", "HEAD",
               "GET2", "POST"]
RANGES = ["bytes=0-0,-1", "bytes=99999999999999999999999-", "bytes=-0", "bytes=5-1", "bytes=0-" + "9" * 40,
          "bytes=" + ",".join(["0-1"] * 500), "items=0-1", "bytes=\u00e9"]


# -- requests as bytes ------------------------------------------------------------------------------------------
@dataclass
class Shot:
    """One request as it goes on the wire."""

    family: str
    route: str        # the route's pattern, for the report
    method: str
    raw: bytes
    api: bool = False      # under /workbench/api/: a 4xx must be JSON naming its error
    framing: bool = False  # broken at the HTTP level: tornado answers (or closes) before any route is found


def enc(text: str) -> str:
    """``text`` percent-encoded whole (an unpaired surrogate as the bytes a careless encoder makes of it)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def build(method: str, target: bytes | str, port: int, headers: list[tuple[str, str | bytes]] = (),
          body: bytes | None = None, *, length: bool = True) -> bytes:
    """The request's bytes: Host and ``Connection: close`` added, and Content-Length unless ``length`` is off."""
    if isinstance(target, str):
        target = target.encode("utf-8", "surrogatepass")
    lines = [method.encode("latin-1", "replace") + b" " + target + b" HTTP/1.1"]
    names = {name.lower() for name, _ in headers}
    if "host" not in names:
        lines.append(f"Host: 127.0.0.1:{port}".encode())
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        lines.append(name.encode() + b": " + raw)
    if body is not None and length and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def splice(body: dict, **raw: str) -> bytes:
    """``body`` as JSON with some values given as raw JSON text (NaN, huge numbers, escapes, deep nesting)."""
    text = json.dumps({**body, **{key: f"@@{key}@@" for key in raw}})
    for key, value in raw.items():
        text = text.replace(f'"@@{key}@@"', value)
    return text.encode()


@dataclass
class Answer:
    status: int | None
    content_type: str = ""
    body: bytes = b""
    error: str = ""
    seconds: float = 0.0


def fire(port: int, shot: Shot, timeout: float = TIMEOUT) -> Answer:
    """Send the shot's bytes on a new connection and read one HTTP answer (or how the connection ended)."""
    started = time.monotonic()
    answer = _fire(port, shot, timeout)
    answer.seconds = time.monotonic() - started
    return answer


def _fire(port: int, shot: Shot, timeout: float) -> Answer:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as exc:
        return Answer(None, error=f"connect: {exc}")
    with sock:
        try:
            sock.sendall(shot.raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused on its headers (413) before the body was all sent: read the answer if there is one
        except socket.timeout:
            return Answer(None, error="timeout")
        response = http.client.HTTPResponse(sock, method=shot.method.upper())
        try:
            response.begin()
            body = response.read()
        except socket.timeout:
            return Answer(None, error="timeout")
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            return Answer(None, error=type(exc).__name__)
        return Answer(response.status, response.getheader("Content-Type", ""), body)


# -- the tally --------------------------------------------------------------------------------------------------
class Tally:
    """What the answers were; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.classes: Counter = Counter()
        self.families: Counter = Counter()
        self.routes: set[str] = set()
        self.server_errors: list[str] = []
        self.bad_errors: list[str] = []
        self.bad_error_count = 0
        self.echoes: list[str] = []
        self.redirects: Counter = Counter()  # 3xx under /workbench/api/ (the spec says JSON: 403 for no login)
        self.unanswered: Counter = Counter()
        self.timeouts: list[str] = []
        self.dropped: list[str] = []  # well-formed requests the server closed the connection on without an answer
        self.slowest: list[tuple[float, str]] = []

    def record(self, shot: Shot, answer: Answer) -> None:
        parts = shot.raw.split(b"\r\n", 1)[0].split(b" ")
        target = parts[1] if len(parts) > 1 else parts[0]
        where = f"{shot.method} {target[:120].decode('latin-1')} [{shot.family}]"
        with self.lock:
            self.sent += 1
            self.families[shot.family] += 1
            self.routes.add(shot.route)
            self.slowest = sorted([*self.slowest, (answer.seconds, where)], reverse=True)[:5]
            if answer.status is None:
                self.unanswered[answer.error] += 1
                if answer.error == "timeout":
                    self.timeouts.append(where)
                elif not shot.framing:
                    self.dropped.append(f"{answer.error} {where}")
                return
            self.classes[f"{answer.status // 100}xx"] += 1
            if answer.status >= 500:
                self.server_errors.append(f"{answer.status} {where}")
            if shot.api and not shot.framing and 400 <= answer.status < 500 and shot.method.upper() != "HEAD":
                why = error_body_problem(answer)
                if why:
                    self.bad_error_count += 1
                    body = answer.body[:160].decode("utf-8", "replace")
                    self.bad_errors.append(f"{answer.status} {where}: {why}: {body}")
            if shot.api and not shot.framing and 300 <= answer.status < 400:
                self.redirects[shot.route] += 1
            if "html" in answer.content_type and any(m.encode() in answer.body for m in XSS_MARKERS):
                self.echoes.append(f"{answer.status} {where}")


def error_body_problem(answer: Answer) -> str:
    """Why a 4xx under the API breaks the spec's error form, or ''."""
    if not answer.content_type.startswith("application/json"):
        return f"Content-Type {answer.content_type!r}"
    try:
        data = json.loads(answer.body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(data, dict) or not isinstance(data.get("message"), str) or not data.get("error"):
        return "no error and message"
    if answer.status == 400 and not (data.get("field") and data.get("reason")):
        return "a 400 without field and reason"
    return ""


# -- the study ----------------------------------------------------------------------------------------------------
def png(path: Path) -> Path:
    """A 2x2 red PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xc8\x0a\x0a" * 2 for _ in range(2))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def seed_study(url: str, folder: Path, honest: int) -> SimpleNamespace:
    """The study, the decoys and the collaboration studies in a migrated store; their ids."""
    from workbench import assets, definitions, projects, tasks
    from workbench.collab import sessions
    from workbench.store import Store

    store = Store(url)
    store.upgrade(backup=False)
    image = png(folder / "assets" / "cat.png")
    with store.transaction() as s:
        projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification", "Classification")
        definitions.create_definition(s, "classification", "1.0",
                                      {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": LABELS_SCHEMA})
        asset = assets.register_file(s, "cats", image, metadata={"alt": "a red square"})
        page_task = tasks.create(s, "cats", "classification:1.0", asset_id=asset.id, payload={"text": "Which?"},
                                 target_annotations=1_000_000).id
        flood = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}, target_annotations=1_000_000).id
                 for n in range(3)]
        burst = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}, target_annotations=1_000_000).id
                 for n in range(max(1, min(20, honest // 5)))]
        mturk = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}, target_annotations=100).id
                 for n in range(2)]
        # What the researcher's own (authenticated) hostile calls may name, change or delete: never the study.
        projects.create(s, "decoy", "Decoy")
        decoy_asset = assets.register_file(s, "decoy", image).id
        decoy = [tasks.create(s, "decoy", "classification:1.0", payload={"n": n}).id for n in range(5)]
        definitions.create_type(s, "decoytype", "Decoy")
        definitions.create_definition(s, "decoytype", "1.0", {"label_schema": LABELS_SCHEMA})
        sessions.create_study(s, "pairs", COLLAB)
        sessions.create_study(s, "wsprobe", COLLAB)
    store.dispose()
    return SimpleNamespace(asset=asset.id, page_task=page_task, flood=flood, burst=burst, mturk=mturk,
                           decoy=decoy, decoy_asset=decoy_asset)


def spec_operations() -> list[SimpleNamespace]:
    """Every operation of the served spec: method, path, public or not, its parameters and body schema."""
    import yaml

    spec = yaml.safe_load((REPO / "server_ext" / "openapi.yaml").read_text())

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    out = []
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            op = item.get(method)
            if not op:
                continue
            params = [resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
            body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
            out.append(SimpleNamespace(method=method.upper(), path=path, public=op.get("security") == [],
                                       query=[(p["name"], resolve(p.get("schema", {}))) for p in params
                                              if p.get("in") == "query"],
                                       body=resolve(body) if body else None, resolve=resolve))
    return out


# -- the flood ----------------------------------------------------------------------------------------------------
class Campaign:
    """Draws the flood's requests from one seeded generator: the same seed and size, the same campaign."""

    def __init__(self, seed: int, port: int, study: SimpleNamespace, listener: str) -> None:
        from workbench import bundles, signing
        from workbench.submissions import page_token

        self.rng = random.Random(seed)
        self.port, self.study, self.listener = port, study, listener
        self.page_token = page_token
        self.ops = spec_operations()
        # Every operation in turn, in an order of the seed's: a small campaign still reaches each of them.
        self.op_cycle = self.rng.sample(self.ops, len(self.ops))
        self.link = signing.sign(bundles.asset_message(study.asset), expires_in=24 * 3600)
        self.other_link = signing.sign(bundles.asset_message(study.asset + 1000), expires_in=24 * 3600)
        self.counter = 0
        self.generators: list[Callable[[], Shot]] = [
            self.annotate, self.submission_field, self.submission_body, self.asset_link, self.files,
            self.link_out, self.collab, self.jupyter_pages, self.spec_op, self.spec_op, self.spec_op,
            self.definition, self.odd_method, self.oversized, self.malformed_http,
        ]

    def shots(self, n: int) -> list[Shot]:
        return [self.generators[i % len(self.generators)]() for i in range(n)]

    # helpers
    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def hostile_text(self) -> tuple[str, str]:
        family = self.pick(list(TEXT_FAMILIES))
        return family, self.pick(TEXT_FAMILIES[family])

    def hostile_json(self) -> tuple[str, str]:
        """(family, raw JSON text) of a hostile value."""
        family = self.pick(["xss", "traversal", "sqli", "unicode", "numbers", "nonfinite", "deep", "xml", "types"])
        if family in TEXT_FAMILIES:
            return family, json.dumps(self.pick(TEXT_FAMILIES[family]))
        if family == "numbers":
            return family, self.pick(NUMBERS)
        if family == "nonfinite":
            return family, self.pick(NONFINITE)
        if family == "deep":
            return family, self.pick(DEEP)
        if family == "xml":
            return family, json.dumps(self.pick([billion_laughs(), xxe("file:///etc/passwd"), xxe(self.listener)]))
        return family, self.pick(["null", "true", "[]", "{}", '""', "[[[[[]]]]]", '{"$ref": "%s"}' % self.listener,
                                  '{"__proto__": {"admin": true}}', '"' + "x" * 70_000 + '"'])

    def path_value(self, name: str, plausible: str) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.3:
            return "plausible", plausible
        if r < 0.55:
            return "huge_id", enc(self.pick(HUGE_IDS)) if self.rng.random() < 0.8 else self.pick(HUGE_IDS[:5])
        if r < 0.8:
            family, text = self.hostile_text()
            return family, enc(text)
        if r < 0.92:
            return "traversal", self.pick(RAW_PATHS).replace("/", "%2f") if name != "path" else self.pick(RAW_PATHS)
        return "raw_bytes", self.pick(RAW_BYTES)

    def query(self, pairs: list[tuple[str, str]]) -> str:
        return "&".join(f"{enc(k)}={v}" for k, v in pairs)

    def query_value(self, plausible: str) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.35:
            return "plausible", enc(plausible)
        if r < 0.7:
            family, text = self.hostile_text()
            return family, enc(text)
        if r < 0.85:
            return "numbers", enc(self.pick(NUMBERS))
        if r < 0.93:
            return "nul", self.pick(["%00", "a%00b", "%00%00", "%ed%a0%80", "%ff", "%", "%zz"])
        return "raw_bytes", self.pick(RAW_BYTES)

    def auth(self) -> tuple[str, list[tuple[str, str | bytes]], bool]:
        """(label, headers, authenticated): the token, none, or a forged one."""
        r = self.rng.random()
        if r < 0.5:
            return "token", [("Authorization", f"token {TOKEN}")], True
        if r < 0.75:
            return "anonymous", [], False
        forged = self.pick([f"token {TOKEN}x", "token ' OR 1=1 --", "token <script>alert(1)</script>",
                            "Bearer " + TOKEN, "Basic YWRtaW46YWRtaW4=", "token " + "a" * 5000, "token",
                            "token \u00e9\u00e9", "token %00"])
        return "forged_token", [("Authorization", forged)], False

    def honest_body(self, task_id: int, n: int) -> dict:
        return {"task_id": task_id, "assignment_id": f"3FLOOD{n:06d}", "hit_id": "3FLOODHIT",
                "worker_id": f"A1FLOOD{n:06d}", "result": {"labels": ["cat"]}}

    def token_for(self, body: dict) -> str:
        return self.page_token("mturk", body["task_id"], body["assignment_id"], body["worker_id"], body["hit_id"],
                               expires_in=3600)

    def shot(self, family: str, route: str, method: str, target: str | bytes, headers=(), body: bytes | None = None,
             *, length: bool = True, framing: bool = False) -> Shot:
        raw_target = target if isinstance(target, bytes) else target.encode("utf-8", "surrogatepass")
        raw = build(method, raw_target, self.port, list(headers), body, length=length)
        return Shot(family, route, method, raw, api=raw_target.startswith(b"/workbench/api/"), framing=framing)

    # generators: one request each
    def annotate(self) -> Shot:
        family, task = self.path_value("task_id", str(self.pick([self.study.page_task, *self.study.flood])))
        params = []
        if self.rng.random() < 0.8:
            for name, plausible in (("assignmentId", f"3PAGE{self.next_id()}"), ("hitId", "3PAGEHIT"),
                                    ("workerId", "A1PAGEWORKER"), ("turkSubmitTo", "https://workersandbox.mturk.com")):
                if self.rng.random() < 0.85:
                    kind, value = self.query_value(plausible)
                    family = kind if kind != "plausible" else family
                    params.append((name, value))
            if self.rng.random() < 0.1:
                params.append(("assignmentId", "ASSIGNMENT_ID_NOT_AVAILABLE"))
            if self.rng.random() < 0.1:
                params.append(("turkSubmitTo", enc(self.pick(["javascript:alert(1)", "https://evil.example",
                                                              f"{self.listener}", "https://www.mturk.com/x?y=1"]))))
        return self.shot(family, "GET /workbench/annotate/{task_id}", "GET",
                         f"/workbench/annotate/{task}" + (f"?{self.query(params)}" if params else ""))

    def submission_field(self) -> Shot:
        n = self.next_id()
        base = self.honest_body(self.pick(self.study.flood), n)
        family, raw = self.hostile_json()
        where = self.pick(["task_id", "assignment_id", "hit_id", "worker_id", "result", "tool_version", "labels",
                           "label", "note", "extra"])
        token = self.token_for(base)
        if where in ("labels", "note"):
            inner = {"labels": ["cat"]} if where == "note" else {}
            body = splice(base, result=splice(inner, **{where: raw}).decode())
        elif where == "label":
            body = splice(base, result='{"labels": [%s]}' % raw)
        elif where == "extra":
            body = splice(base, **{self.pick(["__proto__", "constructor", "admin", "\u0000", "id"]): raw})
        else:
            body = splice(base, **{where: raw})
            if where in ("assignment_id", "worker_id", "hit_id", "task_id") and self.rng.random() < 0.5:
                try:  # a page minted for the hostile id, so the request gets past the token to what lies behind
                    value = json.loads(raw)
                    token = self.token_for({**base, where: value})
                except (ValueError, TypeError, UnicodeEncodeError, RecursionError, OverflowError):
                    pass
        headers = [("Content-Type", "application/json"), ("X-Workbench-Token", token)]
        return self.shot(family, "POST /workbench/api/submissions", "POST", "/workbench/api/submissions", headers, body)

    def submission_body(self) -> Shot:
        n = self.next_id()
        base = self.honest_body(self.pick(self.study.flood), n)
        good = self.token_for(base)
        r = self.rng.random()
        content_type, token = "application/json", good
        if r < 0.45:
            family, body = "malformed", self.pick(MALFORMED)
        elif r < 0.6:
            family, body = "content_type", json.dumps(base).encode()
            content_type = self.pick(CONTENT_TYPES)
        elif r < 0.75:
            family, body = "xml", self.pick([billion_laughs(), xxe("file:///etc/passwd"), xxe(self.listener)]).encode()
            content_type = self.pick(["application/xml", "text/xml", "application/json"])
        else:
            family, body = "signature", json.dumps(base).encode()
            token = self.pick(["", "1.forged", "99999999999999999999." + good.partition(".")[2], "\u00e9" * 43,
                               good.partition(".")[0] + "." + "\u00e9" * 43, "-1." + good.partition(".")[2],
                               good + "x", "<script>alert(1)</script>", good.upper(), "%00", "." * 200])
        headers = [("X-Workbench-Token", token)] if token else []
        if content_type:
            headers.append(("Content-Type", content_type))
        return self.shot(family, "POST /workbench/api/submissions", "POST", "/workbench/api/submissions", headers, body)

    def asset_link(self) -> Shot:
        asset_family, asset = self.path_value("asset_id", str(self.study.asset))
        exp, sig = self.link["exp"], self.link["sig"]
        r = self.rng.random()
        family = "signature"
        if r < 0.2:
            pass  # the real link (or a hostile id with it)
        elif r < 0.35:
            exp = enc(self.pick(NUMBERS + ["", "abc", "\u0661"]))
        elif r < 0.5:
            sig = enc("\u00e9" * 43)
        elif r < 0.6:
            sig = "\u00e9" * 43  # raw UTF-8 in the request line
        elif r < 0.7:
            sig = self.other_link["sig"]
        elif r < 0.8:
            family, text = self.hostile_text()
            sig = enc(text)
        elif r < 0.9:
            sig = self.pick(["", "A" * 43, "A" * 5000, sig[:-1], sig + "=", "%00" + sig[1:], sig.swapcase()])
        else:
            return self.shot("signature", "GET /workbench/assets/{asset_id}", "GET",
                             f"/workbench/assets/{asset}?" + self.pick([f"sig={sig}", f"exp={exp}", "",
                                                                         f"exp={exp}&sig={sig}&sig=x"]))
        return self.shot(asset_family if asset_family != "plausible" else family, "GET /workbench/assets/{asset_id}",
                         "GET", f"/workbench/assets/{asset}?exp={exp}&sig={sig}")

    def files(self) -> Shot:
        prefix, plausible = self.pick([
            ("/workbench/static/", "worker.css"), ("/workbench/plugins/classification/1.1.0/", "plugin.js"),
            ("/workbench/collab/static/", "collab.js"), ("/workbench/api/docs/static/", "swagger-ui.css"),
            ("/workbench/plugins/%s/%s/" % (
                self.pick(["..", "%2e%2e", "classification%00", enc("<script>"), "x" * 300]),
                self.pick(["1.1.0", "..", "%00", "9" * 40])), "plugin.js")])
        family, path = self.path_value("path", plausible)
        headers = []
        if self.rng.random() < 0.25:
            headers.append(("Range", self.pick(RANGES)))
            family = "range" if family == "plausible" else family
        if self.rng.random() < 0.1:
            headers.append(("If-Modified-Since", self.pick(["yesterday", "\u00e9", "Mon, 99 Feb 99999 99:99:99 GMT"])))
        if self.rng.random() < 0.1:
            headers.append(("If-None-Match", self.pick(['"x"', "*", "W/" + "a" * 3000])))
        method = self.pick(["GET", "GET", "HEAD"])
        route = prefix if not prefix.startswith("/workbench/plugins/") else "/workbench/plugins/{name}/{version}/"
        return self.shot(family, f"{method} {route}{{path}}", method, prefix + path, headers)

    def link_out(self) -> Shot:
        params, family = [], "plausible"
        for name, plausible in (("assignmentId", f"3LINK{self.next_id()}"), ("workerId", "A1LINKWORKER"),
                                ("hitId", "3LINKHIT"), ("project", "cats")):
            if self.rng.random() < 0.85:
                kind, value = self.query_value(plausible)
                family = kind if kind != "plausible" else family
                params.append((name, value))
        headers = []
        if self.rng.random() < 0.2:
            headers.append(("Cookie", self.pick(["wb_session_0123456789abcdef=<script>", "a=" + "b" * 3000,
                                                 "wb_session_x=\u00e9", "=;=;;"])))
        return self.shot(family, "GET /workbench/login", "GET", "/workbench/login?" + self.query(params), headers)

    def collab(self) -> Shot:
        if self.rng.random() < 0.3:
            family, session = self.path_value("session_id", "1")
            headers = []
            if self.rng.random() < 0.6:
                headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                           ("Sec-WebSocket-Key", self.pick(["dGhlIHNhbXBsZSBub25jZQ==", "", "\u00e9", "x" * 500])),
                           ("Sec-WebSocket-Version", self.pick(["13", "8", "999999999999999999999"])),
                           ("Origin", self.pick(["http://evil.example", "null", "<script>"]))]
            return self.shot(family, "GET /workbench/collab/ws/{session_id}", "GET", f"/workbench/collab/ws/{session}",
                             headers)
        params, family = [], "plausible"
        for name, plausible in (("study", self.pick(["pairs", "nosuch"])), ("workerId", f"A1COLLAB{self.next_id()}"),
                                ("assignmentId", f"3COLLAB{self.counter}"), ("hitId", "3COLLABHIT")):
            if self.rng.random() < 0.9:
                kind, value = self.query_value(plausible)
                family = kind if kind != "plausible" else family
                params.append((name, value))
        return self.shot(family, "GET /workbench/collab/join", "GET", "/workbench/collab/join?" + self.query(params))

    def jupyter_pages(self) -> Shot:
        path = self.pick(["/login", "/login", "/api", "/api/status", "/api/kernels", "/api/contents", "/logout",
                          "/tree", "/lab", "/nosuch", "/workbench", "/workbench/", "/workbench/nosuch",
                          "/static/../../etc/passwd", "/api/" + "%00", "/workbench/api", "/files/etc/passwd"])
        method = self.pick(["GET", "GET", "POST", "DELETE", "PUT"])
        auth_label, headers, _ = self.auth()
        body = None
        family = auth_label
        if method in ("POST", "PUT"):
            family = self.pick(["sqli", "xss", "malformed"])
            fields = {"password": self.pick(SQLI + XSS), "_xsrf": self.pick(["", "x", "\u00e9"]),
                      "next": self.pick(["//evil.example", "javascript:alert(1)", "/workbench/../../etc"])}
            form = "&".join(f"{k}={enc(v)}" for k, v in fields.items())
            body = self.pick([form.encode(), b"&".join([b"a=1"] * 1500), b"--b\r\nContent-Disposition: form-data",
                              json.dumps(fields).encode()])
            headers.append(("Content-Type", self.pick(["application/x-www-form-urlencoded",
                                                       "multipart/form-data; boundary=b", "multipart/form-data",
                                                       "application/json"])))
        return self.shot(family, f"{method} {path}", method, path, headers, body)

    def spec_op(self) -> Shot:
        self.op_cycle.append(op := self.op_cycle.pop(0))
        auth_label, headers, authed = self.auth()
        family = auth_label
        target = op.path
        for name in re.findall(r"{(\w+)}", op.path):
            kind, value = self.path_value(name, self.plausible_path(op.path, name, authed))
            family = kind if kind != "plausible" else family
            target = target.replace("{" + name + "}", value, 1)
        params = []
        for name, schema in op.query:
            if self.rng.random() < 0.5:
                kind, value = self.query_value(str(self.plausible_value(name, schema, 0)))
                family = kind if kind != "plausible" else family
                params.append((name, value))
        if self.rng.random() < 0.1:
            params.append((self.pick(["__proto__", "_xsrf", "limit", "\u00e9", "x" * 300]), enc(self.pick(NUMBERS))))
        if params:
            target += "?" + self.query(params)
        body = None
        if op.body is not None:
            kind, body, content_type = self.hostile_body(op)
            family = kind
            headers.append(("Content-Type", content_type))
        return self.shot(family, f"{op.method} {op.path}", op.method, target, headers, body)

    def definition(self) -> Shot:
        """A researcher's definition with a hostile label schema: remote $ref, catastrophic patterns, poison."""
        schemas = ['{"$ref": "%s/schema.json"}' % self.listener, '{"$ref": "file:///etc/passwd"}',
                   '{"type": "object", "properties": {"x": {"$ref": "%s"}}}' % self.listener,
                   '{"type": "string", "pattern": "^(a+)+$"}', '{"type": "string", "pattern": "(a)\\\\1"}',
                   '{"type": "string", "pattern": "(?<=a)b"}', '{"patternProperties": {"^(a|a)*$": {}}}',
                   '{"$schema": 5}', '{"minimum": NaN}', '{"enum": ["\\u0000"]}', '{"enum": ["\\ud800"]}',
                   '{"$dynamicRef": "%s"}' % self.listener, '{"type": "object", "$defs": {"x": ' + DEEP[2] + "}}",
                   DEEP[0], '{"properties": {"labels": {"$ref": "#/nowhere"}}}', '{"type": "nonsense"}']
        family = self.pick(["schema", "schema", "deep", "nonfinite"])
        schema = self.pick(schemas)
        definition = '{"ui_config": {"labels": ["cat", "dog"]}, "label_schema": %s}' % schema
        authed = self.rng.random() < 0.85
        headers = [("Content-Type", "application/json")] + ([("Authorization", f"token {TOKEN}")] if authed else [])
        if self.rng.random() < 0.5:
            n = self.next_id()
            body = ('{"version": "%d.0", "definition": %s}' % (n + 100, definition)).encode()
            return self.shot(family, "POST /workbench/api/task-types/{slug}/definitions", "POST",
                             "/workbench/api/task-types/decoytype/definitions", headers, body)
        body = ('{"definition": %s}' % definition).encode()
        return self.shot(family, "PUT /workbench/api/task-types/{slug}/definitions/{version}", "PUT",
                         "/workbench/api/task-types/decoytype/definitions/1.0", headers, body)

    def odd_method(self) -> Shot:
        op = self.pick(self.ops)
        method = self.pick(ODD_METHODS)
        auth_label, headers, authed = self.auth()
        # with the token, a DELETE or PATCH that a path has names the decoys, never the study
        target = re.sub(r"{(\w+)}", lambda m: self.plausible_path(op.path, m.group(1), authed), op.path)
        body = None if self.rng.random() < 0.6 else b'{"a": 1}'
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        return self.shot("methods", f"{method} {op.path}", method, target, headers, body)

    def oversized(self) -> Shot:
        public = self.rng.random() < 0.7
        path = self.pick(["/workbench/api/submissions", "/workbench/annotate/1", "/login", "/workbench/login",
                          "/workbench/collab/join"]) if public else self.pick(
            ["/workbench/api/projects", "/workbench/api/tasks", "/workbench/api/mturk/sync"])
        method = "POST" if path in ("/workbench/api/submissions", "/login") or not public else "GET"
        auth = [] if public else [("Authorization", f"token {TOKEN}")]
        kind = self.pick(["length", "length", "huge_length", "chunked", "bad_length", "conflict"])
        headers: list[tuple[str, str]] = [*auth, ("Content-Type", "application/json")]
        framing = False
        if kind == "length":
            headers.append(("Content-Length", str(self.pick([65537, 10**6, 10**9]) if public
                                                  else self.pick([16 * 2**20 + 1, 10**9]))))
            body = b'{"a": "' + b"x" * 1000  # the start of it; the server must not wait for the rest
        elif kind == "huge_length":
            headers.append(("Content-Length", self.pick([str(10**12), str(2**63), str(2**64 + 1), "9" * 40])))
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
            headers.append(("Content-Length", self.pick(["-1", "abc", "1e3", " 2 ", "0x10", "\u00e9", "2, 2", "+2"])))
            body, framing = b"{}", True
        else:
            headers += [("Content-Length", "2"), ("Transfer-Encoding", "chunked")]
            body, framing = b"{}", True
        return self.shot("oversized" if kind in ("length", "huge_length", "chunked") else "framing",
                         f"{method} {path}", method, path, headers, body, length=False, framing=framing)

    def malformed_http(self) -> Shot:
        """Requests broken at the HTTP level; tornado answers 400 or closes, before any route."""
        path = self.pick(["/workbench/api/submissions", "/workbench/annotate/1", "/workbench/api/projects", "/login"])
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
        raw = self.pick(variants)
        return Shot("framing", "malformed HTTP", raw.split(b" ", 1)[0].strip().decode("latin-1")[:16] or "?", raw,
                    api=b" /workbench/api/" in raw[:60], framing=True)

    # plausible values: what a correct caller would send, so that one hostile part gets past the rest
    def plausible_path(self, path: str, name: str, authed: bool) -> str:
        study = self.study
        if name == "slug":
            return "decoytype" if "/task-types/" in path else ("decoy" if authed else "cats")
        if name == "task_id":
            return str(self.pick(study.decoy) if authed else study.page_task)
        if name == "asset_id":
            return str(study.decoy_asset if authed else study.asset)
        return {"annotation_id": "1", "version": "1.0" if "/task-types/" in path else "1.1.0",
                "name": "classification", "hit_id": "3NOSUCHHIT", "assignment_id": "3NOSUCHASSIGNMENT",
                "worker_id": "A1CAMPAIGNDECOY", "qualification_type_id": "3NOSUCHTYPE", "session_id": "1",
                "path": "swagger-ui.css" if "/docs/" in path else "worker.css"}.get(name, "1")

    def plausible_value(self, name: str, schema: dict, depth: int) -> Any:
        study = self.study
        named = {"project": "decoy", "slug": f"hc{self.next_id()}", "name": "Hostile campaign",
                 "task_id": study.decoy[0], "task_ids": [study.decoy[0]], "asset_id": study.decoy_asset,
                 "result": {"labels": ["cat"]}, "version": f"9.{self.next_id()}", "label_schema": LABELS_SCHEMA,
                 "feedback": "thanks", "reason": "campaign", "amount_cents": 1, "worker_id": "A1CAMPAIGNDECOY",
                 "code": "NOCODE", "assignment_id": "3NOSUCHASSIGNMENT", "environment": "local", "payload": {"n": 1},
                 "root": "plugins/classification", "js": ["plugin.js"], "css": [], "path": "/etc/passwd",
                 "limit": 10, "offset": 0, "status": "pending", "since": "2020-01-01T00:00:00Z"}
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if name == "definition" and kind != "object":
            return "classification:1.0"
        if name in named and not (kind == "object" and not isinstance(named[name], dict)):
            return named[name]
        if "enum" in schema:
            return schema["enum"][0]
        if kind == "object" and depth < 3:
            props = schema.get("properties", {})
            keys = list(schema.get("required", [])) + [k for k in props if self.rng.random() < 0.3]
            resolve = self.ops[0].resolve
            return {k: self.plausible_value(k, resolve(props.get(k, {})), depth + 1) for k in dict.fromkeys(keys)}
        return {"integer": 1, "number": 1.0, "boolean": False, "array": [], "object": {}}.get(kind, "x")

    def hostile_body(self, op) -> tuple[str, bytes, str]:
        base = self.plausible_value("body", op.body, 0)
        if not isinstance(base, dict):
            base = {}
        r = self.rng.random()
        content_type = "application/json"
        if r < 0.5:
            family, raw = self.hostile_json()
            keys = list(op.body.get("properties", {})) + ["__proto__", "actor", "session", "id", "\u0000"]
            body = splice(base, **{self.pick(keys): raw})
        elif r < 0.7:
            family, raw = self.hostile_json()
            key = self.pick(list(op.body.get("properties", {})) or ["x"])
            body = splice(base, **{key: '{"x": [%s]}' % raw})
        elif r < 0.9:
            family, body = "malformed", self.pick(MALFORMED)
        else:
            family, body = "content_type", json.dumps(base).encode()
            content_type = self.pick(CONTENT_TYPES)
        return family, body, content_type


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


# -- the burst: honest neighbours of poisoned submissions ----------------------------------------------------------
#: (what the poison is, the body's changes as raw JSON)
POISONS = [
    ("task id 2**63+1", {"task_id": str(2**63 + 1)}),
    ("NaN", {"result": '{"labels": ["cat"], "confidence": NaN}'}),
    ("Infinity", {"result": '{"labels": ["cat"], "confidence": Infinity}'}),
    ("1e400", {"result": '{"labels": ["cat"], "confidence": -1e400}'}),
    ("NUL", {"result": '{"labels": ["cat\\u0000"]}'}),
    ("lone surrogate", {"result": '{"labels": ["\\ud800"]}'}),
    ("nested 65 deep", {"result": '{"labels": ["cat"], "x": ' + "[" * 65 + "]" * 65 + "}"}),
    ("nested 3,000 deep", {"result": '{"labels": ["cat"], "x": ' + DEEP[0] + "}"}),
]


def burst(port: int, study: SimpleNamespace, honest: int, seed: int, tally: Tally) -> dict[str, Any]:
    """Honest and poisoned submissions, all sent at once (a barrier) so that they share the writer's batches."""
    from workbench.submissions import page_token

    sends: list[tuple[str, str, bytes]] = []  # (kind, assignment id, request)
    every = max(1, honest // len(POISONS))  # one poison in the middle of each stretch of honest ones
    poisons = iter(POISONS)
    for n in range(honest):
        body = {"task_id": study.burst[n % len(study.burst)], "assignment_id": f"3HONEST{seed}X{n:05d}",
                "hit_id": "3BURSTHIT", "worker_id": f"A1HONEST{n:05d}", "result": {"labels": [("cat", "dog")[n % 2]]}}
        token = page_token("mturk", body["task_id"], body["assignment_id"], body["worker_id"], body["hit_id"],
                           expires_in=3600)
        headers = [("Content-Type", "application/json"), ("X-Workbench-Token", token)]
        sends.append(("honest", body["assignment_id"], build("POST", "/workbench/api/submissions", port, headers,
                                                             json.dumps(body).encode())))
        poison = next(poisons, None) if n % every == every // 2 else None
        if poison is not None:
            bad = {**body, "assignment_id": f"3POISON{seed}X{n:05d}", "worker_id": f"A1POISON{n:05d}"}
            token = page_token("mturk", body["task_id"], bad["assignment_id"], bad["worker_id"], bad["hit_id"],
                               expires_in=3600)
            headers = [("Content-Type", "application/json"), ("X-Workbench-Token", token)]
            sends.append((poison[0], bad["assignment_id"], build("POST", "/workbench/api/submissions", port, headers,
                                                                 splice(bad, **poison[1]))))
    answers: list[Answer | None] = [None] * len(sends)
    barrier = threading.Barrier(len(sends), timeout=60)

    def send(index: int) -> None:
        kind, _, raw = sends[index]
        shot = Shot("burst" if kind == "honest" else "poisoned", "POST /workbench/api/submissions", "POST", raw,
                    api=True)
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError as exc:
            answers[index] = Answer(None, error=f"connect: {exc}")
            return
        with sock:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            try:
                sock.sendall(raw)
                response = http.client.HTTPResponse(sock, method="POST")
                response.begin()
                answers[index] = Answer(response.status, response.getheader("Content-Type", ""), response.read())
            except (OSError, http.client.HTTPException) as exc:
                answers[index] = Answer(None, error=type(exc).__name__)
        tally.record(shot, answers[index])

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 90)
    honest_ids = [a for (kind, a, _) in sends if kind == "honest"]
    acknowledged = {a for (kind, a, _), answer in zip(sends, answers)
                    if kind == "honest" and answer is not None and answer.status in (200, 201)}
    refused = [f"{a}: {answer.status if answer else None} "
               f"{(answer.body[:200] if answer else b'').decode('utf-8', 'replace')}"
               for (kind, a, _), answer in zip(sends, answers) if kind == "honest" and a not in acknowledged]
    poisoned = [(kind, answer) for (kind, _, _), answer in zip(sends, answers) if kind != "honest"]
    poison_answers = {}
    for kind, answer in poisoned:
        field_named = ""
        if answer is not None and answer.body:
            try:
                field_named = json.loads(answer.body).get("field", "")
            except (ValueError, AttributeError):
                pass
        poison_answers[kind] = f"{answer.status if answer else None} {field_named}".strip()
    return {"honest_ids": honest_ids, "acknowledged": acknowledged, "refused": refused,
            "poisoned": len(poisoned),
            "poisoned_refused": sum(1 for _, a in poisoned if a is not None and a.status is not None
                                    and 400 <= a.status < 500),
            "poison_answers": poison_answers}


def stored_submissions(url: str, prefix: str) -> set[str]:
    from sqlalchemy import text

    from workbench.store import Store

    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return set(conn.execute(text("SELECT submission_id FROM annotations WHERE submission_id LIKE :p"),
                                    {"p": prefix + "%"}).scalars())
    finally:
        store.dispose()


# -- the collaboration socket -------------------------------------------------------------------------------------
WS_HOSTILE = [
    "[" * 4000 + "]" * 4000,
    '{"type": "chat", "text": "hi", "client_id": "c", "x": ' + "[" * 65 + "]" * 65 + "}",
    '{"type": "action", "action": {"kind": "guess", "word": NaN}}',
    '{"type": "action", "action": {"kind": "guess", "n": Infinity}}',
    '{"type": "action", "action": {"kind": "guess", "n": 1e400}}',
    '{"type": "chat", "text": "a\\u0000b"}',
    '{"type": "chat", "text": "a\\ud800b"}',
    '{"type": "chat", "text": "ok", "\\udfff": 1}',
    '{"type": "chat", "text": "<script>alert(1)</script>", "client_id": "' + "x" * 300 + '"}',
    '{"type": "hello", "token": "\' OR 1=1 --"}',
    '{"type": "nosuch"}', "not json", "", '{"type": "chat", "text": "' + "y" * 9000 + '"}',
    b"\xff\xfe\x00binary",
]


def socket_probe(port: int) -> dict[str, Any]:
    """Two seats in one session; hostile frames on one socket; it must still answer and reach its partner."""
    import asyncio

    from tornado.websocket import websocket_connect

    def join(worker: str) -> tuple[int, str]:
        url = (f"http://127.0.0.1:{port}/workbench/collab/join?study=wsprobe&workerId={worker}"
               f"&assignmentId=3{worker}&hitId=3WSHIT")
        with urllib.request.urlopen(url, timeout=TIMEOUT) as page:
            html = page.read().decode()
        return int(re.search(r'data-session="(\d+)"', html).group(1)), re.search(r'data-token="([^"]+)"', html).group(1)

    async def until(conn, predicate, timeout=10.0, seen: list | None = None) -> dict | None:
        """The first frame ``predicate`` takes (None: closed, or none in time); ``seen`` gets the frames before."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(conn.read_message(), max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return None
            if raw is None:
                return None
            frame = json.loads(raw)
            if predicate(frame):
                return frame
            if seen is not None:
                seen.append(frame)
        return None

    async def probe() -> dict[str, Any]:
        out = {"ws_frames": 0, "ws_error_frames": 0, "ws_survived": False, "ws_refused_sockets": 0}
        (session, one_token), (other, two_token) = join("A1WSPROBE1"), join("A1WSPROBE2")
        base = f"ws://127.0.0.1:{port}/workbench/collab/ws/"
        one, two = await websocket_connect(base + str(session)), await websocket_connect(base + str(other))
        await one.write_message(json.dumps({"type": "hello", "token": one_token}))
        await two.write_message(json.dumps({"type": "hello", "token": two_token}))
        await until(one, lambda f: f["type"] == "welcome")
        await until(two, lambda f: f["type"] == "welcome")
        for n, raw in enumerate(WS_HOSTILE):
            # The frame, then a ping: frames on one socket are answered in order, so an error comes before the pong.
            await one.write_message(raw, binary=isinstance(raw, bytes))
            await one.write_message(json.dumps({"type": "ping", "client_id": f"p{n}"}))
            out["ws_frames"] += 1
            before: list[dict] = []
            if await until(one, lambda f: f["type"] == "pong" and f.get("client_id") == f"p{n}", seen=before) is None:
                out["ws_lost_at"] = n
                return out
            out["ws_error_frames"] += sum(1 for f in before if f["type"] == "error")
            await asyncio.sleep(0.15)  # near the socket's rate (ten frames a second, thirty at once)
        for n in range(40):  # past the socket's rate: refused frame by frame, the socket stays
            await one.write_message(json.dumps({"type": "ping", "client_id": f"r{n}"}))
            out["ws_frames"] += 1
        await asyncio.sleep(1.0)  # the rate's bucket holds a few frames again
        await one.write_message(json.dumps({"type": "chat", "text": "after all that", "client_id": "last"}))
        said = await until(two, lambda f: f["type"] == "message" and f.get("text") == "after all that", timeout=15)
        await one.write_message(json.dumps({"type": "ping", "client_id": "final"}))
        pong = await until(one, lambda f: f["type"] == "pong" and f.get("client_id") == "final", timeout=15)
        out["ws_survived"] = said is not None and pong is not None and session == other
        one.close()
        two.close()
        # a seat's token in another session, a forged one, a session no row has: each closed with 4403
        for target, token in ((str(session + 1000), one_token), (str(session), "forged"), ("999999999", one_token)):
            conn = await websocket_connect(base + target)
            await conn.write_message(json.dumps({"type": "hello", "token": token}))
            if await conn.read_message() is None and conn.close_code == 4403:
                out["ws_refused_sockets"] += 1
        return out

    try:
        return asyncio.run(probe())
    except Exception as exc:  # noqa: BLE001 - reported: the socket did not survive
        return {"ws_frames": 0, "ws_error_frames": 0, "ws_survived": False, "ws_refused_sockets": 0,
                "ws_error": f"{type(exc).__name__}: {exc}"[:300]}


# -- MTurk: hostile answers and the sync ------------------------------------------------------------------------
def mturk_phase(url: str, sim, base: str, study: SimpleNamespace, listener: str) -> dict[str, Any]:
    """HITs on the simulator; honest and hostile answers; sync and ingest twice each way; the store's account."""
    from sqlalchemy import select

    from workbench.mturk_sim.answers import ANSWERS_NS
    from workbench.mturk_sim.workers import SimulatedWorker
    from workbench.providers import WorkSpec
    from workbench.providers.mturk import MTurkProvider
    from workbench.providers.mturk.client import make_client
    from workbench.store import Store
    from workbench.store.models import Annotation, Assignment

    def answer(free_text: str) -> str:
        return (f'<QuestionFormAnswers xmlns="{ANSWERS_NS}"><Answer><QuestionIdentifier>result</QuestionIdentifier>'
                f"<FreeText>{free_text}</FreeText></Answer></QuestionFormAnswers>")

    hostile_forms = {"A1DEEP": "[" * 3000 + "]" * 3000, "A1SURROGATE": '{"labels": ["cat \\ud800"]}',
                     "A1NUL": '{"labels": ["cat\\u0000"]}', "A1NAN": '{"labels": ["cat"], "confidence": NaN}',
                     "A1XMLTEXT": billion_laughs()}
    hostile_raw = {  # answers a hostile MTurk (or a man in the middle) hands back: replaced in the simulator's store
        "A1UTF7": '<?xml version="1.0" encoding="UTF-7"?>' + answer("+AHsAIg-labels+ACI-: +AFsAIg-cat+ACIAXQB9-"),
        "A1XMLBOMB": billion_laughs("QuestionFormAnswers", "&lol9;").replace(
            "<QuestionFormAnswers>&lol9;</QuestionFormAnswers>", answer("&lol9;")),
        "A1XXE": (f'<?xml version="1.0"?><!DOCTYPE QuestionFormAnswers [<!ENTITY e SYSTEM "{listener}/xxe">]>'
                  + answer("&e;")),
    }
    direct, page = ["A1HONESTDIRECT1", "A1HONESTDIRECT2", "A1HONESTDIRECT3"], ["A1HONESTPAGE1", "A1HONESTPAGE2"]
    store = Store(url)
    mt = MTurkProvider(store, environment="local",
                       client=make_client("local", endpoint_url=sim.url, retry_mode="standard", max_attempts=3))
    per_hit = len(hostile_forms) + len(hostile_raw) + len(direct) + len(page)
    spec = WorkSpec(title="Label an image", description="Cat or dog?", reward_cents=10, max_assignments=per_hit)
    [hit_id] = mt.create_work("cats", study.mturk[:1], spec, base_url=base).hit_ids
    made: dict[str, str] = {}  # assignment id -> worker id
    problems: list[str] = []

    def form(worker_id: str, fields: dict[str, str]) -> str:
        worker = SimulatedWorker(sim.url, worker_id)
        accepted = worker.accept(hit_id)
        status = worker.submit_to_mturk(accepted["AssignmentId"], fields)
        if status != 200:
            problems.append(f"externalSubmit for {worker_id}: {status}")
        made[accepted["AssignmentId"]] = worker_id
        return accepted["AssignmentId"]

    for worker_id in page:  # the whole flow: MTurk's frame, the real worker page, its submission, MTurk's form
        worker = SimulatedWorker(sim.url, worker_id)
        accepted = worker.accept(hit_id)
        visit = worker.open_page(accepted)
        status, body = (worker.post_result(visit, accepted, {"labels": ["dog"]}) if visit.bundle
                        else (visit.status, None))
        if status not in (200, 201):
            problems.append(f"worker page for {worker_id}: {status} {body}")
        worker.submit_to_mturk(accepted["AssignmentId"], {"result": json.dumps({"labels": ["dog"]})})
        made[accepted["AssignmentId"]] = worker_id
    for worker_id in direct:
        form(worker_id, {"result": json.dumps({"labels": ["cat"]})})
    for worker_id, result in hostile_forms.items():
        form(worker_id, {"result": result})
    for worker_id, xml in hostile_raw.items():
        assignment_id = form(worker_id, {"result": json.dumps({"labels": ["cat"]})})
        with sim.store.transaction() as s:
            s.conn.execute("UPDATE assignments SET answer=? WHERE id=?", (xml, assignment_id))

    runs: list[dict[str, Any]] = []
    totals = Counter()
    for round_ in (1, 2):
        for method in ("reviewable", "poll"):
            entry: dict[str, Any] = {"round": round_, "method": method}
            try:
                synced = mt.sync(method=method, **({"max_unseen": 0} if round_ == 2 else {}))
                entry.update(sync="ok", new=synced.assignments_new, skipped=synced.skipped)
            except Exception as exc:  # noqa: BLE001 - reported, and the campaign fails
                entry["sync"] = f"{type(exc).__name__}: {exc}"[:300]
            try:
                ingested = mt.ingest()
                entry.update(ingest="ok", ingested=ingested.ingested, duplicates=ingested.duplicates,
                             invalid=ingested.invalid)
                totals.update(ingested=ingested.ingested, duplicates=ingested.duplicates, invalid=ingested.invalid)
            except Exception as exc:  # noqa: BLE001
                entry["ingest"] = f"{type(exc).__name__}: {exc}"[:300]
            runs.append(entry)
    with store.session() as s:
        rows = {a.assignment_id: a
                for a in s.scalars(select(Assignment).where(Assignment.assignment_id.in_(list(made))))}
        noted = set(s.scalars(select(Annotation.submission_id).where(Annotation.submission_id.in_(list(made)))))
    store.dispose()
    hostile_workers = set(hostile_forms) | set(hostile_raw)
    invalid = sorted(made[a] for a, row in rows.items()
                     if (row.payload or {}).get("ingest", {}).get("outcome") == "invalid")
    honest_missing = sorted(w for a, w in made.items() if w not in hostile_workers and a not in noted)
    hostile_stored = sorted(w for a, w in made.items() if w in hostile_workers and a in noted)
    return {"runs": runs, "totals": dict(totals), "problems": problems, "hostile_answers": len(hostile_workers),
            "invalid_workers": invalid, "honest_answers": len(direct) + len(page), "honest_missing": honest_missing,
            "hostile_stored": hostile_stored, "assignments_seen": len(rows), "assignments_made": len(made)}


def http_jobs(port: int) -> dict[str, int | None]:
    """The researcher's sync and ingest over HTTP, after the hostile answers: their statuses."""
    out: dict[str, int | None] = {}
    for name, path, body in (("sync", "sync", {"environment": "local"}),
                             ("sync_poll", "sync", {"environment": "local", "method": "poll"}),
                             ("ingest", "ingest", {"environment": "local"})):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/workbench/api/mturk/{path}", method="POST",
                                         data=json.dumps(body).encode(),
                                         headers={"Authorization": f"token {TOKEN}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                out[name] = response.status
        except urllib.error.HTTPError as exc:
            out[name] = exc.code
        except OSError:
            out[name] = None
    return out


# -- the outbound listener ----------------------------------------------------------------------------------------
class Listener:
    """A TCP port that hostile ``$ref`` and XXE URLs name: it counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


# -- the store ------------------------------------------------------------------------------------------------------
def fresh_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL database beside the one ``admin_url`` names; its URL and how to drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hostile_campaign_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def count_tracebacks(log: Path) -> tuple[int, list[str]]:
    """How often the log says "Traceback", and the exception line of the first few (the first of a chain)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    firsts: list[str] = []
    for n, line in enumerate(lines):
        if "Traceback" not in line or len(firsts) >= 3:
            continue
        indent = len(line) - len(line.lstrip())
        for later in lines[n + 1:n + 500]:
            if later.strip() and len(later) - len(later.lstrip()) == indent:
                if later.strip() not in firsts:
                    firsts.append(later.strip()[:300])
                break
    return text.count("Traceback"), firsts


# -- the run ------------------------------------------------------------------------------------------------------
def campaign(args, folder: Path, url: str, figures: dict[str, Any]) -> None:
    from workbench.mturk_sim import Simulator

    listener = Listener()
    sim = Simulator(seed=args.seed).start()
    try:
        study = seed_study(url, folder, args.honest)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(folder / "cfg"),
               "JUPYTER_RUNTIME_DIR": str(folder / "rt"), "JUPYTER_DATA_DIR": str(folder / "data"),
               "MTURK_ENVIRONMENT": "local", "MTURK_LOCAL_ENDPOINT": sim.url, "MTURK_MAX_ATTEMPTS": "2",
               "MTURK_RETRY_MODE": "standard"}
        base = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-c", "from server_ext.app import main; main()", f"--port={port}", "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}", f"--WorkbenchApp.database_url={url}",
                f"--ServerApp.root_dir={folder}", f"--WorkbenchApp.public_base_url={base}",
                "--WorkbenchApp.rate_limit_ip=0", "--WorkbenchApp.rate_limit_worker=0",
                *(["--allow-root"] if os.getuid() == 0 else []), *args.server_arg]
        log = folder / "server.log"
        figures["log"] = str(log)
        shots = Campaign(args.seed, port, study, listener.url).shots(args.requests)
        tally = Tally()
        with serving(argv, base + "/workbench/api/health/ready", env, log, timeout=90, poll=0.1):
            print(f"server up; flood of {len(shots)} requests", file=sys.stderr)
            started = time.monotonic()
            flood = run_flood(port, shots, args.threads, tally)
            while tally.sent < len(shots) // 4 and any(t.is_alive() for t in flood):
                time.sleep(0.05)
            burst_out = burst(port, study, args.honest, args.seed, tally)
            for thread in flood:
                thread.join()
            flood_seconds = time.monotonic() - started
            print(f"flood and burst done in {flood_seconds:.1f}s; socket probe", file=sys.stderr)
            probe = socket_probe(port)
            print("socket probe done; MTurk sync", file=sys.stderr)
            mturk = mturk_phase(url, sim, base, study, listener.url)
            jobs = http_jobs(port)
            time.sleep(0.5)  # let the server log what it logs about the last answers
        listener_hits = listener.connections
        stored = stored_submissions(url, f"3HONEST{args.seed}X")
    finally:
        sim.stop()
        listener.close()
    tracebacks, traceback_firsts = count_tracebacks(log)
    operations = {f"{op.method} {op.path}" for op in spec_operations()}
    honest_refused = len(burst_out["refused"])
    honest_lost = len(burst_out["acknowledged"] - stored)
    runs = mturk["runs"]
    sync_runs_ok = sum(1 for r in runs if r.get("sync") == "ok" and not r.get("skipped"))
    ingest_runs_ok = sum(1 for r in runs if r.get("ingest") == "ok")
    jobs_ok = all(status == 200 for status in jobs.values())
    sync_ok = (sync_runs_ok == len(runs) and ingest_runs_ok == len(runs) and jobs_ok and not mturk["honest_missing"]
               and not mturk["problems"])
    server_errors = list(tally.server_errors)
    server_errors += [f"{status} POST /workbench/api/mturk/{name}" for name, status in jobs.items()
                      if status is not None and status >= 500]
    figures.update({
        "requests": tally.sent,
        "status": {k: tally.classes.get(k, 0) for k in ("2xx", "3xx", "4xx", "5xx")},
        "no_answer": dict(tally.unanswered),
        "5xx": len(server_errors),
        "5xx_first": server_errors[:5],
        "tracebacks": tracebacks,
        "tracebacks_first": traceback_firsts,
        "timeouts_first": tally.timeouts[:5],
        "dropped_first": tally.dropped[:5],
        "slowest": [f"{seconds:.2f}s {where}" for seconds, where in tally.slowest],
        "error_body_violations": tally.bad_error_count,
        "error_body_violations_first": tally.bad_errors[:5],
        "api_redirects": sum(tally.redirects.values()),
        "api_redirects_by_route": dict(tally.redirects.most_common(5)),
        "xss_reflected": len(tally.echoes),
        "xss_reflected_first": tally.echoes[:5],
        "outbound_fetches": listener_hits,
        **probe,
        "honest": len(burst_out["honest_ids"]),
        "honest_refused": honest_refused,
        "honest_refused_first": burst_out["refused"][:5],
        "honest_lost": honest_lost,
        "poisoned": burst_out["poisoned"],
        "poisoned_refused": burst_out["poisoned_refused"],
        "poison_answers": burst_out["poison_answers"],
        "hostile_answers": mturk["hostile_answers"],
        "invalid_answers_recorded": len(mturk["invalid_workers"]),
        "honest_answers": mturk["honest_answers"],
        "honest_ingested": mturk["totals"].get("ingested", 0),
        "honest_already_stored": mturk["totals"].get("duplicates", 0),
        "honest_answers_missing": mturk["honest_missing"],
        "hostile_answers_stored": mturk["hostile_stored"],
        "sync_runs_ok": sync_runs_ok,
        "ingest_runs_ok": ingest_runs_ok,
        "sync_runs": runs,
        "mturk_problems": mturk["problems"],
        "http_jobs": jobs,
        "sync_ok": sync_ok,
        "families": dict(sorted(tally.families.items())),
        "spec_operations": len(operations),
        "spec_operations_hit": len(operations & tally.routes),
        "flood_seconds": round(flood_seconds, 1),
    })


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
    started = time.monotonic()
    os.environ.setdefault("WORKBENCH_SECRET", secrets.token_hex(32))  # the server's, the page tokens', the links'
    os.environ.pop("WORKBENCH_DATABASE_URL", None)
    figures: dict[str, Any] = {}
    tmp = tempfile.mkdtemp(prefix="hostile-campaign-")
    folder = Path(tmp)
    (folder / "assets").mkdir()
    os.environ["WORKBENCH_HOME"] = str(folder)
    os.environ["WORKBENCH_ASSET_ROOTS"] = str(folder / "assets")
    if args.keep:
        print(f"the store (SQLite) and the server's log are kept in {folder}", file=sys.stderr)
    drop = None
    try:
        with stop_on_signals():
            if args.database:
                url, drop = fresh_database(args.database)
            else:
                url = f"sqlite:///{folder / 'workbench.db'}"
            campaign(args, folder, url, figures)
    finally:
        if drop is not None:
            drop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            figures.pop("log", None)
    failed = {name: figures[name] for name in ("5xx", "tracebacks", "honest_refused", "honest_lost", "xss_reflected",
                                                "outbound_fetches") if figures[name]}
    if not figures["sync_ok"]:
        failed["sync_ok"] = False
    if not figures["ws_survived"]:
        failed["ws_survived"] = False
    figures.update(seconds=round(time.monotonic() - started, 1), seed=args.seed, requests_asked=args.requests,
                   store="postgresql" if args.database else "sqlite", failed=sorted(failed), ok=not failed)
    print(json.dumps(figures, ensure_ascii=True))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
