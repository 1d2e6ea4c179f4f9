"""A simulated human over the real WebSocket: joins through the link, chats, plays the guesser's moves."""

from __future__ import annotations

import asyncio
import json
import random
import re
from typing import Any

import httpx
from websockets.asyncio.client import connect

from workbench.collab.paradigms import word_guessing


def open_seat(join_url: str) -> dict[str, Any]:
    """Follow the join link like a browser; the seat's session id, token and socket path from the page."""
    page = httpx.get(join_url, timeout=30)
    page.raise_for_status()
    found = {key: re.search(rf'data-{key}="([^"]*)"', page.text).group(1) for key in ("session", "token", "ws", "role")}
    return {"session_id": int(found["session"]), "token": found["token"], "ws_path": found["ws"], "role": found["role"]}


async def play(ws_url: str, token: str, *, seed: int = 0, chat: list[str] = (), timeout: float = 60) -> dict[str, Any]:
    """Play to the end as the seat's role; return the end frame and how many frames went each way."""
    rng = random.Random(seed)
    sent = received = 0
    async with connect(ws_url, max_size=2**20) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token}))
        sent += 1
        role = None
        async with asyncio.timeout(timeout):
            async for raw in ws:
                received += 1
                frame = json.loads(raw)
                if frame["type"] == "welcome":
                    role = frame["role"]
                    for line in chat if frame["chat"] and not frame["resumed"] else ():
                        await ws.send(json.dumps({"type": "chat", "text": line}))
                        sent += 1
                if frame["type"] == "end":
                    return {"end": frame, "sent": sent, "received": received}
                if frame["type"] in ("welcome", "state") and frame.get("state") and frame["status"] == "active":
                    state = frame["state"]
                    if state.get("turn") == role and not state.get("result"):
                        move = word_guessing.local_move(state, role, rng)
                        await ws.send(json.dumps({"type": "action", "action": move}))
                        sent += 1
    raise ConnectionError("the session closed without an end frame")
