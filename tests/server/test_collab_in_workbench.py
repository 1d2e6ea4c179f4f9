"""The collaboration face inside the main extension (WorkbenchApp): join page and socket on its routes."""

from __future__ import annotations

from tests.collab.wsclient import Client, join
from workbench.collab import sessions


async def test_join_and_socket_under_the_workbench_extension(wb_store, jp_fetch, jp_http_port, jp_base_url):
    with wb_store.transaction() as s:
        sessions.create_study(s, "duo", {"paradigm": "word_guessing"})
    seat = await join(jp_fetch, "duo", "W1", "A1")
    me = await Client.open(jp_http_port, jp_base_url, seat["session"], seat["token"])
    welcome = await me.until(lambda f: f["type"] == "welcome")
    assert welcome["status"] == "active" and welcome["role"] == "guesser"
    state = await me.until(lambda f: f["type"] == "state")
    assert len(state["state"]["hints"]) == 1  # the local agent, as the hinter, took its turn
    me.close()
    css = await jp_fetch("workbench", "collab", "static", "collab.css", method="GET")
    assert css.code == 200
