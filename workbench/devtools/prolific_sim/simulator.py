"""The Simulator: state, clock, faults, the deliverer and the HTTP server on a background IOLoop."""
from __future__ import annotations

import time

from ..mturk_sim.clock import VirtualClock
from ..background_server import BackgroundServer
from .backend import OPERATIONS, Backend
from .crowd import Recruitment, run_participants
from .delivery import Deliverer
from .faults import Faults
from .server import make_app
from .store import Store


class Simulator(BackgroundServer):
    """A local Prolific: `Simulator().start()`, then call `.url + "/api/v1/..."` with any token."""

    operations = OPERATIONS

    def __init__(self, db: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 seed: int | None = None, realtime: bool = False, faults: Faults | dict | None = None,
                 balance_cents: int = 1_000_000, start_time: float | None = None):
        """`seed` makes ids reproducible (tests only); `balance_cents` is a new database's balance."""
        self.host, self.port = host, port
        self.store = Store(db, seed=seed, balance_cents=balance_cents)
        self.clock = VirtualClock(start=start_time, realtime=realtime)
        self.faults = faults if isinstance(faults, Faults) else Faults(**(faults or {}))
        self.backend = Backend(self.store, self.clock, self.faults)
        self.deliverer = Deliverer(self.backend)
        self.backend.deliverer = self.deliverer
        self.clock.on_advance(self._on_advance)

    def start(self) -> "Simulator":
        """Serve on a background thread with its own IOLoop; returns once listening."""
        self.serve(make_app, "prolific-sim")
        self.deliverer.start()
        return self

    def stop(self) -> None:
        """Stop delivering and serving, and close the database."""
        self.deliverer.stop()
        self.stop_serving()
        self.store.close()

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1/"

    def _on_advance(self, now: float) -> None:
        # time-outs, auto-approvals and requested bonuses happen at once; hook events fall due
        # and the deliverer sends them from its own thread (an advance never waits on a target)
        self.backend.sweep(now)
        self.backend.pay_pending()
        self.deliverer.wake()

    def advance(self, seconds: float) -> float:
        """Move the virtual clock: time-outs, auto-approvals, due payouts and late hooks follow."""
        return self.clock.advance(seconds)

    def run_participants(self, study_id: str, n: int, **options) -> Recruitment:
        """``n`` simulated participants take ``study_id`` through its study URL (see ``crowd.run_participants``)."""
        return run_participants(self.url, study_id, n, **options)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until no payout and no due hook event is pending (for tests)."""
        end = time.time() + timeout
        while time.time() < end:
            now = self.clock.now()
            pending = self.store.all("payout", _paid=False) + [
                e for e in self.store.all("event", status="PENDING") if e["_due"] <= now]
            if not pending:
                return
            self.deliverer.wake()
            time.sleep(0.02)
        raise TimeoutError("payouts or hook events still pending")

    def status(self) -> dict:
        self.backend.sweep()
        subs: dict[str, int] = {}
        for doc in self.store.all("submission"):
            subs[doc["status"]] = subs.get(doc["status"], 0) + 1
        return {"url": self.url, "now": self.clock.now(), "realtime": self.clock.realtime,
                "workspace_id": self.store.workspace_id, "balance_cents": self.store.balance(),
                "studies": len(self.store.all("study")), "submissions_by_status": subs,
                "events": {s: len(self.store.all("event", status=s)) for s in ("PENDING", "SUCCEEDED", "FAILED")},
                "faults": self.faults.as_dict(),
                "calls": {f"{m} {p}": n for (m, p), n in self.backend.call_count.items()}}
