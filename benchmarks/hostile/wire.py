"""Requests as the bytes that go on the wire, one connection each, and the tally of what the server answered."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from benchmarks.hostile.payloads import XSS_MARKERS

TIMEOUT = 30.0  # seconds a request may take before it counts as unanswered


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

