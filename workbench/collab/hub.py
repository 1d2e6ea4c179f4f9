"""The live side of collaboration sessions, in one server process, on one asyncio loop.

The WebSocket handler hands every connection to the ``Hub``: ``attach`` (a token proves a
seat), ``receive`` (a client's frame), ``detach`` (the socket closed). The hub keeps a
``LiveSession`` per session in play, answers at once, and writes what happened to the
store in batches every ``flush_interval`` seconds from a worker thread, so no database
round trip sits between a message and its echo, and nothing is lost (a failed batch is
retried). Agents run as tasks: the local agent inline, network agents in a thread pool,
so a slow model never blocks the loop. A clock task applies the waiting-room, grace and
duration rules (``sessions.tick``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update

from .. import events
from ..errors import ValidationError
from ..store import Store
from ..store.models import CollabParticipant, CollabSession, Event
from ..store.types import utcnow
from . import agents, paradigms, sessions
from .live import UNREADABLE, LiveSession, Member, check_frame

log = logging.getLogger(__name__)
AGENT_RETRIES = 3


class Connection(Protocol):
    def send(self, frame: dict[str, Any]) -> None: ...
    def close(self, code: int, reason: str) -> None: ...


class Hub:
    def __init__(self, store: Store, *, flush_interval: float = 0.05, tick_interval: float = 1.0,
                 agent_retry_s: float = 2.0, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.flush_interval, self.tick_interval, self.agent_retry_s = flush_interval, tick_interval, agent_retry_s
        self.clock = clock
        self.live: dict[int, LiveSession] = {}
        self.conns: dict[int, dict[int, Connection]] = defaultdict(dict)
        self._agents: dict[tuple[int, int], agents.Agent] = {}
        self._busy: set[tuple[int, int]] = set()
        self._again: set[tuple[int, int]] = set()
        self._replied: dict[tuple[int, int], int] = {}
        self._failures: dict[tuple[int, int], int] = defaultdict(int)
        self._ending: set[int] = set()
        self._db = asyncio.Lock()
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="collab-agent")
        self._tasks: list[asyncio.Task] = []
        self.stats = {"frames_in": 0, "frames_out": 0, "rejected": 0, "flushes": 0, "events_written": 0}

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.ensure_future(self._every(self.flush_interval, self.flush)),
                           asyncio.ensure_future(self._every(self.tick_interval, self.tick))]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        await self.flush()
        self._pool.shutdown(wait=False)

    async def _every(self, interval: float, job: Callable) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await job()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round; the next one retries
                log.exception("collaboration hub: %s failed", job.__name__)

    # -- connections -----------------------------------------------------------------
    async def attach(self, session_id: int, token: Any, conn: Connection) -> Member:
        """Seat the connection; ForbiddenError if the token proves no seat in this session."""
        def work():
            with self.store.session() as s:
                participant = sessions.authenticate(s, session_id, token)
                return participant.id, participant.connection == "disconnected"
        member_id, resumed = await asyncio.get_running_loop().run_in_executor(None, work)
        live = await self._load(session_id)
        member = live.members[member_id]
        resumed = resumed or member_id in live.seen
        live.seen.add(member_id)
        old = self.conns[session_id].get(member_id)
        self.conns[session_id][member_id] = conn
        if old is not None and old is not conn:
            old.close(4000, "replaced")
        live.presence(member, "connected", self.clock(), resumed=resumed)
        self._send(conn, live.welcome(member, resumed=resumed))
        if live.status == "ended":
            await self._send_end(live, only=member_id)
        self._kick(live)
        return member

    async def detach(self, session_id: int, member_id: int, conn: Connection) -> None:
        if self.conns.get(session_id, {}).get(member_id) is not conn:
            return  # replaced by a newer connection of the same seat
        del self.conns[session_id][member_id]
        live = self.live.get(session_id)
        if live is not None and live.status != "ended":
            live.presence(live.members[member_id], "disconnected", self.clock())
        if not self.conns[session_id]:
            del self.conns[session_id]
            if live is not None and live.status == "ended":
                self._forget(session_id)

    async def notify(self, session_id: int) -> None:
        """The store changed this session (a worker joined, a clock rule fired): reload and tell everyone."""
        if session_id not in self.live and session_id not in self.conns:
            return
        await self.flush()  # nothing pending may be lost with the stale copy
        self.live.pop(session_id, None)
        live = await self._load(session_id)
        if live.status == "ended":
            await self._send_end(live)
            return
        for member_id, conn in list(self.conns.get(session_id, {}).items()):
            self._send(conn, live.welcome(live.members[member_id]))
        self._kick(live)

    async def _load(self, session_id: int) -> LiveSession:
        if session_id in self.live:
            return self.live[session_id]

        def work():
            with self.store.session() as s:
                cs = sessions.get(s, session_id)
                rows = s.scalars(select(Event).where(Event.type == "collab.message",
                                                     Event.payload["session_id"].as_integer() == session_id)
                                 .order_by(Event.ts, Event.id))
                members = {p.id: p for p in cs.participants}
                messages = [{"type": "message", "seq": e.payload.get("seq"), "text": e.payload.get("text"),
                             "role": members[e.payload["participant_id"]].role, "kind": e.payload.get("kind"),
                             "ts": e.ts.isoformat()} for e in rows]
                return LiveSession.load(cs, messages)
        live = await asyncio.get_running_loop().run_in_executor(None, work)
        return self.live.setdefault(session_id, live)

    def _forget(self, session_id: int) -> None:
        self.live.pop(session_id, None)
        for key in [k for k in self._agents if k[0] == session_id]:
            self._agents.pop(key, None)

    # -- frames ----------------------------------------------------------------------
    def receive(self, session_id: int, member_id: int, frame: Any) -> None:
        """Handle one parsed frame from a seated client; an error frame goes to that client only."""
        self.stats["frames_in"] += 1
        conn = self.conns.get(session_id, {}).get(member_id)
        live = self.live.get(session_id)
        if conn is None or live is None:
            return
        member = live.members[member_id]
        try:
            frame = check_frame(frame)
            kind, now = frame["type"], self.clock()
            if kind == "ping":
                self._send(conn, {"type": "pong", "client_id": frame.get("client_id")})
            elif kind == "chat":
                self._broadcast(live, live.chat(member, frame["text"], now, frame.get("client_id")))
            elif kind == "action":
                live.act(member, frame["action"], now)
                self._broadcast_state(live)
                if frame.get("client_id"):
                    self._send(conn, {"type": "ack", "client_id": frame["client_id"]})
            else:
                raise ValidationError("frame.type", "hello is only the first frame", message=UNREADABLE)
        except ValidationError as exc:
            client_id = frame.get("client_id") if isinstance(frame, dict) else None
            self.reject(conn, exc, client_id if isinstance(client_id, str) and len(client_id) <= 64 else None)
            return
        self._after_change(live)

    def reject(self, conn: Connection, exc: ValidationError, client_id: str | None = None) -> None:
        """An error frame to one client; it carries the refused frame's ``client_id`` so a page can match it."""
        self.stats["rejected"] += 1
        self._send(conn, {"type": "error", **exc.to_dict(), **({"client_id": client_id} if client_id else {})})

    def _after_change(self, live: LiveSession) -> None:
        if live.finished and live.status == "active":
            live.status = "ending"
            self._ending.add(live.id)
        self._kick(live)

    def _send(self, conn: Connection, frame: dict[str, Any]) -> None:
        self.stats["frames_out"] += 1
        try:
            conn.send(frame)
        except Exception:  # noqa: BLE001 - a closed socket is the detach path's business
            log.debug("send to a closing socket dropped", exc_info=True)

    def _broadcast(self, live: LiveSession, frame: dict[str, Any]) -> None:
        for conn in list(self.conns.get(live.id, {}).values()):
            self._send(conn, frame)

    def _broadcast_state(self, live: LiveSession) -> None:
        for member_id, conn in list(self.conns.get(live.id, {}).items()):
            self._send(conn, live.state_frame(live.members[member_id].role))

    async def _send_end(self, live: LiveSession, only: int | None = None) -> None:
        def work():
            with self.store.session() as s:
                cs = sessions.get(s, live.id)
                return cs.end_reason, cs.outcome, {p.id: (p.completion_code, p.partial_pay) for p in cs.participants}
        reason, outcome, codes = await asyncio.get_running_loop().run_in_executor(None, work)
        live.status = "ended"
        for member_id, conn in list(self.conns.get(live.id, {}).items()):
            if only is not None and member_id != only:
                continue
            code, partial = codes.get(member_id, (None, False))
            self._send(conn, {"type": "end", "reason": reason, "outcome": outcome, "completion_code": code,
                              "partial_pay": partial, "state": live.view(live.members[member_id].role)})

    # -- agents ----------------------------------------------------------------------
    def _kick(self, live: LiveSession) -> None:
        for member in live.members.values():
            if member.kind == "agent" and self._wants_turn(live, member):
                asyncio.ensure_future(self._run_agent(live, member))

    def _wants_turn(self, live: LiveSession, member: Member) -> bool:
        if live.status != "active" or live.finished:
            return False
        if paradigms.get(live.paradigm).turn(live.game) == member.role:
            return True
        last = live.messages[-1] if live.messages else None
        return (bool(live.condition.get("chat", True)) and last is not None and last["kind"] == "human"
                and last["seq"] > self._replied.get((live.id, member.id), 0))

    def _agent(self, live: LiveSession, member: Member) -> agents.Agent:
        key = (live.id, member.id)
        if key not in self._agents:
            spec = live.config["agent"]
            self._agents[key] = agents.make(member.backend or spec["backend"], paradigm=live.paradigm,
                                            role=member.role, persona=member.persona, model=member.model,
                                            seed=live.id, chat=live.condition.get("chat", True),
                                            timeout=spec.get("timeout_s", 20))
        return self._agents[key]

    async def _run_agent(self, live: LiveSession, member: Member) -> None:
        key = (live.id, member.id)
        if key in self._busy:
            self._again.add(key)
            return
        self._busy.add(key)
        try:
            while self._wants_turn(live, member):
                self._again.discard(key)
                agent = self._agent(live, member)
                view, messages, seen = live.view(member.role), list(live.messages[-50:]), live.seq
                if agent.backend == "local":
                    turn = agent.observe(view, messages)
                else:
                    turn = await asyncio.get_running_loop().run_in_executor(self._pool, agent.observe, view, messages)
                self._replied[key] = seen
                if live.status != "active":
                    break
                failed = self._apply_turn(live, member, turn)
                if failed:
                    self._failures[key] += 1
                    if self._failures[key] <= AGENT_RETRIES:
                        asyncio.get_running_loop().call_later(self.agent_retry_s, self._kick, live)
                    break
                self._failures[key] = 0
                if key not in self._again and paradigms.get(live.paradigm).turn(live.game) != member.role:
                    break
        finally:
            self._busy.discard(key)

    def _apply_turn(self, live: LiveSession, member: Member, turn: agents.AgentTurn) -> bool:
        """Apply what the agent did; True if it failed (the failure is logged in the session, not raised)."""
        now = self.clock()
        record = turn.call_record(with_prompt=member.backend != "local")
        acted = False
        if turn.act is not None and not turn.error:
            try:
                live.act(member, turn.act, now)
                acted = True
            except ValidationError as exc:
                record["error"] = f"illegal action: {exc}"
        live.agent_call(member, record, now)
        if turn.say and live.condition.get("chat", True):
            try:
                self._broadcast(live, live.chat(member, turn.say[:live.config.get("max_message_chars", 1000)], now,
                                                with_move=acted))
            except ValidationError:
                pass  # a reply after the end, or an empty line: nothing to say
        if acted:
            self._broadcast_state(live)
        if record.get("error"):
            self._broadcast(live, {"type": "notice", "text": "The agent could not take its turn; it will retry."})
        self._after_change(live)
        still_its_turn = paradigms.get(live.paradigm).turn(live.game) == member.role if live.game else False
        return bool(record.get("error")) or (turn.act is None and still_its_turn)

    # -- the store -------------------------------------------------------------------
    async def flush(self) -> None:
        """Write every pending event and state, and end finished sessions, in one transaction."""
        async with self._db:  # collect under the lock: what is taken is written before the next round
            batch = self._collect()
            if not batch:
                return
            try:
                await asyncio.get_running_loop().run_in_executor(None, self._write, batch)
            except Exception:
                for live, pending, state, _ in batch:  # put them back, in order, for the next round
                    live.pending[:0] = pending
                    live.dirty = live.dirty or state is not None
                raise
        self.stats["flushes"] += 1
        self.stats["events_written"] += sum(len(p) for _, p, _, _ in batch)
        for live, _, _, ending in batch:
            if ending:
                self._ending.discard(live.id)
                await self._send_end(live)

    def flush_now(self) -> None:
        """Write what is pending from this thread (the process is exiting and the loop is gone)."""
        batch = self._collect()
        if batch:
            self._write(batch)

    def _collect(self) -> list[tuple[LiveSession, list, dict[str, Any] | None, bool]]:
        batch = []
        for live in self.live.values():
            if live.pending or live.dirty or live.id in self._ending:
                pending, state = live.take_pending()
                batch.append((live, pending, state, live.id in self._ending))
        return batch

    def _write(self, batch: list[tuple[LiveSession, list, dict[str, Any] | None, bool]]) -> None:
        """One transaction: the events as one bulk insert, changed states, then the ends."""
        now = self.clock()
        rows = []
        for live, pending, _, _ in batch:
            for item in pending:
                member = live.members.get(item.member_id)
                rows.append({"type": item.type, "ts": item.ts, "project_id": live.project_id,
                             "actor": member.label if member else events.SYSTEM,
                             "payload": sessions.event_payload(live.id, live.study, member.role if member else None,
                                                               item.member_id, item.payload)})
        with self.store.transaction() as s:
            if rows:
                s.execute(insert(Event), rows)
            for live, pending, state, _ in batch:
                for item in pending:
                    if item.type in ("collab.connect", "collab.leave"):
                        s.execute(update(CollabParticipant).where(CollabParticipant.id == item.member_id).values(
                            connection="connected" if item.type == "collab.connect" else "disconnected",
                            last_seen=item.ts))
                if state is not None:
                    s.execute(update(CollabSession).where(CollabSession.id == live.id,
                                                          CollabSession.status != "ended")
                              .values(state=state, updated_at=now))
            for live, _, _, ending in batch:
                if ending:
                    sessions.end(s, s.get(CollabSession, live.id), "completed", now)

    async def tick(self) -> list[dict[str, Any]]:
        """Apply the clock rules (waits, grace periods, durations) and tell the affected clients."""
        await self.flush()

        def work():
            with self.store.transaction() as s:
                return sessions.tick(s, self.clock())
        async with self._db:
            changes = await asyncio.get_running_loop().run_in_executor(None, work)
        for change in changes:
            await self.notify(change["session_id"])
        return changes
