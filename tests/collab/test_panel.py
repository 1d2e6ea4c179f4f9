"""The sessions monitor, through its widgets' state."""

from __future__ import annotations

import asyncio

from workbench.collab import sessions
from workbench.panels.collab import CollabMonitor

from .conftest import at


def test_the_monitor_shows_sessions_and_refreshes(store):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", {"paradigm": "word_guessing", "conditions": [{"agent": False}]})
        sessions.join(s, "pairs", worker_id="W1", assignment_id="A1", now=at(0))
    panel = CollabMonitor(store, study="pairs")
    assert [r["status"] for r in panel.rows] == ["waiting"]
    assert "1 waiting, 0 active, 0 ended" in panel.summary.value and "hinter:human:new" in panel.table.value
    with store.transaction() as s:
        sessions.join(s, "pairs", worker_id="<b>W2</b>", assignment_id="A2", now=at(1))
    panel.refresh_button.click()
    assert [r["status"] for r in panel.rows] == ["active"] and "0 waiting, 1 active" in panel.summary.value
    assert "<b>" not in panel.table.value
    panel.status.value = "ended"
    panel.refresh()
    assert panel.rows == [] and "0 messages" in panel.summary.value


def test_an_unknown_study_is_reported_not_raised(store):
    panel = CollabMonitor(store, study="nope")
    assert "nope" in panel.error.value and panel.rows == []


def test_auto_refresh_runs_on_the_event_loop(store):
    async def scenario():
        panel = CollabMonitor(store, interval=0.05)
        panel.auto.value = True
        with store.transaction() as s:
            sessions.create_study(s, "solo", {"paradigm": "word_guessing"})
            sessions.join(s, "solo", worker_id="W1", assignment_id="A1", now=at(0))
        for _ in range(100):
            await asyncio.sleep(0.02)
            if panel.rows:
                break
        panel.auto.value = False
        return panel
    panel = asyncio.run(scenario())
    assert [r["status"] for r in panel.rows] == ["active"] and panel._timer is None
