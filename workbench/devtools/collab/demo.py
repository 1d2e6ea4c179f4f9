"""The collaboration demo: a word-guessing session between a simulated worker and the local agent.

Everything real but the people: a Jupyter server process with the collaboration face, the
join link a crowd platform would send, the public WebSocket, the local agent, the store.
It ends with the session's transcript exported and a summary.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from workbench import config
from workbench.errors import NotFoundError
from workbench.store import Store
from workbench.collab import export, sessions
from . import runner, simclient

STUDY = "collab-demo"
CONFIG = {"paradigm": "word_guessing", "seed": 1, "conditions": [{"agent": True, "agent_role": "hinter"}],
          "max_wait_s": 30, "grace_s": 30, "word_guessing": {"max_guesses": 5, "board_size": 8}}
CHAT = ["Hi! I'm ready when you are.", "Thanks, that helps."]


def ensure_study(store: Store) -> None:
    with store.transaction() as s:
        try:
            sessions.get_study(s, STUDY)
        except NotFoundError:
            sessions.create_study(s, STUDY, CONFIG, name="Word guessing with the local agent")


def run(store: Store, *, echo: Callable[[str], None] = print, n_sessions: int = 1) -> dict[str, Any]:
    """Run ``n_sessions`` sessions, one simulated worker each, against a server in a child process."""
    ensure_study(store)
    results = []
    with runner.start(store.url) as server:
        echo(f"server:   {server.url} (pid {server.proc.pid})")
        for n in range(n_sessions):
            assignment = f"DEMO-{uuid.uuid4().hex[:12].upper()}"
            link = server.join_url(STUDY, f"SIMWORKER{n}", assignment, "DEMOHIT")
            seat = simclient.open_seat(link)
            echo(f"session:  {seat['session_id']} joined as {seat['role']} via {link.split('?')[0]}")
            ws_url = server.url.replace("http", "ws", 1).rstrip("/") + seat["ws_path"]
            played = asyncio.run(simclient.play(ws_url, seat["token"], seed=n, chat=CHAT))
            end = played["end"]
            echo(f"outcome:  {end['outcome']['result']} after {end['outcome']['guesses']} guess(es); "
                 f"completion code {end['completion_code']}")
            results.append((seat["session_id"], end))
    out = config.home() / "collab-demo" / "transcript.jsonl"
    written = export.export(store, out, "jsonl", study=STUDY)
    ids = {sid for sid, _ in results}
    messages = sum(1 for batch in export.rows(store, study=STUDY) for row in batch
                   if row["session_id"] in ids and row["type"] == "message")
    echo(f"transcript: {written['rows']} rows in {out}")
    outcomes = [end["outcome"] for _, end in results]
    return {"sessions": len(results), "messages": messages,
            "outcome": outcomes[0] if len(outcomes) == 1 else outcomes,
            "completion_codes": sum(1 for _, end in results if end.get("completion_code")),
            "transcript": str(out)}
