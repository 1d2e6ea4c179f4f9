"""A simulated browser on the workbench's worker pages: what ``worker.js`` does, over plain HTTP.

Every simulated person (MTurk's workers in ``mturk_sim.workers``, Prolific's participants in
``prolific_sim.crowd``, a link-out panel's participants in ``link_panel``) opens the real pages and
submits as the page's own script does: read the task bundle (``<script id="wb-bundle">``) and the
signed submission token (``<meta name="wb-submit-token">``), answer from the definition's label
schema, POST ``{task_id, assignment_id, hit_id, worker_id, result}`` to the bundle's ``submit_url``
with the token in ``X-Workbench-Token``, and on a link-out page go on to its ``next_url``. The
protocol lives here once, so a change of the page is followed in one place.

The browser follows no redirect by itself: a caller reads where a redirect leads (Prolific's
completion URL, a panel's return URL) before going there. Cookies are kept per host, as a browser
keeps them (ports share them), unless ``keep_cookies`` is off: a page framed by MTurk is a third
party to the worker's browser, which may then keep none of its cookies.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from email.message import Message
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from .schema_gen import break_value, generate


@dataclass
class Response:
    """One answer as the browser got it (a redirect is an answer, not followed)."""

    url: str
    status: int
    body: bytes
    headers: Message

    @property
    def location(self) -> str | None:
        """Where a redirect leads, absolute."""
        target = self.headers.get("Location")
        return urljoin(self.url, target) if target else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return self.text[:500]


@dataclass
class PageVisit:
    """The worker page as the browser saw it."""

    url: str
    status: int
    bundle: dict | None
    token: str | None
    cookies: dict[str, str]

    @property
    def task_id(self) -> Any:
        return (self.bundle or {}).get("task", {}).get("id")

    @property
    def next_url(self) -> str | None:
        """A link-out page's next step (the same visit again: the next task, or the ending)."""
        following = (self.bundle or {}).get("next_url")
        return urljoin(self.url, following) if following else None


class PageParser(HTMLParser):
    """Finds ``<script type="application/json" id="wb-bundle">`` and ``<meta name="wb-submit-token">``."""

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


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx comes back as an answer; the caller decides where to go


def answer(bundle: dict, rng: random.Random, *, valid: bool = True) -> Any:
    """A result for the page's task, made from its definition's label schema (broken on purpose if not ``valid``)."""
    schema = (bundle or {}).get("definition", {}).get("label_schema") or {}
    result = generate(schema, rng)
    return result if valid else break_value(schema, result, rng)


