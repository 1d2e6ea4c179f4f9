"""The project overview panel: tasks, annotations and assignments, and progress toward completion."""

from __future__ import annotations

import ipywidgets as w

from workbench.study import projects
from .base import Panel, dollars, table


class ProjectOverview(Panel):
    title = "Project overview"

    def __init__(self, store, project: str, provider=None) -> None:
        super().__init__()
        self.store, self.project, self.provider = store, project, provider
        self.progress = w.FloatProgress(min=0, max=1, description="complete", bar_style="success")
        self.summary = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.widget = self.frame(self.summary, self.progress, self.refresh_button)
        self.refresh()

    def refresh(self) -> dict | None:
        def load():
            with self.store.session() as s:
                stats = projects.stats(s, self.project)
            if self.provider is not None:
                stats["cost"] = self.provider.cost(project=self.project)
            return stats

        stats = self.act(load, lambda st: f"{st['project_slug']}: {st['tasks']['complete']} of "
                                          f"{st['tasks']['total']} tasks complete")
        if stats is None:
            return None
        tasks = stats["tasks"]
        self.progress.value = tasks["complete"] / tasks["total"] if tasks["total"] else 0.0
        self.progress.description = f"{self.progress.value:.0%}"
        rows = [{"what": "tasks", **{k: v for k, v in tasks.items()}},
                {"what": self.provider.words.attempts if self.provider is not None else "assignments",
                 **stats["assignments"]}]
        cost = stats.get("cost")
        extra = (f"<p>spent {dollars(cost['spent_cents'])}, committed {dollars(cost['committed_cents'])}</p>"
                 if cost else "")
        self.summary.value = (table(rows[:1], ["what", *tasks.keys()])
                              + table(rows[1:], ["what", *stats["assignments"].keys()])
                              + f"<p>annotations: {stats['annotations']['total']} by "
                                f"{stats['annotations']['unique_actors']} raters</p>" + extra)
        self.stats = stats
        return stats
