"""In-process token buckets: how many submissions one IP address or one worker may make (and how many new
sessions one IP address may start at a provider's entry route: the same IP bucket), how many frames one
collaboration socket may send, and how fast.

Each key (an address, a worker id) has a bucket of ``burst`` tokens refilled at ``rate``
per second; a request takes one. An empty bucket answers with the seconds to wait. The
least recently used keys are forgotten past ``max_keys``, so memory stays bounded. A
collaboration socket holds a ``TokenBuckets`` of its own, of one key, for its frames. With
several server processes each keeps its own buckets: put the reverse proxy's limit in
front for a global one.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from workbench import WorkbenchError


class RateLimited(WorkbenchError):
    status = 429
    code = "rate_limited"


class TokenBuckets:
    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000, clock=time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 when allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    """The Retry-After header value: whole seconds, at least one."""
    return str(max(1, math.ceil(wait)))


def refuse_if_limited(buckets: TokenBuckets, key: str, what: str, doing: str) -> None:
    """Take a token of ``key``'s bucket, or refuse (429, with ``Retry-After``) naming ``what`` is limited."""
    wait = buckets.take(key)
    if wait:
        error = RateLimited(f"too many {doing} from this {what}; retry in {retry_after(wait)} s", field=what,
                            reason="rate limited")
        error.headers = {"Retry-After": retry_after(wait)}
        raise error
