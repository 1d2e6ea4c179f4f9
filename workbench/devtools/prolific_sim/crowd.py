"""Simulated Prolific participants: they take a study as a person in a browser does, over HTTP.

Each participant opens the simulator's start page (what following the study on app.prolific.com
does), follows its 302 to the study URL, which is whatever site the researcher gave (the
workbench's Prolific entry route), does the tasks there through ``devtools.worker_pages`` (the
page's bundle and token, the submission POST worker.js sends, then the page's ``next_url``), and
follows the site's redirect back to ``/submissions/complete?cc=CODE`` here, which completes the
submission with that code. Nothing here knows the workbench: only the pages' protocol and where
the redirects lead.

Some participants behave otherwise, in shares of ``n`` fixed by ``seed``: ``return`` (they look at
the first task and return the study), ``time_out`` (they open the first task and never finish;
the virtual clock is then moved past the study's ``maximum_allowed_time``, so the simulator times
them out). A participant who finds nothing to do is sent back with whichever code the site chose;
``no_task`` counts them. There is no "fail a check" behaviour: a participant fails an attention
check only where the study's site sends them to a FAILED_ATTENTION_CHECK code, and that is the
site's decision, not the participant's.

    run_participants(sim.url, study_id, 10, seed=1, share_return=0.1, share_timeout=0.1).counts
"""
from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qs, quote, urlsplit

from ..worker_pages import Browser, answer

BEHAVIOURS = ("complete", "return", "time_out")
#: The outcomes counted: completed (tasks done, completion code entered), no_task (sent back having done no
#: task), returned, timed_out, stalled (a time-out whose submission the clock has not timed out yet),
#: refused (the start page turned them away: full, not eligible, not active), failed (anything else).
OUTCOMES = ("completed", "no_task", "returned", "timed_out", "stalled", "refused", "failed")
TOKEN = "Token simulated-participants"  # the simulator takes any non-empty token
MAX_STEPS = 200  # pages and redirects one visit may take before it is called a loop


@dataclass
class ParticipantOutcome:
    """What one participant did, and how the simulator recorded it afterwards."""

    participant_id: str
    behaviour: str
    outcome: str = "failed"
    submission_id: str | None = None
    tasks: list[Any] = field(default_factory=list)
    completion_code: str | None = None
    submission_status: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Recruitment:
    """Every participant's outcome, and how many of each."""

    outcomes: list[ParticipantOutcome]
    clock_advanced: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(o.outcome for o in self.outcomes)
        return {name: found.get(name, 0) for name in OUTCOMES}

    @property
    def tasks_done(self) -> int:
        return sum(len(o.tasks) for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "tasks_done": self.tasks_done, "clock_advanced": self.clock_advanced,
                "participants": [o.as_dict() for o in self.outcomes]}


def participant_id(seed: int, index: int) -> str:
    """A Prolific-looking id (24 hex digits), distinct for each (seed, index)."""
    return f"5e{seed % 16 ** 6:06x}{index:016x}"


def plan(n: int, *, seed: int = 0, share_return: float = 0.0, share_timeout: float = 0.0) -> list[str]:
    """The behaviour of each of ``n`` participants: the shares rounded, the rest ``complete``, in a seeded order."""
    for name, share in (("share_return", share_return), ("share_timeout", share_timeout)):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} must be between 0 and 1, not {share!r}")
    returning, timing_out = round(n * share_return), round(n * share_timeout)
    if returning + timing_out > n:
        raise ValueError("share_return + share_timeout is more than every participant")
    behaviours = ["return"] * returning + ["time_out"] * timing_out + ["complete"] * (n - returning - timing_out)
    random.Random(f"plan:{seed}").shuffle(behaviours)
    return behaviours


