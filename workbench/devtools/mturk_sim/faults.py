"""Fault injection: throttling, latency, server faults and lost submissions, changeable at run time."""
from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields


@dataclass
class Faults:
    """Knobs read on every call; set them directly or with `update(**knobs)`."""

    latency_ms: float = 0.0            # added before every API answer
    throttle_rate: float = 0.0         # fraction of API calls answered ThrottlingException
    throttle_every: int = 0            # every Nth API call is throttled (0 = off)
    service_fault_rate: float = 0.0    # fraction of API calls answered ServiceFault (HTTP 500)
    drop_external_submit: bool = False  # externalSubmit answers success but records nothing
    lose_answers: int = 0              # the next N calls are carried out, then answered ServiceFault (a lost answer)
    operations: list[str] = field(default_factory=list)  # limit faults to these ops ([] = all)
    seed: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._calls = 0

    def update(self, **knobs) -> "Faults":
        names = {f.name for f in fields(self)}
        unknown = set(knobs) - names
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        with self._lock:
            for key, value in knobs.items():
                setattr(self, key, value)
            if "seed" in knobs:
                self._rng.seed(self.seed)
        return self

    def clear(self) -> "Faults":
        return self.update(latency_ms=0.0, throttle_rate=0.0, throttle_every=0,
                           service_fault_rate=0.0, drop_external_submit=False, lose_answers=0, operations=[])

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

    def lose_answer(self, operation: str) -> bool:
        """After a call was carried out: is its answer to be lost? (counts ``lose_answers`` down)."""
        if self.operations and operation not in self.operations:
            return False
        with self._lock:
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return True
        return False

    def decide(self, operation: str) -> str | None:
        """'throttle', 'fault' or None for this call."""
        if self.operations and operation not in self.operations:
            return None
        with self._lock:
            self._calls += 1
            if self.throttle_every and self._calls % self.throttle_every == 0:
                return "throttle"
            if self.throttle_rate and self._rng.random() < self.throttle_rate:
                return "throttle"
            if self.service_fault_rate and self._rng.random() < self.service_fault_rate:
                return "fault"
        return None
