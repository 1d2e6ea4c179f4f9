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

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from .server import SESSION_COOKIE
from ..worker_pages import Browser, Crowd, Outcome, Person, behaviours, do_tasks, everyone, page_words

BEHAVIOURS = ("complete", "return", "time_out")
#: The outcomes counted: completed (tasks done, completion code entered), no_task (sent back having done no
#: task), returned, timed_out, stalled (a time-out whose submission the clock has not timed out yet),
#: refused (the start page turned them away: full, not eligible, not active), failed (anything else).
OUTCOMES = ("completed", "no_task", "returned", "timed_out", "stalled", "refused", "failed")
TOKEN = "Token simulated-participants"  # the simulator takes any non-empty token


@dataclass
class ParticipantOutcome(Outcome):
    """What one participant did, and how the simulator recorded it afterwards."""

    submission_id: str | None = None
    submission_status: str | None = None


@dataclass
class Recruitment(Crowd):
    """Every participant's outcome, how many of each, and how far the simulator's clock was moved."""

    names: tuple[str, ...] = OUTCOMES
    clock_advanced: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "clock_advanced": self.clock_advanced}


def participant_id(seed: int, index: int) -> str:
    """A Prolific-looking id (24 hex digits), distinct for each (seed, index)."""
    return f"5e{seed % 16 ** 6:06x}{index:016x}"


def plan(n: int, *, seed: int = 0, share_return: float = 0.0, share_timeout: float = 0.0) -> list[str]:
    """The behaviour of each of ``n`` participants: the shares rounded, the rest ``complete``, in a seeded order."""
    return behaviours(n, {"return": share_return, "time_out": share_timeout}, rest="complete", seed=seed)


class Participant(Person):
    """One participant with a browser of their own; ``take_part()`` runs their visit."""

    BEHAVIOURS = BEHAVIOURS
    outcome_class = ParticipantOutcome

    def __init__(self, sim_url: str, study_id: str, pid: str, behaviour: str = "complete", *, seed: int = 0,
                 timeout: float = 30):
        super().__init__(pid, behaviour, seed=seed, timeout=timeout)
        self.sim_url, self.study_id = sim_url.rstrip("/"), study_id

    def visit(self, out: ParticipantOutcome) -> None:
        start = self.browser.get(f"{self.sim_url}/_sim/participants/{quote(self.pid, safe='')}/start"
                                 f"?study_id={quote(self.study_id, safe='')}")
        if start.status != 302 or not start.location:
            out.outcome, out.error = "refused", f"start: HTTP {start.status}: {page_words(start.text)}"
            return
        # the submission this browser holds, by the session cookie the start page set (not by the study URL, which
        # carries the SESSION_ID only if the researcher asked for it)
        out.submission_id = self.browser.jar.get(urlsplit(self.sim_url).hostname or "", {}).get(SESSION_COOKIE)
        walk = do_tasks(self.browser, start.location, self.rng, stop_at_task=self.behaviour != "complete")
        out.tasks = walk.tasks
        if walk.error:
            out.error = walk.error
        elif walk.stopped and self.behaviour == "return":
            self._return(out)
        elif walk.stopped:
            out.outcome = "stalled"  # the page stays open; the clock decides
        elif walk.left_to and walk.left_to.startswith(self.sim_url + "/submissions/complete"):
            self._complete(out, walk.left_to)
        elif walk.left_to:
            out.error = f"the study sent them to {walk.left_to}, not back to Prolific"
        else:
            out.error = f"study page: HTTP {walk.last.status}: {page_words(walk.last.text)}"

    def _complete(self, out: ParticipantOutcome, url: str) -> None:
        out.completion_code = (parse_qs(urlsplit(url).query).get("cc") or [None])[0]
        done = self.browser.get(url)
        if done.status != 200:
            out.error = f"completion: HTTP {done.status}: {page_words(done.text)}"
            return
        out.outcome = "completed" if out.tasks else "no_task"

    def _return(self, out: ParticipantOutcome) -> None:
        back = self.browser.get(f"{self.sim_url}/_sim/participants/{quote(self.pid, safe='')}/return"
                                f"?study_id={quote(self.study_id, safe='')}")
        if back.status != 200:
            out.error = f"return: HTTP {back.status}: {page_words(back.text)}"
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
    outcomes = everyone(people, concurrency)
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
        raise RuntimeError(f"GET /api/v1/{path}: HTTP {got.status}: {page_words(got.text)}")
    return got.json()
