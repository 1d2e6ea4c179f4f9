"""Load on the collaboration hub: concurrent sessions with the local agent on one server process.

Seats ``--sessions`` workers (each in a session of their own with the local agent as the
hinter, chat on), starts one Jupyter server process with the collaboration face on a
SQLite store, and drives every seat from asyncio WebSocket clients in a separate process.
Each client first measures ping round trips (the baseline: socket and loop, no persistence,
no broadcast), then sends chat messages one at a time and waits for its own echo (the
round trip: validation, broadcast, the agent's reply scheduled, the batched write queued).
After the server stops, the store is checked: every message acknowledged must be there.

Last line: one JSON object with round-trip p50/p99, messages/s and dropped messages.
Targets: p99 at most 100 ms; 0 dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# -- the clients (a separate process) ---------------------------------------------------
async def client(ws_base: str, seat: dict, pings: int, messages: int, interval: float, start: asyncio.Event,
                 out: dict) -> None:
    from websockets.asyncio.client import connect

    async with connect(f"{ws_base}{seat['session_id']}", max_size=2**20, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "hello", "token": seat["token"]}))
        waiters: dict[str, asyncio.Future] = {}

        async def reader():
            async for raw in ws:
                frame = json.loads(raw)
                key = frame.get("client_id")
                if frame["type"] in ("pong", "message") and key in waiters and not waiters[key].done():
                    waiters[key].set_result(time.perf_counter())
                elif frame["type"] == "error":
                    out["errors"].append(frame.get("message"))
        task = asyncio.ensure_future(reader())
        out["connected"] += 1
        await start.wait()
        for phase, count, kind in (("ping", pings, "ping"), ("chat", messages, "chat")):
            if phase == "chat":
                await out["chat_start"].wait()
            # Workers do not type in lockstep: each starts a phase at its own moment.
            await asyncio.sleep(random.Random(f"{seat['session_id']}:{phase}").uniform(0, interval))
            for n in range(count):
                key = f"{phase}-{seat['session_id']}-{n}"
                waiters[key] = asyncio.get_running_loop().create_future()
                frame = {"type": kind, "client_id": key}
                if kind == "chat":
                    frame["text"] = f"message {n} from session {seat['session_id']}"
                sent = time.perf_counter()
                await ws.send(json.dumps(frame))
                out["sent_" + phase] += 1
                try:
                    got = await asyncio.wait_for(waiters[key], 5.0)
                    out["rtt_" + phase].append((got - sent) * 1000)
                except asyncio.TimeoutError:
                    out["dropped_" + phase] += 1
                await asyncio.sleep(interval)
            out["done_" + phase] += 1
            if phase == "ping" and out["done_ping"] == out["n"]:
                out["chat_t0"] = time.perf_counter()
                out["chat_start"].set()
        task.cancel()


async def run_clients(ws_base: str, seats: list[dict], pings: int, messages: int, interval: float) -> dict:
    start, chat_start = asyncio.Event(), asyncio.Event()
    out = {"n": len(seats), "connected": 0, "errors": [], "chat_start": chat_start,
           **{f"{k}_{p}": ([] if k == "rtt" else 0) for k in ("rtt", "sent", "dropped", "done") for p in ("ping", "chat")}}
    tasks = [asyncio.ensure_future(client(ws_base, seat, pings, messages, interval, start, out)) for seat in seats]
    while out["connected"] < len(seats):
        await asyncio.sleep(0.05)
        if any(t.done() and t.exception() for t in tasks):
            raise next(t.exception() for t in tasks if t.done() and t.exception())
    await asyncio.sleep(2.0)  # let the agents' first turns and the connection writes settle
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - out["chat_t0"]
    out.pop("chat_start")
    out["chat_seconds"] = elapsed
    return out


def client_main(ws_base: str, pings: int, messages: int, interval: float) -> None:
    seats = json.load(sys.stdin)
    result = asyncio.run(run_clients(ws_base, seats, pings, messages, interval))
    print(json.dumps(result))


# -- the driver -------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--messages", type=int, default=15, help="chat messages per client")
    parser.add_argument("--pings", type=int, default=10, help="baseline pings per client")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between a client's messages (1.0: a brisk chat; 0.2 is a stress test)")
    parser.add_argument("--client", metavar="WS_BASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.pings, args.messages, args.interval)
        return

    home = Path(tempfile.mkdtemp(prefix="collab-bench-"))
    os.environ["WORKBENCH_HOME"] = str(home)
    from sqlalchemy import func, select

    from workbench.collab import sessions
    from workbench.devtools.collab import runner
    from workbench.store import Store
    from workbench.store.models import Event
    from workbench.store.types import utcnow

    store = Store(f"sqlite:///{home / 'workbench.db'}")
    store.upgrade(backup=False)
    with store.transaction() as s:
        sessions.create_study(s, "load", {"paradigm": "word_guessing", "max_duration_s": 3600, "grace_s": 600,
                                          "conditions": [{"agent": True, "agent_role": "hinter", "chat": True}]})
    seats = []
    for n in range(args.sessions):
        with store.transaction() as s:
            seat = sessions.join(s, "load", worker_id=f"W{n}", assignment_id=f"A{n}", now=utcnow())
            seats.append({"session_id": seat.session.id, "token": seat.token})
    print(f"{len(seats)} sessions seated in {home}", flush=True)
    with runner.start(store.url, flush_interval=0.05) as server:
        ws_base = server.url.replace("http", "ws", 1) + "workbench/collab/ws/"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--client", ws_base, "--pings", str(args.pings),
                               "--messages", str(args.messages), "--interval", str(args.interval)],
                              input=json.dumps(seats), capture_output=True, text=True, timeout=600)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit("the client process failed")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    with store.session() as s:
        human = s.scalar(select(func.count()).select_from(Event).where(
            Event.type == "collab.message", Event.payload["kind"].as_string() == "human"))
    acknowledged = len(result["rtt_chat"])
    chat, ping = result["rtt_chat"], result["rtt_ping"]
    summary = {
        "sessions": args.sessions, "clients_connected": result["connected"],
        "messages_sent": result["sent_chat"], "messages_acknowledged": acknowledged,
        "rtt_ms_p50": round(percentile(chat, 50), 2), "rtt_ms_p99": round(percentile(chat, 99), 2),
        "rtt_ms_max": round(max(chat), 2) if chat else None,
        "messages_per_s": round(acknowledged / result["chat_seconds"], 1),
        "dropped": result["dropped_chat"] + (result["sent_chat"] - acknowledged - result["dropped_chat"]),
        "persisted_human_messages": human, "lost_in_store": acknowledged - human,
        "baseline_ping_ms_p50": round(percentile(ping, 50), 2), "baseline_ping_ms_p99": round(percentile(ping, 99), 2),
        "errors": len(result["errors"]), "wall_s": round(wall, 1),
        "targets": {"rtt_ms_p99_max": 100, "dropped": 0},
    }
    summary["ok"] = summary["rtt_ms_p99"] <= 100 and summary["dropped"] == 0 and summary["lost_in_store"] == 0
    print(f"chat round trip p50 {summary['rtt_ms_p50']} ms, p99 {summary['rtt_ms_p99']} ms "
          f"(baseline ping p50 {summary['baseline_ping_ms_p50']} ms, p99 {summary['baseline_ping_ms_p99']} ms); "
          f"{summary['messages_per_s']} messages/s; {summary['dropped']} dropped; "
          f"{human} of {acknowledged} acknowledged messages in the store")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
