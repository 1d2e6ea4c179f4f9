"""Group commit for worker submissions, written by a child process (``workbench.submission_writer``).

Why a batch: on SQLite every commit serialises on one write lock, and one ORM
transaction per request costs milliseconds; under 64 concurrent workers that capped the
server near 150 submissions/s. Requests instead queue their submission; the writer takes
everything queued (up to ``max_batch``), stores it in one transaction, and answers each
request with its own outcome.

Why a process: as a thread the writer shared the interpreter lock with the event loop,
so the two took turns on one core and a batch of 32 took four times as long as it does
alone. The child runs on its own core and speaks JSON lines on its standard input and
output; the event loop only writes one line and reads one back per batch.

A request is answered only after its batch committed, so an acknowledged submission is
never lost. If the child dies, the requests of the batch it held get a 503 (a retry is
safe: submissions are idempotent per assignment) and the next submission starts a new
child (the public server starts one at once, and reports itself not ready until it runs). The
child gets the store's URL in its environment, never on its command line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections import deque
from typing import Any

from workbench import WorkbenchError

log = logging.getLogger(__name__)


class WriterUnavailable(WorkbenchError):
    status = 503
    code = "unavailable"


class SubmissionWriter:
    def __init__(self, database_url: str, *, provider: str, max_batch: int = 256, max_body_bytes: int = 1 << 20,
                 log_style: str = "text", keep_running: bool = False) -> None:
        self.database_url = database_url
        #: Start with the server and restart at once after a crash (the public server); otherwise the
        #: first submission starts the child.
        self.keep_running = keep_running
        self.provider = provider
        self.max_batch = max_batch
        self.log_style = log_style
        # The longest line the child can answer with: every item of a batch echoed with its result, and room.
        self._line_limit = max(1 << 20, 2 * max_batch * max_body_bytes)
        self._queue: deque[tuple[dict[str, Any], str | None, asyncio.Future]] = deque()
        self._process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Lock | None = None
        self._draining = False
        self._keeper: asyncio.Task | None = None
        self.batches = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def ready(self) -> bool:
        """Submissions can be taken without waiting for a child to start."""
        return self.running or not self.keep_running

    async def start(self) -> None:
        """Start the child process unless it runs (the first submission does this too)."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.running:
                return
            env = {**os.environ, "WORKBENCH_DATABASE_URL": self.database_url}
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "workbench.submission_writer", "--provider", self.provider,
                "--log-style", self.log_style, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                env=env, limit=self._line_limit)
            line = await process.stdout.readline()  # {"ready": pid} once the store is checked
            if not line.startswith(b'{"ready"'):
                if process.returncode is None:
                    process.kill()
                code = await process.wait()
                raise WriterUnavailable("the submission writer did not start; see the server log",
                                        reason="writer not started", exit_code=code)
            self._process = process
            log.info("submission writer ready (pid %d)", process.pid)

    async def submit(self, submission: dict[str, Any], token: str | None) -> dict[str, Any]:
        """The stored annotation (with ``duplicate``); raises the WorkbenchError that refused it."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((submission, token, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
                try:
                    outcomes = await self._exchange([(s, t) for s, t, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every request of the batch hears of it
                    outcomes = [exc] * len(batch)
                for (_, _, future), outcome in zip(batch, outcomes):
                    if future.done():
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._draining = False

    async def _exchange(self, items: list[tuple[dict[str, Any], str | None]]) -> list[Any]:
        """Hand one batch to the child and read its outcomes."""
        try:
            await self.start()
            process = self._process
            process.stdin.write(json.dumps(items, separators=(",", ":")).encode() + b"\n")
            await process.stdin.drain()
            line = await process.stdout.readline()
        except (OSError, ValueError, asyncio.LimitOverrunError) as exc:  # a broken pipe, an over-long line
            await self._reap(f"{type(exc).__name__}: {exc}")
            raise WriterUnavailable("the submission writer stopped; submit again", reason="writer restarted") from exc
        if not line:
            await self._reap("its output ended")
            raise WriterUnavailable("the submission writer stopped; submit again", reason="writer restarted")
        try:
            outcomes = [WorkbenchError.from_dict(o["body"], o["error"]) if "error" in o else o["ok"]
                        for o in json.loads(line)]
        except (ValueError, KeyError, TypeError) as exc:
            await self._reap(f"it answered with something else than outcomes: {line[:200]!r}")
            raise WriterUnavailable("the submission writer stopped; submit again", reason="writer restarted") from exc
        if len(outcomes) != len(items):
            await self._reap(f"it answered {len(outcomes)} outcome(s) for {len(items)} submission(s)")
            raise WriterUnavailable("the submission writer stopped; submit again", reason="writer restarted")
        self.batches += 1
        return outcomes

    async def _reap(self, why: str) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            process.kill()
        code = await process.wait()
        log.error("the submission writer (pid %d) stopped: %s (exit code %s)", process.pid, why, code)
        if self.keep_running:
            self._keeper = asyncio.get_running_loop().create_task(self.keep_alive())

    async def keep_alive(self, first_wait: float = 0.5, longest_wait: float = 30) -> None:
        """Start the child, retrying with a growing wait until it runs (it may fail while the store is down)."""
        wait = first_wait
        while self.keep_running and not self.running:
            try:
                await self.start()
            except (WriterUnavailable, OSError) as exc:
                log.error("%s; retrying in %.1f s", exc, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest_wait)

    async def close(self, timeout: float = 10) -> None:
        """Let the child finish its batch and exit (end of input); kill it after ``timeout`` seconds."""
        self.keep_running = False
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
