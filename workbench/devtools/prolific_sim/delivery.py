"""The background worker: pays requested bonuses and delivers hook events, never on an API call.

A delivery is a POST of `{"resource_id", "event_type"}` with the headers of prolific-openapi.yml's
Hooks section: X-Prolific-Request-Signature = base64(HMAC-SHA256(secret, timestamp + body)),
X-Prolific-Request-Timestamp (UNIX seconds, of the virtual clock); plus X-Event-ID, the same for
every copy and retry of one event.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time

import httpx

log = logging.getLogger("workbench.devtools.prolific_sim")


def sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), (timestamp + body).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Deliverer:
    """One daemon thread; `wake()` makes it look at once, else it looks every `tick` seconds."""

    def __init__(self, backend, tick: float = 0.05):
        self.backend, self.tick = backend, tick
        self._wake, self._stop = threading.Event(), threading.Event()
        self._step_lock = threading.Lock()
        self._last_sweep = 0.0
        self._thread: threading.Thread | None = None
        self._http = httpx.Client(timeout=5.0)
        self.delivered = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="prolific-sim-deliverer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._http.close()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick)
            self._wake.clear()
            try:
                self.step()
            except Exception:  # the worker must outlive a bad event; the store may be closing
                if self._stop.is_set():
                    return
                log.exception("prolific-sim delivery step failed")

    def step(self) -> None:
        """Pay due payouts, then send due events (one step at a time)."""
        with self._step_lock:
            self._step()

    def _step(self) -> None:
        backend, faults = self.backend, self.backend.faults
        store = backend.store
        wall = time.time()
        if backend.clock.realtime and wall - self._last_sweep >= 1.0:  # time passes unasked
            self._last_sweep = wall
            backend.sweep()
        with store.transaction():
            due_pay = [p for p in store.all("payout", _paid=False)
                       if p["_wall"] + faults.bonus_pay_delay <= wall]
        if due_pay:
            backend.pay_pending(ids={p["id"] for p in due_pay})
        now = backend.clock.now()
        with store.transaction():
            due = [e for e in store.all("event", status="PENDING")
                   if e["_due"] <= now and e.get("_next_wall", 0) <= wall]
        if faults.out_of_order:
            due.reverse()
        for event in due:
            self._send(event)

    def _send(self, event: dict) -> None:
        backend, faults = self.backend, self.backend.faults
        secret = backend.secret_for(event["_workspace"]) or ""
        body = json.dumps(event["payload"])  # json.dumps, as the spec's verifying example
        timestamp = str(int(backend.clock.now()))
        headers = {"Content-Type": "application/json", "X-Event-ID": event["id"],
                   "X-Prolific-Request-Timestamp": timestamp,
                   "X-Prolific-Request-Signature": sign(secret, timestamp, body)}
        ok = False
        for _ in range(event["_copies"]):
            try:
                answer = self._http.post(event["target_url"], content=body.encode(), headers=headers)
                ok = ok or 200 <= answer.status_code < 300
            except httpx.HTTPError as exc:
                log.info("hook delivery to %s failed: %s", event["target_url"], exc)
        with backend.store.transaction():
            event = backend.store.get("event", event["id"])
            event["_attempts"] += 1
            event["_updated"] = backend.clock.now()
            if ok:
                event["status"] = "SUCCEEDED"
                self.delivered += 1
            elif event["_attempts"] > faults.retry_attempts:
                event["status"] = "FAILED"
            else:
                event["_copies"] = 1
                event["_next_wall"] = time.time() + faults.retry_backoff * event["_attempts"]
            backend.store.put("event", event)
