"""Simulated workers: accept a HIT, open the real worker page over HTTP, submit like a browser.

The page is framed by MTurk's worker site, so to the worker page it is a third party: like a
browser that blocks third-party cookies (Safari, Brave, Chrome's phase-out), a simulated worker
keeps no cookie of the page's unless ``third_party_cookies=True``; what it submits carries the
page's signed token (``<meta name="wb-submit-token">``) instead.
"""
from __future__ import annotations

import itertools
import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence
from urllib.error import URLError
from urllib.parse import urlencode, urljoin
from urllib.request import urlopen

from ..worker_pages import Browser, PageVisit, answer

MODES = ("valid", "invalid", "abandoned", "duplicate")


@dataclass
class WorkerOutcome:
    """What one simulated worker did and what each server answered."""

    worker_id: str
    hit_id: str | None
    mode: str
    assignment_id: str | None = None
    task_id: Any = None
    result: Any = None
    page_status: int | None = None
    server_status: list[int] = field(default_factory=list)
    server_responses: list[Any] = field(default_factory=list)
    mturk_status: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict:
        return asdict(self)


def worker_url(external_url: str, assignment_id: str, hit_id: str, worker_id: str,
               turk_submit_to: str) -> str:
    """The URL MTurk opens in the worker's frame; `&` when the URL already has a query."""
    query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                       "turkSubmitTo": turk_submit_to})
    base, hash_, fragment = external_url.partition("#")
    return f"{base}{'&' if '?' in base else '?'}{query}{hash_}{fragment}"


class SimulatedWorker:
    """One worker id; `do_hit(hit_id)` runs the whole flow for its mode."""

    def __init__(self, sim_url: str, worker_id: str, mode: str = "valid", seed: int = 0,
                 post_to_server: bool = True, answers: dict | None = None, timeout: float = 30,
                 third_party_cookies: bool = False):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.sim_url = sim_url.rstrip("/")
        self.worker_id, self.mode, self.timeout = worker_id, mode, timeout
        self.post_to_server = post_to_server
        self.answers = answers
        self.rng = random.Random(f"{seed}:{worker_id}")
        self.third_party_cookies = third_party_cookies
        self.browser = Browser(timeout=timeout, keep_cookies=third_party_cookies)

    @property
    def cookies(self) -> dict[str, str]:
        return self.browser.cookies

    # -- HTTP ----------------------------------------------------------------------

    def _http(self, method: str, url: str, body: bytes | None = None,
              headers: dict | None = None) -> tuple[int, bytes]:
        sent = self.browser.request(method, url, body, headers)
        return sent.status, sent.body

    def _admin(self, action: str, payload: dict) -> dict:
        status, body = self._http("POST", f"{self.sim_url}/_sim/{action}",
                                  json.dumps(payload).encode(), {"Content-Type": "application/json"})
        data = json.loads(body or b"{}")
        if status != 200:
            raise RuntimeError(f"{action} refused ({status}): {data.get('error')}")
        return data

    # -- steps ---------------------------------------------------------------------

    def accept(self, hit_id: str) -> dict:
        """Accept a HIT on the simulated MTurk; returns the assignment and the question."""
        return self._admin("accept", {"hit_id": hit_id, "worker_id": self.worker_id})

    def open_page(self, accepted: dict) -> PageVisit:
        """GET the ExternalURL with MTurk's query parameters and read the task bundle."""
        url = worker_url(accepted["ExternalURL"], accepted["AssignmentId"], accepted["HITId"],
                         self.worker_id, self.sim_url)
        return self.browser.open_page(url)

    def post_result(self, visit: PageVisit, accepted: dict, result: Any) -> tuple[int, Any]:
        """POST the result to the workbench's submit_url with the page's submission token."""
        payload = {"task_id": visit.bundle["task"]["id"], "assignment_id": accepted["AssignmentId"],
                   "hit_id": accepted["HITId"], "worker_id": self.worker_id, "result": result}
        return self.browser.post_json(urljoin(visit.url, visit.bundle["submit_url"]), payload, visit.token)

    def submit_to_mturk(self, assignment_id: str, fields: dict[str, Any]) -> int:
        """POST the MTurk form to {sim}/mturk/externalSubmit; non-string values JSON-encoded."""
        form = {"assignmentId": assignment_id}
        form.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()})
        status, _ = self._http("POST", f"{self.sim_url}/mturk/externalSubmit",
                               urlencode(form).encode(),
                               {"Content-Type": "application/x-www-form-urlencoded"})
        return status

    # -- the whole flow ------------------------------------------------------------

    def do_hit(self, hit_id: str) -> WorkerOutcome:
        """Accept `hit_id` and act out this worker's mode."""
        out = WorkerOutcome(self.worker_id, hit_id, self.mode)
        try:
            accepted = self.accept(hit_id)
        except (RuntimeError, URLError, OSError) as exc:
            out.error = f"accept: {exc}"
            return out
        out.assignment_id = accepted["AssignmentId"]
        if accepted.get("QuestionKind") != "ExternalQuestion":
            return self._direct(out)
        try:
            visit = self.open_page(accepted)
        except (URLError, OSError, ValueError) as exc:
            out.error = f"page: {exc}"
            return out
        out.page_status = visit.status
        if visit.status != 200 or not visit.bundle:
            out.error = f"page: HTTP {visit.status}, bundle {'found' if visit.bundle else 'missing'}"
            return out
        out.task_id = visit.bundle.get("task", {}).get("id")
        result = answer(visit.bundle, self.rng, valid=self.mode != "invalid")
        out.result = result
        if self.mode == "abandoned":
            return out
        for _ in range(2 if self.mode == "duplicate" else 1):
            if self.post_to_server:
                status, body = self.post_result(visit, accepted, result)
                out.server_status.append(status)
                out.server_responses.append(body)
                if self.mode == "valid" and status not in (200, 201):
                    out.error = f"server refused a valid result: HTTP {status}"
                    return out
            # An invalid result still reaches MTurk: a worker can bypass the page's checks.
            out.mturk_status.append(self.submit_to_mturk(out.assignment_id,
                                                         {"result": json.dumps(result)}))
        if out.mturk_status[0] != 200:
            out.error = f"externalSubmit: HTTP {out.mturk_status[0]}"
        return out

    def _direct(self, out: WorkerOutcome) -> WorkerOutcome:
        """HTMLQuestion/QuestionForm/link-out HITs: the answer dict goes straight to MTurk."""
        answers = self.answers or {"result": {"answer": "simulated"}}
        out.result = answers
        if self.mode == "abandoned":
            return out
        for _ in range(2 if self.mode == "duplicate" else 1):
            out.mturk_status.append(self.submit_to_mturk(out.assignment_id, answers))
        if out.mturk_status[0] != 200:
            out.error = f"externalSubmit: HTTP {out.mturk_status[0]}"
        return out