class Participant:
    """One participant with a browser of their own; ``take_part()`` runs their visit."""

    def __init__(self, sim_url: str, study_id: str, pid: str, behaviour: str = "complete", *, seed: int = 0,
                 timeout: float = 30):
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {BEHAVIOURS}, not {behaviour!r}")
        self.sim_url, self.study_id, self.pid, self.behaviour = sim_url.rstrip("/"), study_id, pid, behaviour
        self.rng = random.Random(f"{seed}:{pid}")
        self.browser = Browser(timeout=timeout)

    def take_part(self) -> ParticipantOutcome:
        out = ParticipantOutcome(self.pid, self.behaviour)
        try:
            self._visit(out)
        except (URLError, OSError, ValueError, KeyError, TypeError) as exc:
            out.outcome, out.error = "failed", f"{type(exc).__name__}: {exc}"
        return out

    def _visit(self, out: ParticipantOutcome) -> None:
        start = self.browser.get(f"{self.sim_url}/_sim/participants/{quote(self.pid, safe='')}/start"
                                 f"?study_id={quote(self.study_id, safe='')}")
        if start.status != 302 or not start.location:
            out.outcome, out.error = "refused", f"start: HTTP {start.status}: {_words(start.text)}"
            return
        out.submission_id = (parse_qs(urlsplit(start.location).query).get("SESSION_ID") or [None])[0]
        url = start.location
        for _ in range(MAX_STEPS):
            if self._is_completion(url):
                return self._complete(out, url)
            answer_ = self.browser.get(url)
            if answer_.status in (301, 302, 303, 307, 308) and answer_.location:
                url = answer_.location
                continue
            visit = self.browser.read_page(answer_)
            if answer_.status != 200 or not visit.bundle:
                out.error = f"study page: HTTP {answer_.status}: {_words(answer_.text)}"
                return
            if self.behaviour == "return":
                return self._return(out)
            if self.behaviour == "time_out":
                out.outcome = "stalled"  # the page stays open; the clock decides
                return
            status, body = self.browser.submit(visit, answer(visit.bundle, self.rng))
            if status not in (200, 201):
                out.error = f"submission of task {visit.task_id}: HTTP {status}: {body}"
                return
            out.tasks.append(visit.task_id)
            if not visit.next_url:
                out.error = "the page says nothing of what comes after its task"
                return
            url = visit.next_url  # as worker.js: location.assign(page.next_url)
        out.error = f"no end after {MAX_STEPS} pages and redirects"

    def _is_completion(self, url: str) -> bool:
        return url.startswith(self.sim_url + "/submissions/complete")

    def _complete(self, out: ParticipantOutcome, url: str) -> None:
        out.completion_code = (parse_qs(urlsplit(url).query).get("cc") or [None])[0]
        done = self.browser.get(url)
        if done.status != 200:
            out.error = f"completion: HTTP {done.status}: {_words(done.text)}"
            return
        out.outcome = "completed" if out.tasks else "no_task"

    def _return(self, out: ParticipantOutcome) -> None:
        back = self.browser.get(f"{self.sim_url}/_sim/participants/{quote(self.pid, safe='')}/return"
                                f"?study_id={quote(self.study_id, safe='')}")
        if back.status != 200:
            out.error = f"return: HTTP {back.status}: {_words(back.text)}"
            return
        out.outcome = "returned"


def run_participants(sim_url: str, study_id: str, n: int, *, seed: int = 0, share_return: float = 0.0,
                     share_timeout: float = 0.0, first: int = 0, concurrency: int = 1, timeout: float = 30,
                     advance_clock: bool = True) -> Recruitment:
    """``n`` participants (ids ``participant_id(seed, first)`` on) take ``study_id``; return what each did.

    With time-outs among them and ``advance_clock``, the simulator's clock then moves past the study's
    ``maximum_allowed_time`` so that their submissions time out. Each outcome carries the submission's
    status on the simulator at the end. ``concurrency`` above 1 lets participants arrive together, as
    they do on Prolific; a site that hands the same task to everyone arriving at once then over-fills it.
    """
    sim_url = sim_url.rstrip("/")
    people = [Participant(sim_url, study_id, participant_id(seed, first + i), behaviour, seed=seed, timeout=timeout)
              for i, behaviour in enumerate(plan(n, seed=seed, share_return=share_return,
                                                 share_timeout=share_timeout))]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(Participant.take_part, people))
    api = Browser(timeout=timeout)
    recruitment = Recruitment(outcomes)
    if advance_clock and any(o.outcome == "stalled" for o in outcomes):
        study = _api(api, sim_url, f"studies/{quote(study_id, safe='')}/")
        seconds = int(study["maximum_allowed_time"]) * 60 + 1
        moved = api.request("POST", f"{sim_url}/_sim/clock/advance", f'{{"seconds": {seconds}}}'.encode(),
                            {"Content-Type": "application/json"})
        if moved.status != 200:
            raise RuntimeError(f"the simulator did not move its clock: HTTP {moved.status}")
        recruitment.clock_advanced = seconds
    for out in outcomes:
        if out.submission_id:
            out.submission_status = _api(api, sim_url, f"submissions/{quote(out.submission_id, safe='')}/")["status"]
            if out.outcome == "stalled" and out.submission_status in ("TIMED-OUT", "TIME-OUT"):
                out.outcome = "timed_out"
    return recruitment


def _api(browser: Browser, sim_url: str, path: str) -> dict[str, Any]:
    got = browser.request("GET", f"{sim_url}/api/v1/{path}", headers={"Authorization": TOKEN})
    if got.status != 200:
        raise RuntimeError(f"GET /api/v1/{path}: HTTP {got.status}: {_words(got.text)}")
    return got.json()


def _words(text: str, limit: int = 300) -> str:
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
