"""The provider panel, as researchers knew MTurk's: a HIT (or study) id in, its work out, approve or reject each.

Its title, labels and messages are the platform's own words (``provider.words``): "Prolific",
"study", "submissions". Approving over a rejection (or over a bad completion code) needs its
Override box, as in every face. ``MTurkPanel`` is this panel's earlier name.
"""

from __future__ import annotations

import html

import ipywidgets as w

from .. import review
from ..errors import ValidationError
from .base import Panel, a


class ProviderPanel(Panel):
    def __init__(self, provider) -> None:
        super().__init__()
        self.provider = provider
        words = self.words = provider.words
        self.title = words.platform
        self.hit_id = w.Text(placeholder=f"{words.work} id", description=words.work)
        self.sync_first = w.Checkbox(value=True, description=f"sync with {words.platform} first")
        self.load_button = w.Button(description=f"Show {words.attempts}", icon="search")
        self.feedback = w.Text(placeholder="feedback (required to reject)", description="feedback")
        self.override = w.Checkbox(value=False, description="override (approve over a rejection or a bad code)",
                                   indent=False)
        self.rows_box = w.VBox()
        self.buttons: dict[str, tuple[w.Button, w.Button]] = {}
        self.load_button.on_click(lambda _b: self.load())
        self.widget = self.frame(w.HBox([self.hit_id, self.sync_first, self.load_button]),
                                 w.HBox([self.feedback, self.override]), self.rows_box)

    def load(self) -> list[dict] | None:
        hit_id, words = self.hit_id.value.strip(), self.words

        def fetch():
            if not hit_id:
                raise ValidationError("hit_id", f"enter the id of {a(words.work)}")
            if self.sync_first.value:
                self.provider.sync(actor="panel")
            return review.assignments(self.provider, hit_id=hit_id, limit=1000)

        rows = self.act(fetch, lambda r: f"{words.work} {hit_id}: {len(r)} {words.attempts}")
        if rows is None:
            return None
        self.buttons = {}
        lines = []
        for row in rows:
            approve = w.Button(description="Approve", button_style="success",
                               disabled=row["status"] not in ("submitted", "rejected"))
            reject = w.Button(description="Reject", button_style="danger", disabled=row["status"] != "submitted")
            approve.on_click(lambda _b, aid=row["assignment_id"]: self.approve(aid))
            reject.on_click(lambda _b, aid=row["assignment_id"]: self.reject(aid))
            self.buttons[row["assignment_id"]] = (approve, reject)
            label = w.HTML(f"<code>{html.escape(row['assignment_id'])}</code> {html.escape(words.worker)} "
                           f"{html.escape(row['worker_id'])} <i>{html.escape(row['status'])}</i>")
            lines.append(w.HBox([label, approve, reject]))
        self.rows_box.children = lines
        return rows

    def approve(self, assignment_id: str):
        result = self.act(lambda: review.approve(self.provider, assignment_id, feedback=self.feedback.value,
                                                 override=self.override.value, actor="panel"),
                          f"approved {assignment_id}", buttons=self.buttons.get(assignment_id, ()))
        self._reload_keep_status()
        return result

    def reject(self, assignment_id: str):
        result = self.act(lambda: review.reject(self.provider, assignment_id, self.feedback.value, actor="panel"),
                          f"rejected {assignment_id}", buttons=self.buttons.get(assignment_id, ()))
        self._reload_keep_status()
        return result

    def _reload_keep_status(self) -> None:
        message = self.status.value
        sync, self.sync_first.value = self.sync_first.value, False
        self.load()
        self.sync_first.value = sync
        self.status.value = message


#: The panel's earlier name (the README's code uses it).
MTurkPanel = ProviderPanel
