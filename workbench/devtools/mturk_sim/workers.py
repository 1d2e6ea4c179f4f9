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
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any, Sequence
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

from .schema_gen import break_value, generate

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


@dataclass
class PageVisit:
    """The worker page as the worker's browser saw it."""

    url: str
    status: int
    bundle: dict | None
    token: str | None
    cookies: dict[str, str]


class _PageParser(HTMLParser):
    """Finds <script type="application/json" id="wb-bundle"> and <meta name="wb-submit-token">."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bundle_text: str | None = None
        self.token: str | None = None
        self._in_bundle = False
        self._chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("id") == "wb-bundle":
            self._in_bundle, self._chunks = True, []
        elif tag == "meta" and a.get("name") == "wb-submit-token":
            self.token = a.get("content")

    def handle_data(self, data):
        if self._in_bundle:
            self._chunks.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_bundle:
            self._in_bundle = False
            self.bundle_text = "".join(self._chunks)


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
        self.cookies: dict[str, str] = {}

    # -- HTTP ----------------------------------------------------------------------

    def _http(self, method: str, url: str, body: bytes | None = None,
              headers: dict | None = None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = Request(url, data=body, method=method, headers=headers)
        try:
            with urlopen(req, timeout=self.timeout) as resp:
                self._keep_cookies(resp.headers.get_all("Set-Cookie") or [])
                return resp.status, resp.read()
        except HTTPError as err:
            self._keep_cookies(err.headers.get_all("Set-Cookie") or [])
            return err.code, err.read()

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        if not self.third_party_cookies:
            return
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

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
        status, body = self._http("GET", url)
        parser = _PageParser()
        parser.feed(body.decode("utf-8", "replace"))
        bundle = json.loads(parser.bundle_text) if parser.bundle_text else None
        return PageVisit(url, status, bundle, parser.token, dict(self.cookies))

    def post_result(self, visit: PageVisit, accepted: dict, result: Any) -> tuple[int, Any]:
        """POST the result to the workbench's submit_url with the page's submission token."""
        payload = {"task_id": visit.bundle["task"]["id"], "assignment_id": accepted["AssignmentId"],
                   "hit_id": accepted["HITId"], "worker_id": self.worker_id, "result": result}
        headers = {"Content-Type": "application/json"}
        if visit.token:
            headers["X-Workbench-Token"] = visit.token
        status, body = self._http("POST", urljoin(visit.url, visit.bundle["submit_url"]),
                                  json.dumps(payload).encode(), headers)
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode("utf-8", "replace")[:500]

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
        schema = visit.bundle.get("definition", {}).get("label_schema") or {}
        result = generate(schema, self.rng)
        if self.mode == "invalid":
            result = break_value(schema, result, self.rng)
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
