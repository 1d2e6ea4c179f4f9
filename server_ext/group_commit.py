"""Group commit for worker submissions, written by a child process (``workbench.crowd.submission_writer``).

Why group commit: on SQLite every commit serialises on one write lock, and one ORM
transaction per request costs milliseconds; under 64 concurrent workers that capped the
server near 150 submissions/s. Requests instead queue their submission, and the writer
stores everything that arrived while it was busy in one transaction, then answers each
request with its own outcome.

Why a process: as a thread the writer shared the interpreter lock with the event loop,
so the two took turns on one core and a batch of 32 took four times as long as it does
alone. The child runs on its own core and speaks JSON lines on its standard input and
output (the protocol is in ``workbench.crowd.submission_writer``).

Why a pipeline: submissions go to the child as lines of a few (``send_at``, or what one
turn of the event loop read, if fewer), without waiting for the answers to earlier lines;
a reader task takes the answers in order, and the child commits together whatever lines
arrived while it was busy. Waiting for each batch's answer before sending the next, or
sending a whole turn's worth at once, made the loop and the writer take turns: all 64
connections in the writer's batch while the loop idled, then all of them in the loop
while the writer idled, in step for the rest of the run.

A request is answered only after its batch committed, so an acknowledged submission is
never lost. If the child dies, the requests it held get a 503 (a retry is safe:
submissions are idempotent per assignment) and the next submission starts a new child
(the public server starts one at once, and reports itself not ready until it runs). The
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


def _unavailable() -> WriterUnavailable:
    error = WriterUnavailable("the submission writer stopped; submit again", reason="writer restarted")
    error.headers = {"Retry-After": "1"}
    return error


class SubmissionWriter:
    def __init__(self, database_url: str, *, provider: str, max_batch: int = 256, max_body_bytes: int = 1 << 20,
                 log_style: str = "text", keep_running: bool = False, send_at: int = 8) -> None:
        self.database_url = database_url
        self.provider = provider
        self.max_batch = max_batch
        self.log_style = log_style
        #: Start with the server and restart at once after a crash (the public server); otherwise the
        #: first submission starts the child.
        self.keep_running = keep_running
        #: Send a line as soon as this many submissions wait, not only at the end of the loop's turn.
        self.send_at = max(1, send_at)
        # The longest answer line: a line's submissions echoed with their results, and room.
        self._line_limit = max(1 << 20, 4 * max_batch * max_body_bytes)
        self._queue: list[tuple[dict[str, Any], str | None, asyncio.Future]] = []
        self._in_flight: deque[list[asyncio.Future]] = deque()  # sent, in order, not answered yet
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._starting: asyncio.Lock | None = None
        self._flush_scheduled = False
        self._closing = False
        self._keeper: asyncio.Task | None = None

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
                sys.executable, "-m", "workbench.crowd.submission_writer", "--provider", self.provider,
                "--max-batch", str(self.max_batch), "--log-style", self.log_style,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=self._line_limit)
            line = await process.stdout.readline()  # {"ready": pid} once the store is checked
            if not line.startswith(b'{"ready"'):
                if process.returncode is None:
                    process.kill()
                code = await process.wait()
                raise WriterUnavailable("the submission writer did not start; see the server log",
                                        reason="writer not started", exit_code=code)
            self._process = process
            self._reader = asyncio.get_running_loop().create_task(self._read_answers(process))
            log.info("submission writer ready (pid %d)", process.pid)

    async def submit(self, submission: dict[str, Any], token: str | None) -> tuple[int, str]:
        """The HTTP status (201, or 200 for a duplicate) and the stored annotation as JSON text, ready to
        send; raises the WorkbenchError that refused the submission."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.append((submission, token, future))
        if len(self._queue) >= self.send_at and self.running:
            self._flush()  # the writer starts on these while the loop reads the rest
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)  # after the other requests this turn of the loop reads
        return await future

    def _flush(self) -> None:
        """Send what is queued to the child as one line (or start the child first)."""
        self._flush_scheduled = False
        if not self._queue:
            return
        if not self.running:
            self.keep_alive_soon()
            return
        queued, self._queue = self._queue, []
        try:
            self._process.stdin.write(json.dumps([(s, t) for s, t, _ in queued], separators=(",", ":")).encode()
                                      + b"\n")
        except (OSError, RuntimeError) as exc:  # the pipe is closed: the reader will see the end and restart
            log.warning("the submission writer's input is closed: %s", exc)
            _fail([f for _, _, f in queued])
            return
        self._in_flight.append([f for _, _, f in queued])

    def keep_alive_soon(self) -> asyncio.Task:
        """The one task that starts the child (``keep_alive``): the running one, or a new one."""
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.get_running_loop().create_task(self.keep_alive())
        return self._keeper

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        """Resolve each line's requests with the child's answer, in order, until its output ends."""
        why = "its output ended"
        try:
            while line := await process.stdout.readline():
                futures = self._in_flight.popleft()
                answers = json.loads(line)
                if len(answers) != len(futures):
                    why = f"it answered {len(answers)} outcome(s) for {len(futures)} submission(s)"
                    _fail(futures)
                    break
                for future, answer in zip(futures, answers):
                    if future.done():
                        continue
                    if "error" in answer:
                        error = WorkbenchError.from_dict(answer["body"], answer["error"])
                        if error.status == 503:  # the writer could not store it just now: as safe to retry
                            error.headers = {"Retry-After": "1"}
                        future.set_exception(error)
                    else:
                        future.set_result((answer["status"], answer["json"]))
        except (ValueError, KeyError, TypeError, IndexError) as exc:  # readline's overlong line is a ValueError
            why = f"{type(exc).__name__}: {exc}"
        except asyncio.CancelledError:
            return
        await self._reap(process, why)

    async def _reap(self, process: asyncio.subprocess.Process, why: str) -> None:
        if self._process is process:
            self._process = None
        while self._in_flight:
            _fail(self._in_flight.popleft())
        if process.returncode is None:
            process.kill()
        code = await process.wait()
        if self._closing:
            log.info("submission writer (pid %d) stopped", process.pid)
            return
        log.error("the submission writer (pid %d) stopped: %s (exit code %s)", process.pid, why, code)
        if self.keep_running or self._queue:
            self.keep_alive_soon()

    async def keep_alive(self, first_wait: float = 0.5, longest_wait: float = 30) -> None:
        """Start the child, then send what waits. A start that fails answers the waiting submissions with 503
        (their workers hear of it now rather than wait) and, with ``keep_running``, is retried with a growing
        wait (it may fail while the store is down)."""
        wait = first_wait
        while not self.running:
            if self._closing:  # the server is stopping: no new child
                queued, self._queue = self._queue, []
                _fail([f for _, _, f in queued])
                return
            try:
                await self.start()
            except (WriterUnavailable, OSError) as exc:
                queued, self._queue = self._queue, []
                _fail([f for _, _, f in queued])
                if not self.keep_running:
                    log.error("%s", exc)
                    return
                log.error("%s; retrying in %.1f s", exc, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest_wait)
        self._flush()

    async def close(self, timeout: float = 10) -> None:
        """Let the child answer what it holds and exit (end of input); kill it after ``timeout`` seconds."""
        self.keep_running = False
        self._closing = True
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.stdin.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except asyncio.TimeoutError:
            process.kill()
            await self._reader


def _fail(futures: list[asyncio.Future]) -> None:
    """Answer each waiting request with a 503 of its own (one shared exception would collect every
    request's traceback as each handler raised it)."""
    for future in futures:
        if not future.done():
            future.set_exception(_unavailable())
