"""The review queue panel: each submitted assignment with its annotation drawn, and what to do with it.

Labels and messages say the provider's words (a Prolific "submission" by a "participant"); a
platform that can ask for a return (``crowd.capabilities.REQUEST_RETURN``) gets that button too.
A card lists the review flags of its assignment and of its worker (``results.quality``) with the
numbers that raised each: a reason to look, never a decision.
"""

from __future__ import annotations

import html
import json

import ipywidgets as w

from workbench import review
from workbench.results import previews, quality
from ..crowd import capabilities, money
from .base import Panel, capital, headings, table

STATUSES = list(review.STATUSES)


class AssignmentCard:
    """One assignment: its preview, its code verdict and its approve / reject / bonus / block buttons.

    Every text the worker sees is typed by the reviewer: nothing is invented for them.
    """

    def __init__(self, panel: "ReviewQueue", item: dict, flags: list[dict] | None = None) -> None:
        self.panel, self.item = panel, item
        words = self.words = panel.provider.words
        self.assignment_id = item["assignment_id"]
        width, height = item.get("image_size") or (None, None)
        self.preview = w.HTML(previews.render(item.get("result"), item.get("image_path"), width=width, height=height))
        self.head = w.HTML(self._head())
        #: The review flags of this assignment and of its worker, each with its evidence (shown on hover).
        self.flags = w.HTML(flags_html(flags or []))
        self.feedback = w.Text(placeholder=f"feedback to the {words.worker} (required to reject)", description="feedback")
        self.override = w.Checkbox(value=False, description="override (a rejection, a bad code)", indent=False)
        self.bonus_amount = w.Text(value="0.25", description="bonus $", layout=w.Layout(width="150px"))
        self.bonus_reason = w.Text(placeholder=f"why (shown to the {words.worker})", description="reason")
        self.bonus_key = w.Text(placeholder="new key for a second bonus", description="key")
        self.block_reason = w.Text(placeholder="why (required to block)", description="block why")
        self.approve_button = w.Button(description="Approve", button_style="success", icon="check")
        self.reject_button = w.Button(description="Reject", button_style="danger", icon="times")
        self.bonus_button = w.Button(description="Bonus", icon="gift")
        self.block_button = w.Button(description=f"Block {words.worker}", icon="ban")
        self.history_button = w.Button(description=f"{capital(words.worker)} history", icon="user")
        self.return_reason = w.Text(placeholder="why (shown to them)", description="return why")
        self.return_button = w.Button(description="Request return", icon="undo")
        categories = tuple(panel.provider.rejection_categories)
        #: The platform's rejection categories (Prolific's), shown only where it has them.
        self.category = w.Dropdown(options=categories, value=categories[-1] if categories else None,
                                   description="category") if categories else None
        self.approve_button.on_click(lambda _b: self.approve())
        self.reject_button.on_click(lambda _b: self.reject())
        self.bonus_button.on_click(lambda _b: self.bonus())
        self.block_button.on_click(lambda _b: self.block())
        self.history_button.on_click(lambda _b: panel.show_worker(item["worker_id"]))
        self.return_button.on_click(lambda _b: self.request_return())
        returns = capabilities.has(panel.provider, capabilities.REQUEST_RETURN)
        self.widget = w.VBox([self.head, self.flags, self.preview,
                              w.HBox([self.feedback, *([self.category] if self.category else []), self.override]),
                              w.HBox([self.bonus_amount, self.bonus_reason, self.bonus_key]), self.block_reason,
                              *([self.return_reason] if returns else []),
                              w.HBox([self.approve_button, self.reject_button, self.bonus_button, self.block_button,
                                      self.history_button, *([self.return_button] if returns else [])])],
                             layout=w.Layout(border="1px solid #ddd", padding="6px", margin="4px 0"))
        self.widget.add_class("wb-assignment")

    def _head(self) -> str:
        item, words = self.item, self.words
        code = item.get("code_verdict")
        verdict = "" if code is None else f" · code <b class='wb-code-{html.escape(code)}'>{html.escape(code)}</b>"
        return (f"<b>{html.escape(self.assignment_id)}</b> · {html.escape(words.worker)} "
                f"{html.escape(item['worker_id'])} · {html.escape(words.work)} {html.escape(item.get('hit_id') or '')}"
                f" · <i>{html.escape(item['status'])}</i>{verdict}")

    def _reviewed(self, done):
        """After a review that went through, the card shows (and "Approve all shown" sees) the new status."""
        if done is not None:
            self.item["status"] = done.status
            self.head.value = self._head()
        return done

    def approve(self):
        return self._reviewed(self.panel.act(
            lambda: review.approve(self.panel.provider, self.assignment_id, feedback=self.feedback.value,
                                   override=self.override.value, actor="panel"),
            f"approved {self.assignment_id}", buttons=(self.approve_button,)))

    def reject(self):
        return self._reviewed(self.panel.act(
            lambda: review.reject(self.panel.provider, self.assignment_id, self.feedback.value,
                                  category=self.category.value if self.category else None, actor="panel"),
            f"rejected {self.assignment_id}", buttons=(self.reject_button,)))

    def bonus(self):
        """Pay the bonus once: a second click on the same bonus answers "already paid"."""
        return self.panel.act(
            lambda: review.bonus(self.panel.provider, self.assignment_id,
                                 money.parse(self.bonus_amount.value, "bonus"), self.bonus_reason.value,
                                 key=self.bonus_key.value.strip() or None, actor="panel"),
            lambda r: r.summary, buttons=(self.bonus_button,))

    def block(self):
        return self.panel.act(
            lambda: review.block(self.panel.provider, self.item["worker_id"], self.block_reason.value, actor="panel"),
            f"blocked {self.words.worker} {self.item['worker_id']}", buttons=(self.block_button,))

    def request_return(self):
        """Ask the worker to return the work (a platform that can: ``capabilities.REQUEST_RETURN``)."""
        reasons = [self.return_reason.value] if self.return_reason.value.strip() else []
        return self.panel.act(
            lambda: capabilities.request_return(self.panel.provider, self.assignment_id, reasons, actor="panel"),
            f"asked for the return of {self.assignment_id}", buttons=(self.return_button,))


