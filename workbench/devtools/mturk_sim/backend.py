"""The simulated MTurk requester service: one dispatch over all implemented operations."""
from __future__ import annotations

import threading
from collections import Counter

from .clock import VirtualClock
from .errors import UnknownOperation
from .ops_hits import HitOps
from .ops_people import PeopleOps
from .store import Store
from .worker_side import WorkerSide

# Every requester operation the simulator answers, named as in botocore's MTurk model.
OPERATIONS = (
    "CreateHITType", "CreateHITWithHITType", "CreateHIT", "GetHIT", "ListHITs",
    "ListReviewableHITs", "ListAssignmentsForHIT", "GetAssignment", "ApproveAssignment",
    "RejectAssignment", "SendBonus", "ListBonusPayments", "CreateWorkerBlock",
    "DeleteWorkerBlock", "ListWorkerBlocks", "CreateQualificationType", "ListQualificationTypes",
    "GetQualificationType", "DeleteQualificationType", "AssociateQualificationWithWorker",
    "DisassociateQualificationFromWorker", "GetQualificationScore",
    "ListWorkersWithQualificationType", "NotifyWorkers", "UpdateExpirationForHIT",
    "CreateAdditionalAssignmentsForHIT", "DeleteHIT", "GetAccountBalance", "UpdateHITReviewStatus",
)


class Backend(HitOps, PeopleOps, WorkerSide):
    """State and rules of the simulated service, independent of HTTP."""

    operations = OPERATIONS

    def __init__(self, store: Store, clock: VirtualClock):
        self.store = store
        self.clock = clock
        self._types: dict = {}
        self.call_count: Counter = Counter()
        self._count_lock = threading.Lock()
        clock.on_advance(lambda now: self.sweep(now))

    def count(self, operation: str) -> None:
        with self._count_lock:
            self.call_count[operation] += 1

    def dispatch(self, operation: str, params: dict) -> dict:
        """Run one requester operation and return its JSON-ready answer."""
        if operation not in OPERATIONS:
            raise UnknownOperation(f"Operation {operation} is not supported by the simulator.")
        with self.store.lock:
            self.sweep()
            return getattr(self, operation)(params or {})
