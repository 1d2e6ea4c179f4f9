"""The work manager panel: pick tasks, set the offer, preview the cost, offer the work; list, extend, expire.

The work is an MTurk HIT or a Prolific study: every label says the provider's own word
(``provider.words``). What only some platforms can do appears when the provider can do it
(``crowd.capabilities``): MTurk's qualification requirements, Prolific's pause and resume.
``HITManager`` is this panel's earlier name.
"""

from __future__ import annotations

import ipywidgets as w

from .. import hits
from ..crowd import capabilities, money, work
from workbench.crowd.providers import Qualifications, WorkSpec
from .base import Panel, capital, dollars, headings, table


class WorkManager(Panel):
    def __init__(self, provider, project: str, *, base_url: str | None = None) -> None:
        super().__init__()
        self.provider, self.project, self.base_url = provider, project, base_url
        words = self.words = provider.words
        self.title = f"{capital(words.work)} manager"
        with provider.store.session() as s:
            types = work.task_types(s, project)
        # -- choose tasks
        self.task_status = w.Dropdown(options=list(work.TASK_STATUSES), value="pending",
                                      description="task status")
        self.task_type = w.Dropdown(options=[("any", "")] + [(t, t) for t in types], value="", description="type")
        self.limit = w.BoundedIntText(value=100, min=1, max=100_000, description="at most")
        # -- the offer
        self.title_text = w.Text(value=f"Annotate images ({project})", description="title")
        self.description_text = w.Text(value="Look at an image and annotate it.", description="description")
        self.reward = w.Text(value="0.10", description="reward $")
        self.assignments = w.BoundedIntText(value=1, min=1, max=100, description=words.attempts)
        self.lifetime_hours = w.BoundedIntText(value=24, min=1, max=24 * 365, description="lifetime h")
        self.min_approval = w.BoundedIntText(value=0, min=0, max=100, description="min approval %")
        self.locales = w.Text(value="", placeholder="US, GB", description="locales")
        self.cost = w.HTML()
        self.preview_button = w.Button(description="Preview cost", icon="calculator")
        self.create_button = w.Button(description=f"Create {words.works}", button_style="primary", icon="plus")
        self.progress = w.IntProgress(min=0, max=1, value=0, description="created")
        # -- the work offered
        self.hit_list = w.HTML()
        self.hit_id = w.Dropdown(options=[], description=words.work)
        self.more_assignments = w.BoundedIntText(value=0, min=0, max=100, description=f"+ {words.attempts}")
        self.more_hours = w.BoundedIntText(value=0, min=0, max=24 * 365, description="+ hours")
        self.extend_button = w.Button(description="Extend", icon="clock-o")
        self.expire_button = w.Button(description="Expire", button_style="warning", icon="stop")
        self.pause_button = w.Button(description="Pause", icon="pause")
        self.resume_button = w.Button(description="Resume", icon="play")
        self.preview_button.on_click(lambda _b: self.preview())
        self.create_button.on_click(lambda _b: self.create())
        self.extend_button.on_click(lambda _b: self.extend())
        self.expire_button.on_click(lambda _b: self.expire())
        self.pause_button.on_click(lambda _b: self.pause())
        self.resume_button.on_click(lambda _b: self.resume())
        for field in (self.task_status, self.task_type, self.limit, self.reward, self.assignments):
            field.observe(lambda _change: self.preview(), names="value")
        requirements = ([w.HBox([self.min_approval, self.locales])]
                        if capabilities.has(provider, capabilities.QUALIFICATION_REQUIREMENTS) else [])
        pausing = ([self.pause_button, self.resume_button]
                   if capabilities.has(provider, capabilities.PAUSE) else [])
        self.widget = self.frame(
            w.HTML("<b>Tasks</b>"), w.HBox([self.task_status, self.task_type, self.limit]),
            w.HTML("<b>Offer</b>"), w.HBox([self.title_text, self.description_text]),
            w.HBox([self.reward, self.assignments, self.lifetime_hours]), *requirements,
            self.cost, w.HBox([self.preview_button, self.create_button, self.progress]),
            w.HTML(f"<b>{capital(words.works)}</b>"), self.hit_list,
            w.HBox([self.hit_id, self.more_assignments, self.more_hours]),
            w.HBox([self.extend_button, self.expire_button, *pausing]))
        self.refresh()
        self.preview()

    # -- reading the form ------------------------------------------------------------
    def task_ids(self) -> list[int]:
        with self.provider.store.session() as s:
            return work.select_tasks(s, self.project, status=self.task_status.value,
                                     task_type=self.task_type.value or None,
                                     environment=self.provider.environment, limit=self.limit.value)

    def spec(self) -> WorkSpec:
        locales = [x.strip().upper() for x in self.locales.value.split(",") if x.strip()]
        quals = Qualifications(locales=locales, min_approval_rate=self.min_approval.value or None)
        return WorkSpec(title=self.title_text.value, description=self.description_text.value,
                        reward_cents=money.parse(self.reward.value, "reward"), max_assignments=self.assignments.value,
                        lifetime=self.lifetime_hours.value * 3600, qualifications=quals)

    # -- actions ---------------------------------------------------------------------
    def preview(self) -> dict | None:
        words = self.words

        def plan():
            return work.preview_cost(self.provider, len(self.task_ids()), money.parse(self.reward.value, "reward"),
                                     self.assignments.value)

        # Said per task, which is true of every platform (a HIT per task on MTurk, one study for them all on Prolific).
        cost = self.act(plan, lambda c: f"{c['hits']} tasks × {self.assignments.value} {words.attempts} would cost "
                                        f"{dollars(c['total_cents'])}")
        if cost is not None:
            self.cost.value = (f"<p class='wb-cost'>{cost['hits']} tasks × {self.assignments.value} "
                               f"{words.attempts}: rewards {dollars(cost['rewards_cents'])} + fees "
                               f"{dollars(cost['fees_cents'])} = <b>{dollars(cost['total_cents'])}</b></p>")
        return cost

    def create(self):
        def go():
            ids, spec = self.task_ids(), self.spec()
            self.progress.max, self.progress.value = max(1, len(ids)), 0

            def advance(n: int) -> None:
                self.progress.value += n

            options = {"base_url": self.base_url} if self.base_url else {}
            return hits.create(self.provider, self.project, spec, ids, progress=advance, actor="panel", **options)

        result = self.act(go, lambda r: f"created {r.created} {self.words.works} ({r.existing} already existed)",
                          buttons=(self.create_button,))
        self.refresh()
        return result

    def _on_chosen(self, action, done: str, button: w.Button):
        """Run ``action(provider, id)`` on the chosen work; say ``done`` and its id."""
        hit_id = self.hit_id.value or ""
        result = self.act(lambda: action(self.provider, hit_id), f"{done} {self.words.work} {hit_id}",
                          buttons=(button,))
        self.refresh()
        return result

    def extend(self):
        return self._on_chosen(lambda p, hit_id: hits.extend(p, hit_id, assignments=self.more_assignments.value,
                                                             seconds=self.more_hours.value * 3600, actor="panel"),
                               "extended", self.extend_button)

    def expire(self):
        return self._on_chosen(lambda p, hit_id: hits.expire(p, hit_id, actor="panel"), "expired",
                               self.expire_button)

    def pause(self):
        return self._on_chosen(lambda p, hit_id: capabilities.pause(p, hit_id, actor="panel"), "paused",
                               self.pause_button)

    def resume(self):
        return self._on_chosen(lambda p, hit_id: capabilities.resume(p, hit_id, actor="panel"), "resumed",
                               self.resume_button)

    def refresh(self) -> None:
        rows = hits.list_(self.provider, project=self.project, limit=500)
        self.hit_list.value = table(rows, ["hit_id", "task_id", "status", "reward_cents", "max_assignments",
                                           "expires_at"], headings(self.words))
        current = self.hit_id.value
        self.hit_id.options = [r["hit_id"] for r in rows]
        if current in self.hit_id.options:
            self.hit_id.value = current


#: The panel's earlier name (the README's code uses it).
HITManager = WorkManager