class WorkerPool:
    """Many simulated workers with distinct ids (A1SIMWORKER0001, ...) against one simulator."""

    def __init__(self, sim_url: str, seed: int = 0, post_to_server: bool = True,
                 worker_prefix: str = "A1SIMWORKER", answers: dict | None = None,
                 timeout: float = 30, first_worker: int = 1, counter=None, third_party_cookies: bool = False):
        self.sim_url = sim_url.rstrip("/")
        self.seed, self.post_to_server = seed, post_to_server
        self.third_party_cookies = third_party_cookies
        self.prefix, self.answers, self.timeout = worker_prefix, answers, timeout
        # A shared counter keeps worker ids distinct across pools of one simulator.
        self._counter = counter if counter is not None else itertools.count(first_worker)

    def worker(self, worker_id: str | None = None, mode: str = "valid") -> SimulatedWorker:
        if worker_id is None:
            worker_id = f"{self.prefix}{next(self._counter):04d}"
        return SimulatedWorker(self.sim_url, worker_id, mode, self.seed, self.post_to_server,
                               self.answers, self.timeout, self.third_party_cookies)

    def assignable(self) -> list[dict]:
        with urlopen(f"{self.sim_url}/_sim/hits", timeout=self.timeout) as resp:
            return json.loads(resp.read())["HITs"]

    def run(self, n: int, hit_ids: Sequence[str] | None = None,
            mode: str | Sequence[str] = "valid", concurrency: int = 8) -> list[WorkerOutcome]:
        """`n` workers, spread round-robin over the open slots of `hit_ids` (default: all
        Assignable HITs); `mode` is one mode or a sequence cycled over the workers."""
        open_hits = self.assignable()
        if hit_ids is not None:
            by_id = {h["HITId"]: h for h in open_hits}
            open_hits = [by_id[h] for h in hit_ids if h in by_id]
        slots: list[str] = []
        for rnd in range(max((h["Available"] for h in open_hits), default=0)):
            slots.extend(h["HITId"] for h in open_hits if h["Available"] > rnd)
            if len(slots) >= n:
                break
        modes = [mode] if isinstance(mode, str) else list(mode)
        jobs = [(self.worker(mode=modes[i % len(modes)]), slots[i] if i < len(slots) else None)
                for i in range(n)]

        def work(job):
            worker, hit_id = job
            if hit_id is None:
                return WorkerOutcome(worker.worker_id, None, worker.mode, error="no open HIT")
            return worker.do_hit(hit_id)

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(work, jobs))


def run_workers(sim_url: str, n: int, hit_ids: Sequence[str] | None = None,
                mode: str | Sequence[str] = "valid", concurrency: int = 8,
                **options) -> list[WorkerOutcome]:
    """Drive `n` simulated workers against the simulator at `sim_url` (see WorkerPool)."""
    return WorkerPool(sim_url, **options).run(n, hit_ids=hit_ids, mode=mode,
                                             concurrency=concurrency)
