"""Run one call from several threads at once, for the tests of what concurrent callers may and may not do."""

from __future__ import annotations

import threading
from typing import Any, Callable


def concurrently(call: Callable[[], Any], times: int = 8) -> tuple[list[Any], list[BaseException]]:
    """``call()`` from ``times`` threads started together: what the calls returned, and what they raised."""
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(times)

    def run() -> None:
        start.wait()
        try:
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
