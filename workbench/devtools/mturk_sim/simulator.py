"""The Simulator: state, clock, faults and the HTTP server on a background IOLoop, for in-process use."""
from __future__ import annotations

import itertools
from decimal import Decimal

from . import seeding
from ..background_server import BackgroundServer
from .backend import OPERATIONS, Backend
from .clock import VirtualClock
from .faults import Faults
from .server import make_app
from .store import Store, money
from .workers import WorkerPool


class Simulator(BackgroundServer):
    """A local MTurk endpoint: `Simulator().start()`, then point boto3 at `.url`."""

    operations = OPERATIONS

    def __init__(self, db: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 balance: str = "10000.00", realtime: bool = False,
                 start_time: float | None = None, faults: Faults | dict | None = None,
                 seed: int | None = None):
        """`seed` makes HIT, assignment and type ids reproducible (tests only); without it
        every simulator hands out ids no other one does, as MTurk does."""
        self.host, self.port = host, port
        self.store = Store(db, balance=balance, seed=seed)
        self.clock = VirtualClock(start=start_time, realtime=realtime)
        self.backend = Backend(self.store, self.clock)
        self.faults = faults if isinstance(faults, Faults) else Faults(**(faults or {}))
        self._worker_numbers = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> "Simulator":
        """Serve on a background thread with its own IOLoop; returns once listening."""
        self.serve(make_app, "mturk-sim")
        return self

    def stop(self) -> None:
        """Stop serving and close the database."""
        self.stop_serving()
        self.store.close()

    # -- control -----------------------------------------------------------------

    @property
    def call_count(self) -> dict[str, int]:
        """Calls received per operation; keys starting with '_' count throttles and submits."""
        return dict(self.backend.call_count)

    def reset_call_count(self) -> None:
        self.backend.call_count.clear()

    def set_balance(self, balance: str) -> None:
        with self.store.transaction() as s:
            s.set_balance(Decimal(balance))

    def status(self) -> dict:
        self.backend.sweep()
        counts = dict(self.store.q("SELECT status, COUNT(*) FROM hits GROUP BY status"))
        return {"url": self.url, "now": self.clock.now(), "realtime": self.clock.realtime,
                "balance": money(self.store.balance()), "hits_by_status": counts,
                "faults": self.faults.as_dict(), "calls": self.call_count}

    def client(self, **config):
        """A boto3 MTurk client pointed at this simulator (config kwargs go to botocore Config)."""
        # boto3 is heavy (~0.15 s); loaded only when a client is asked for (the CLI imports this module)
        import boto3
        from botocore.config import Config

        return boto3.client("mturk", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="sim", aws_secret_access_key="sim",
                            config=Config(**config) if config else None)

    # -- workers and seeding -----------------------------------------------------

    def workers(self, **options):
        """A WorkerPool bound to this simulator (see workers.WorkerPool); worker ids stay
        distinct across calls unless `first_worker` or `counter` is given."""
        if "first_worker" not in options:
            options.setdefault("counter", self._worker_numbers)
        return WorkerPool(self.url, **options)

    def run_workers(self, n: int, hit_ids: list[str] | None = None, mode: str = "valid",
                    concurrency: int = 8, **options):
        """Drive `n` simulated workers through Assignable HITs; returns their outcomes."""
        return self.workers(**options).run(n, hit_ids=hit_ids, mode=mode, concurrency=concurrency)

    def seed_hits(self, n: int, **options) -> list[str]:
        """Bulk-create `n` Assignable ExternalQuestion HITs (see seeding.seed_hits)."""
        return seeding.seed_hits(self.backend, n, **options)

    def seed_submissions(self, hit_ids: list[str], per_hit: int = 3, **options) -> list[str]:
        """Bulk-add Submitted assignments to HITs (see seeding.seed_submissions)."""
        return seeding.seed_submissions(self.backend, hit_ids, per_hit, **options)
