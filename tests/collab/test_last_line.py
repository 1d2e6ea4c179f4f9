"""The agent's line that goes with the move ending the game reaches the people and the transcript."""

from __future__ import annotations

import asyncio

from workbench.collab import export, sessions
from workbench.collab.hub import Hub
from workbench.collab.paradigms import word_guessing
from workbench.store.types import utcnow

from .test_export_metrics import FakeConn

AGENT_GUESSES = {"paradigm": "word_guessing", "seed": 4, "conditions": [{"agent": True, "agent_role": "guesser"}],
                 "word_guessing": {"max_guesses": 3}}


async def _play_as_hinter(store, hint_for) -> tuple[int, FakeConn, dict]:
    """One session: a person hints with ``hint_for(state)`` on each turn, the local agent guesses, to the end."""
    hub = Hub(store, flush_interval=0.01, tick_interval=60)
    hub.start()
    with store.transaction() as s:
        seat = sessions.join(s, "agent-guesses", worker_id="W1", assignment_id="A1", now=utcnow())
        sid, token = seat.session.id, seat.token
    conn = FakeConn()
    member = await hub.attach(sid, token, conn)
    assert member.role == "hinter"
    for _ in range(500):
        live = hub.live.get(sid)
        if any(f["type"] == "end" for f in conn.frames):
            break
        if live and live.status == "active" and live.game["turn"] == "hinter" and not live.game["result"]:
            hub.receive(sid, member.id, {"type": "action", "action": {"kind": "hint", "word": hint_for(live.game)}})
        await asyncio.sleep(0.01)
    await hub.stop()
    end = next(f for f in conn.frames if f["type"] == "end")
    return sid, conn, end


def _agent_lines(conn: FakeConn) -> list[str]:
    return [f["text"] for f in conn.frames if f["type"] == "message" and f["kind"] == "agent"]


def test_the_winning_guess_is_said_on_the_page_and_kept_in_the_transcript(store):
    with store.transaction() as s:
        sessions.create_study(s, "agent-guesses", AGENT_GUESSES)
    # The hinter names the target's first association: the local guesser picks the target at once.
    sid, conn, end = asyncio.run(_play_as_hinter(store, lambda g: word_guessing.VOCABULARY[g["target"]][0]))
    target = end["outcome"]["target"]
    assert end["outcome"]["result"] == "won" and end["outcome"]["guesses"] == 1
    assert _agent_lines(conn) == [f"I guess {target}."]
    # The line reached the page before the end frame, and it is in the transcript next to the guess.
    kinds = [f["type"] for f in conn.frames]
    assert kinds.index("message") < kinds.index("end")
    rows = [r for batch in export.rows(store, study="agent-guesses") for r in batch if r["session_id"] == sid]
    said = [r["text"] for r in rows if r["type"] == "message" and r["participant_kind"] == "agent"]
    assert said == [f"I guess {target}."]


def test_every_guess_of_a_lost_game_is_said_the_last_one_too(store):
    with store.transaction() as s:
        sessions.create_study(s, "agent-guesses", AGENT_GUESSES)
    used: list[str] = []

    def unhelpful(game):  # hints tied to no board word; each a new word of letters
        used.append("zz" + "q" * len(used))
        return used[-1]

    sid, conn, end = asyncio.run(_play_as_hinter(store, unhelpful))
    guesses = [f["state"]["guesses"] for f in conn.frames if f["type"] == "end"][0]
    lines = [f"I guess {word}." for word in guesses]
    assert _agent_lines(conn) == lines and len(lines) == end["outcome"]["guesses"]
    rows = [r for batch in export.rows(store, study="agent-guesses") for r in batch if r["session_id"] == sid]
    assert [r["text"] for r in rows if r["type"] == "message"] == lines
