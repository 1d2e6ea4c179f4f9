"""The live sessions monitor: collaboration sessions of a study, their seats and their chatter.

A refresh button and an optional auto-refresh (on the kernel's event loop) call
``sessions.overview`` and render its rows; nothing here decides anything.
"""

from __future__ import annotations

import asyncio
import html
from collections import Counter
from typing import Any

import ipywidgets as widgets

from ..collab import sessions
from ..errors import WorkbenchError
from ..store import Store, open_store

COLUMNS = ("session_id", "study", "condition", "status", "seats", "messages", "started_at", "end_reason", "result")


class CollabMonitor(widgets.VBox):
    """``CollabMonitor(study="pairs")`` in a notebook cell shows the study's sessions, live."""

    def __init__(self, store: Store | None = None, *, study: str | None = None, interval: float = 5.0,
                 limit: int = 200) -> None:
        self.store = store or open_store()
        self.limit = limit
        self.interval = interval
        self.study = widgets.Text(value=study or "", description="Study", placeholder="all studies")
        self.status = widgets.Dropdown(options=[("any", ""), ("waiting", "waiting"), ("active", "active"),
                                                ("ended", "ended")], description="Status")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.auto = widgets.Checkbox(value=False, description=f"Auto-refresh every {interval:g}s")
        self.summary = widgets.HTML()
        self.table = widgets.HTML()
        self.error = widgets.HTML()
        self.rows: list[dict[str, Any]] = []
        self._timer: asyncio.TimerHandle | None = None
        self.refresh_button.on_click(lambda _: self.refresh())
        self.auto.observe(self._toggle, names="value")
        super().__init__([widgets.HBox([self.study, self.status, self.refresh_button, self.auto]),
                          self.summary, self.error, self.table])
        self.refresh()

    def refresh(self) -> None:
        try:
            with self.store.session() as s:
                self.rows = sessions.overview(s, study=self.study.value.strip() or None,
                                              status=self.status.value or None, limit=self.limit)
        except WorkbenchError as exc:
            self.error.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            return
        self.error.value = ""
        counts = Counter(row["status"] for row in self.rows)
        self.summary.value = html.escape(", ".join(f"{counts.get(k, 0)} {k}" for k in ("waiting", "active", "ended"))
                                         + f"; {sum(r['messages'] for r in self.rows)} messages")
        head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_show(row[c]))}</td>" for c in COLUMNS) + "</tr>"
                       for row in self.rows)
        self.table.value = f"<table class='wb-collab'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _toggle(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._schedule()
        elif self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        if not self.auto.value:
            return
        self.refresh()
        self._schedule()


def _show(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")
    return str(value)
