"""The HIT manager panel: pick tasks, set the offer, preview the cost, create HITs; list, extend, expire."""

from __future__ import annotations

import ipywidgets as w

from .. import hits
from ..crowd import money, work
from workbench.crowd.providers import Qualifications, WorkSpec
from .base import Panel, dollars, table


class HITManager(Panel):
    title = "HIT manager"

    def __init__(self, provider, project: str, *, base_url: str | None = None) -> None:
        super().__init__()
        self.provider, self.project, self.base_url = provider, project, base_url
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
        self.assignments = w.BoundedIntText(value=1, min=1, max=100, description="assignments")
        self.lifetime_hours = w.BoundedIntText(value=24, min=1, max=24 * 365, description="lifetime h")
        self.min_approval = w.BoundedIntText(value=0, min=0, max=100, description="min approval %")
        self.locales = w.Text(value="", placeholder="US, GB", description="locales")
        self.cost = w.HTML()
        self.preview_button = w.Button(description="Preview cost", icon="calculator")
        self.create_button = w.Button(description="Create HITs", button_style="primary", icon="plus")
        self.progress = w.IntProgress(min=0, max=1, value=0, description="created")
        # -- the HITs
        self.hit_list = w.HTML()
        self.hit_id = w.Dropdown(options=[], description="HIT")
        self.more_assignments = w.BoundedIntText(value=0, min=0, max=100, description="+ assignments")
        self.more_hours = w.BoundedIntText(value=0, min=0, max=24 * 365, description="+ hours")
        self.extend_button = w.Button(description="Extend", icon="clock-o")
        self.expire_button = w.Button(description="Expire", button_style="warning", icon="stop")
        self.preview_button.on_click(lambda _b: self.preview())
        self.create_button.on_click(lambda _b: self.create())
        self.extend_button.on_click(lambda _b: self.extend())
        self.expire_button.on_click(lambda _b: self.expire())
        for field in (self.task_status, self.task_type, self.limit, self.reward, self.assignments):
            field.observe(lambda _change: self.preview(), names="value")
        self.widget = self.frame(
            w.HTML("<b>Tasks</b>"), w.HBox([self.task_status, self.task_type, self.limit]),
            w.HTML("<b>Offer</b>"), w.HBox([self.title_text, self.description_text]),
            w.HBox([self.reward, self.assignments, self.lifetime_hours]), w.HBox([self.min_approval, self.locales]),
            self.cost, w.HBox([self.preview_button, self.create_button, self.progress]),
            w.HTML("<b>HITs</b>"), self.hit_list, w.HBox([self.hit_id, self.more_assignments, self.more_hours]),
            w.HBox([self.extend_button, self.expire_button]))
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
        def plan():
            return work.preview_cost(self.provider, len(self.task_ids()), money.parse(self.reward.value, "reward"),
                                     self.assignments.value)

        cost = self.act(plan, lambda c: f"{c['hits']} HITs would cost {dollars(c['total_cents'])}")
        if cost is not None:
            self.cost.value = (f"<p class='wb-cost'>{cost['hits']} HITs × {self.assignments.value} assignments: "
                               f"rewards {dollars(cost['rewards_cents'])} + fees {dollars(cost['fees_cents'])} = "
                               f"<b>{dollars(cost['total_cents'])}</b></p>")
        return cost

    def create(self):
        def go():
            ids, spec = self.task_ids(), self.spec()
            self.progress.max, self.progress.value = max(1, len(ids)), 0

            def advance(n: int) -> None:
                self.progress.value += n

            options = {"base_url": self.base_url} if self.base_url else {}
            return hits.create(self.provider, self.project, spec, ids, progress=advance, actor="panel", **options)

        result = self.act(go, lambda r: f"created {r.created} HITs ({r.existing} already existed)",
                          buttons=(self.create_button,))
        self.refresh()
        return result

    def extend(self):
        result = self.act(lambda: hits.extend(self.provider, self.hit_id.value or "",
                                              assignments=self.more_assignments.value,
                                              seconds=self.more_hours.value * 3600, actor="panel"),
                          f"extended HIT {self.hit_id.value}", buttons=(self.extend_button,))
        self.refresh()
        return result

    def expire(self):
        result = self.act(lambda: hits.expire(self.provider, self.hit_id.value or "", actor="panel"),
                          f"expired HIT {self.hit_id.value}", buttons=(self.expire_button,))
        self.refresh()
        return result

    def refresh(self) -> None:
        rows = hits.list_(self.provider, project=self.project, limit=500)
        self.hit_list.value = table(rows, ["hit_id", "task_id", "status", "reward_cents", "max_assignments",
                                           "expires_at"])
        current = self.hit_id.value
        self.hit_id.options = [r["hit_id"] for r in rows]
        if current in self.hit_id.options:
            self.hit_id.value = current
