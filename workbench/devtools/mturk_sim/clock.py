"""A virtual clock for the simulator: time moves only when advanced, unless realtime."""
from __future__ import annotations

import threading
import time
from typing import Callable


class VirtualClock:
    """Epoch seconds that move when `advance` is called (or with the wall clock if realtime)."""

    def __init__(self, start: float | None = None, realtime: bool = False):
        self._lock = threading.Lock()
        self._base = float(start if start is not None else int(time.time()))
        self._wall0 = time.time()
        self._offset = 0.0
        self.realtime = realtime
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:
        """The simulated time in epoch seconds."""
        with self._lock:
            t = self._base + self._offset
            if self.realtime:
                t += time.time() - self._wall0
            return round(t, 3)

    def advance(self, seconds: float) -> float:
        """Move time forward and let listeners (expiry, abandonment, auto-approval) react."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
        now = self.now()
        for listener in list(self._listeners):
            listener(now)
        return now

    def on_advance(self, listener: Callable[[float], None]) -> None:
        """Call `listener(now)` after each advance."""
        self._listeners.append(listener)