class Browser:
    """One person's browser: HTTP with cookies per host, the worker page read and submitted as worker.js does."""

    def __init__(self, *, timeout: float = 30, keep_cookies: bool = True):
        self.timeout = timeout
        self.keep_cookies = keep_cookies
        self.jar: dict[str, dict[str, str]] = {}
        self._opener = build_opener(_NoRedirects)

    @property
    def cookies(self) -> dict[str, str]:
        """Every cookie kept, whatever its host (one host in the MTurk flow)."""
        return {name: value for host in self.jar.values() for name, value in host.items()}

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> Response:
        headers = dict(headers or {})
        host = urlsplit(url).hostname or ""
        if self.jar.get(host):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar[host].items())
        try:
            with self._opener.open(Request(url, data=body, method=method, headers=headers),
                                   timeout=self.timeout) as resp:
                answer_ = Response(url, resp.status, resp.read(), resp.headers)
        except HTTPError as err:
            answer_ = Response(url, err.code, err.read(), err.headers)
        self._keep(host, answer_.headers.get_all("Set-Cookie") or [])
        return answer_

    def _keep(self, host: str, set_cookies: list[str]) -> None:
        if not self.keep_cookies:
            return
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                kept = self.jar.setdefault(host, {})
                if morsel["max-age"] == "0" or morsel.value == "":
                    kept.pop(name, None)  # a cleared cookie
                else:
                    kept[name] = morsel.value

    def get(self, url: str) -> Response:
        return self.request("GET", url)

    def read_page(self, response: Response) -> PageVisit:
        """The bundle and token of a worker page (None of each when the answer is no worker page)."""
        parser = PageParser()
        parser.feed(response.text)
        bundle = json.loads(parser.bundle_text) if parser.bundle_text else None
        return PageVisit(response.url, response.status, bundle, parser.token, self.cookies)

    def open_page(self, url: str) -> PageVisit:
        return self.read_page(self.get(url))

    def submit(self, visit: PageVisit, result: Any) -> tuple[int, Any]:
        """POST ``result`` as the page's script does: its ids, its token, and the cookies of the page's site."""
        page = visit.bundle
        payload = {"task_id": page["task"]["id"], "assignment_id": page.get("assignment_id"),
                   "hit_id": page.get("hit_id") or "", "worker_id": page.get("worker_id"), "result": result}
        return self.post_json(urljoin(visit.url, page["submit_url"]), payload, visit.token)

    def post_json(self, url: str, payload: dict, token: str | None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Workbench-Token"] = token
        sent = self.request("POST", url, json.dumps(payload).encode(), headers)
        return sent.status, sent.json()


@dataclass
class Walk:
    """How a link-out visit went: the tasks answered, and where it ended.

    ``left_to``: a redirect out of the site (a platform's completion URL); ``stopped``: the person stopped at a
    task page (``stop_at_task``); else ``last`` is the page it ended on (a code page, a refusal)."""

    tasks: list[Any]
    last: Response | None = None
    left_to: str | None = None
    stopped: PageVisit | None = None
    error: str | None = None


def do_tasks(browser: Browser, url: str, rng: random.Random, *, stop_at_task: bool = False,
             max_steps: int = 200) -> Walk:
    """Follow a link-out visit from ``url``: redirects within its site are followed; each task page is answered
    and submitted as worker.js does, then its ``next_url`` opened; the visit ends on a page that is no task page,
    at a redirect to another site, or (``stop_at_task``) at the first task page, left open."""
    site = urlsplit(url)[:2]
    walk = Walk([])
    for _ in range(max_steps):
        got = browser.get(url)
        if got.status in (301, 302, 303, 307, 308) and got.location:
            if urlsplit(got.location)[:2] != site:
                walk.left_to = got.location
                return walk
            url = got.location
            continue
        visit = browser.read_page(got)
        if got.status != 200 or not visit.bundle:
            walk.last = got
            return walk
        if stop_at_task:
            walk.stopped = visit
            return walk
        status, body = browser.submit(visit, answer(visit.bundle, rng))
        if status not in (200, 201):
            walk.error = f"submission of task {visit.task_id}: HTTP {status}: {body}"
            return walk
        walk.tasks.append(visit.task_id)
        if not visit.next_url:
            walk.error = "the page says nothing of what comes after its task"
            return walk
        url = visit.next_url  # as worker.js: location.assign(page.next_url)
    walk.error = f"no end after {max_steps} pages and redirects"
    return walk


def page_words(text: str, limit: int = 300) -> str:
    """A page's text without its tags, shortened, for an error message."""
    parts, inside = [], False
    for ch in text:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
            parts.append(" ")
        elif not inside:
            parts.append(ch)
    return " ".join("".join(parts).split())[:limit]


def behaviours(n: int, shares: dict[str, float], *, rest: str, seed: int = 0) -> list[str]:
    """The behaviour of each of ``n`` people: each share of ``n`` rounded, ``rest`` for the others, in an order
    fixed by ``seed``."""
    counts = {}
    for name, share in shares.items():
        if not 0 <= share <= 1:
            raise ValueError(f"the share of {name!r} must be between 0 and 1, not {share!r}")
        counts[name] = round(n * share)
    if sum(counts.values()) > n:
        raise ValueError(f"the shares {shares} add up to more than every one of {n}")
    made = [name for name, count in counts.items() for _ in range(count)]
    made += [rest] * (n - len(made))
    random.Random(f"plan:{seed}").shuffle(made)
    return made


@dataclass
class Outcome:
    """What one simulated person did: ``outcome`` is one of their crowd's ``OUTCOMES``."""

    participant_id: str
    behaviour: str
    outcome: str = "failed"
    tasks: list[Any] = field(default_factory=list)
    completion_code: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Crowd:
    """Every person's outcome, and how many of each of ``names``."""

    outcomes: list[Outcome]
    names: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(o.outcome for o in self.outcomes)
        return {name: found.get(name, 0) for name in self.names or tuple(found)}

    @property
    def tasks_done(self) -> int:
        return sum(len(o.tasks) for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "tasks_done": self.tasks_done,
                "participants": [o.as_dict() for o in self.outcomes]}


class Person:
    """A simulated person with a browser of their own; ``take_part()`` runs ``visit`` into a new ``Outcome``."""

    BEHAVIOURS: tuple[str, ...] = ("complete",)
    outcome_class: type[Outcome] = Outcome

    def __init__(self, pid: str, behaviour: str = "complete", *, seed: int = 0, timeout: float = 30):
        if behaviour not in self.BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {self.BEHAVIOURS}, not {behaviour!r}")
        self.pid, self.behaviour = pid, behaviour
        self.rng = random.Random(f"{seed}:{pid}")
        self.browser = Browser(timeout=timeout)

    def take_part(self) -> Outcome:
        out = self.outcome_class(self.pid, self.behaviour)
        try:
            self.visit(out)
        except (URLError, OSError, ValueError, KeyError, TypeError) as exc:
            out.outcome, out.error = "failed", f"{type(exc).__name__}: {exc}"
        return out

    def visit(self, out: Outcome) -> None:
        raise NotImplementedError


def everyone(people: list[Person], concurrency: int = 1) -> list[Outcome]:
    """Each person takes part, ``concurrency`` at a time; their outcomes in order."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(Person.take_part, people))
