"""A panel with no API, simulated: its participants follow a study's link with their panel id, over HTTP.

A link-out panel (SONA, a university pool, a survey panel) knows one URL per study, ending in its id
parameter (``.../workbench/link/entry?link=L&participant_id=``), and appends each participant's id. A
simulated participant opens that URL, does the tasks in the workbench's pages through
``devtools.worker_pages`` (the bundle, the submission POST as worker.js sends it, the next page), and
at the end reads the completion code off the code page, or follows the redirect the link was made
with back to the panel. Some ``abandon``: they open their first task and never come back (the panel
has no clock; their session just stays unfinished).

    run_panel(provider.entry_url(link), 10, seed=1, share_abandon=0.1).counts
"""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

from .worker_pages import Crowd, Outcome, Person, behaviours, do_tasks, everyone, page_words

BEHAVIOURS = ("complete", "abandon")
#: completed (tasks done, code read or redirect followed), no_task (sent off having done no task), abandoned,
#: refused (the entry route turned them away: closed, full, blocked), failed (anything else).
OUTCOMES = ("completed", "no_task", "abandoned", "refused", "failed")


@dataclass
class PanelOutcome(Outcome):
    """What one panel participant did and took back to the panel."""

    redirected_to: str | None = None


class _CodePage(HTMLParser):
    """The code page: ``<output id="wb-completion-code">`` and the body's ``data-no-task``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.code: str | None = None
        self.no_task = False
        self._in_code = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body" and a.get("data-no-task") == "true":
            self.no_task = True
        if tag == "output" and a.get("id") == "wb-completion-code":
            self._in_code, self.code = True, ""

    def handle_data(self, data):
        if self._in_code:
            self.code += data

    def handle_endtag(self, tag):
        if tag == "output":
            self._in_code = False


def panel_id(seed: int, index: int) -> str:
    """A panel's participant id, distinct for each (seed, index)."""
    return f"P{seed:04d}-{index:05d}"


class PanelParticipant(Person):
    """One participant of the panel with a browser of their own; ``take_part()`` runs their visit."""

    BEHAVIOURS = BEHAVIOURS
    outcome_class = PanelOutcome

    def __init__(self, entry_url: str, pid: str, behaviour: str = "complete", *, seed: int = 0, timeout: float = 30):
        super().__init__(pid, behaviour, seed=seed, timeout=timeout)
        self.entry_url = entry_url

    def visit(self, out: PanelOutcome) -> None:
        walk = do_tasks(self.browser, self.entry_url + quote(self.pid, safe=""), self.rng,
                        stop_at_task=self.behaviour == "abandon")
        out.tasks = walk.tasks
        done = "completed" if walk.tasks else "no_task"
        if walk.error:
            out.error = walk.error
        elif walk.stopped:
            out.outcome = "abandoned"
        elif walk.left_to:
            out.redirected_to = walk.left_to  # back to the panel, the code in the URL its template made
            back = self.browser.get(walk.left_to)
            out.outcome, out.error = (done, None) if back.status < 400 else (
                "failed", f"the panel's page: HTTP {back.status}")
        elif walk.last.status == 200:
            page = _CodePage()
            page.feed(walk.last.text)
            if not page.code:
                out.error = f"the visit ended on a page without a code: {page_words(walk.last.text)}"
                return
            out.completion_code = page.code.strip()
            out.outcome = "no_task" if page.no_task else done
        else:
            out.outcome = "refused" if walk.last.status in (403, 404, 410) else "failed"
            out.error = f"entry: HTTP {walk.last.status}: {page_words(walk.last.text)}"


def run_panel(entry_url: str, n: int, *, seed: int = 0, share_abandon: float = 0.0, first: int = 0,
              concurrency: int = 1, timeout: float = 30) -> Crowd:
    """``n`` panel participants (ids ``panel_id(seed, first)`` on) take the study at ``entry_url`` (the link's URL,
    ending in its id parameter's ``=``). ``concurrency`` above 1 lets them arrive together."""
    people = [PanelParticipant(entry_url, panel_id(seed, first + i), behaviour, seed=seed, timeout=timeout)
              for i, behaviour in enumerate(behaviours(n, {"abandon": share_abandon}, rest="complete", seed=seed))]
    return Crowd(everyone(people, concurrency), OUTCOMES)