def flags_html(flags: list[dict]) -> str:
    """The flags as a list: kind and message, the evidence as the item's tooltip; nothing when there are none."""
    if not flags:
        return ""
    items = "".join(f"<li title='{html.escape(json.dumps(f['evidence'], default=str))}'><b>{html.escape(f['kind'])}</b>"
                    f": {html.escape(f['message'])}</li>" for f in flags)
    return f"<ul class='wb-flags'>{items}</ul>"


class ReviewQueue(Panel):
    title = "Review queue"

    def __init__(self, provider, project: str | None = None, *, limit: int = 20) -> None:
        super().__init__()
        self.provider, self.project = provider, project
        words = self.words = provider.words
        self.status_filter = w.Dropdown(options=STATUSES, value="submitted", description="status")
        self.worker_filter = w.Text(placeholder=f"any {words.worker}", description=words.worker)
        self.limit = w.BoundedIntText(value=limit, min=1, max=1000, description="show")
        self.load_button = w.Button(description="Load", icon="refresh")
        self.bulk_button = w.Button(description="Approve all shown", button_style="success", icon="check-square")
        self.bulk_progress = w.IntProgress(min=0, max=1, value=0, description="approved")
        self.cards_box = w.VBox()
        self.worker_box = w.HTML()
        self.cards: list[AssignmentCard] = []
        self.load_button.on_click(lambda _b: self.load())
        self.bulk_button.on_click(lambda _b: self.approve_all())
        self.widget = self.frame(w.HBox([self.status_filter, self.worker_filter, self.limit, self.load_button]),
                                 w.HBox([self.bulk_button, self.bulk_progress]), self.cards_box, self.worker_box)
        self.load()

    def load(self) -> list[dict] | None:
        def queue_and_flags():
            items = review.queue(self.provider, status=self.status_filter.value,
                                 worker_id=self.worker_filter.value.strip() or None, project=self.project,
                                 limit=self.limit.value)
            return items, quality.for_review(self.provider.store, self.project)

        loaded = self.act(queue_and_flags, lambda r: f"{len(r[0])} {self.status_filter.value} {self.words.attempts}")
        if loaded is None:
            return None
        items, flagged = loaded
        self.cards = [AssignmentCard(self, item, flagged.get(item["assignment_id"], [])
                                     + flagged.get(f"worker:{item['worker_id']}", [])) for item in items]
        self.cards_box.children = [card.widget for card in self.cards]
        return items

    def approve_all(self):
        ids = [card.assignment_id for card in self.cards if card.item["status"] == "submitted"]
        self.bulk_progress.max, self.bulk_progress.value = max(1, len(ids)), 0

        def advance(n: int) -> None:
            self.bulk_progress.value += n

        result = self.act(lambda: review.approve_all(self.provider, ids, actor="panel", progress=advance),
                          lambda r: f"approved {len(r['approved'])}", buttons=(self.bulk_button,))
        if result and result["failed"]:
            self.fail(f"approved {len(result['approved'])}; {len(result['failed'])} failed: "
                      f"{result['failed'][0]['error']}")
        self.load_keep_status()
        return result

    def load_keep_status(self) -> None:
        message = self.status.value
        self.load()
        self.status.value = message

    def show_worker(self, worker_id: str):
        words = self.words
        summary = self.act(lambda: review.worker_summary(self.provider, worker_id),
                           lambda s: f"{words.worker} {worker_id}: {s['assignments']} {words.attempts}")
        if summary is None:
            return None
        rate = "n/a" if summary["approval_rate"] is None else f"{summary['approval_rate']:.0%}"
        median = "n/a" if summary["median_seconds"] is None else f"{summary['median_seconds']:.0f}s"
        self.worker_box.value = (
            f"<h4>{html.escape(capital(words.worker))} {html.escape(worker_id)}"
            f"{' (blocked)' if summary['blocked'] else ''}</h4>"
            f"<p>{summary['assignments']} {html.escape(words.attempts)}, approval rate {rate}, median time on task "
            f"{median}, bonuses {summary['bonuses_cents']}¢</p>"
            + table(summary["history"], ["assignment_id", "hit_id", "status", "accept_time", "submit_time"],
                    headings(words)))
        return summary
