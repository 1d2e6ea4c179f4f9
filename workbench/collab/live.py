"""One session in play: its state in memory, what members may send, and the frames that go out.

Pure and synchronous: no asyncio, no sockets, no store. The hub owns one ``LiveSession``
per session in play, feeds it what arrives, sends the frames it returns, and writes its
``pending`` events (stamped with the server's time on arrival) to the store in batches.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import fastjsonschema
import jsonschema
from jsonschema.exceptions import best_match

from workbench.study.json_safety import check_storable, first_error, result_validator
from ..errors import ValidationError
from ..store.models import CollabSession
from . import paradigms

FRAME_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {"enum": ["hello", "chat", "action", "ping"]},
        "token": {"type": "string", "maxLength": 200},
        "text": {"type": "string", "minLength": 1},
        "action": {"type": "object", "maxProperties": 8},
        "client_id": {"type": "string", "maxLength": 64},
    },
}
_frames = jsonschema.Draft202012Validator(FRAME_SCHEMA)
_fast_frames = fastjsonschema.compile(FRAME_SCHEMA)  # every frame passes here; jsonschema only words errors


#: Said to a person whose page sent a frame the session cannot read (the page never does, so: reload it).
UNREADABLE = "The session could not read what the page sent; reload the page and try again."


def check_frame(frame: Any) -> dict[str, Any]:
    """A client's frame, or ValidationError naming what is wrong with it (its message in plain words).

    What a frame carries becomes events and state, written in batches that every session in play shares: a
    value no store keeps (``json_safety.check_storable``) is refused here, or it would fail them all."""
    if not isinstance(frame, dict):
        raise ValidationError("frame", "must be a JSON object", message=UNREADABLE)
    try:
        check_storable(frame, "frame")
    except ValidationError as exc:
        raise ValidationError(exc.field, exc.reason, message=UNREADABLE) from None
    try:
        _fast_frames(frame)
        error = None
    except fastjsonschema.JsonSchemaException:
        error = best_match(_frames.iter_errors(frame))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        message = "Write a message first." if where == "text" else UNREADABLE
        raise ValidationError(f"frame.{where}" if where else "frame", error.message, message=message)
    needed = {"chat": "text", "action": "action", "hello": "token"}.get(frame["type"])
    if needed and needed not in frame:
        raise ValidationError(f"frame.{needed}", "is required",
                              message="Write a message first." if needed == "text" else UNREADABLE)
    return frame


@dataclass
class Member:
    id: int
    kind: str
    role: str
    label: str
    backend: str = ""
    model: str = ""
    persona: str = ""


@dataclass
class Pending:
    type: str
    member_id: int | None
    ts: datetime
    payload: dict[str, Any]


@dataclass
class LiveSession:
    id: int
    study: str
    paradigm: str
    condition: dict[str, Any]
    config: dict[str, Any]
    status: str
    state: dict[str, Any]
    members: dict[int, Member]
    project_id: int | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    seq: int = 0
    #: The state changed since it was last written.
    dirty: bool = False
    #: Seats that have had a socket in this process (a second one is a reconnect).
    seen: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, cs: CollabSession, messages: list[dict[str, Any]]) -> LiveSession:
        members = {p.id: Member(p.id, p.kind, p.role, p.label, p.backend, p.model, p.persona)
                   for p in cs.participants}
        return cls(cs.id, cs.study.slug, cs.paradigm, dict(cs.condition), cs.study.config, cs.status,
                   copy.deepcopy(cs.state), members, cs.study.project_id, messages, seq=len(messages))

    @property
    def game(self) -> dict[str, Any] | None:
        return self.state.get("game")

    @property
    def finished(self) -> bool:
        return bool(self.game) and paradigms.get(self.paradigm).outcome(self.game) is not None

    def view(self, role: str) -> dict[str, Any] | None:
        return paradigms.get(self.paradigm).view(self.game, role) if self.game else None

    def welcome(self, member: Member, *, resumed: bool = False) -> dict[str, Any]:
        return {"type": "welcome", "session_id": self.id, "role": member.role, "status": self.status,
                "paradigm": self.paradigm, "chat": self.condition.get("chat", True), "resumed": resumed,
                "seats": self.state.get("seats", {}), "state": self.view(member.role),
                "messages": self.messages[-200:]}

    def state_frame(self, role: str) -> dict[str, Any]:
        return {"type": "state", "status": self.status, "state": self.view(role)}

    def chat(self, member: Member, text: str, now: datetime, client_id: str | None = None, *,
             with_move: bool = False) -> dict[str, Any]:
        """A chat line, checked: chat on in this condition, the session in play, length within bounds.

        ``with_move``: the line goes with a move just made, so it is said even when that move ended
        the game (an agent's "I guess apple." belongs to the transcript of the guess that won).
        """
        if not self.condition.get("chat", True):
            raise ValidationError("text", "chat is off in this session", message="There is no chat in this session.")
        if not (with_move and self.status == "active"):
            self._check_playing()
        text = text.strip()
        limit = self.config.get("max_message_chars", 1000)
        if not text or len(text) > limit:
            raise ValidationError("text", f"must be 1-{limit} characters",
                                  message=f"A message has 1 to {limit} characters.")
        self.seq += 1
        message = {"type": "message", "seq": self.seq, "role": member.role, "kind": member.kind, "text": text,
                   "ts": now.isoformat()}
        if client_id:
            message["client_id"] = client_id
        self.messages.append(message)
        self.pending.append(Pending("collab.message", member.id, now, {"text": text, "seq": self.seq,
                                                                       "kind": member.kind}))
        return message

    def act(self, member: Member, action: dict[str, Any], now: datetime) -> None:
        """Apply a move through the paradigm; ValidationError if it is illegal (nothing changes then)."""
        self._check_playing()
        paradigm = paradigms.get(self.paradigm)
        game = paradigm.apply(self.game, member.role, action, validate=self._validate)
        self.state = {**self.state, "game": game}
        self.dirty = True
        self.pending.append(Pending("collab.action", member.id, now, {"action": action, "kind": member.kind,
                                                                      "turn": paradigm.turn(game)}))

    def presence(self, member: Member, connection: str, now: datetime, *, resumed: bool = False) -> None:
        """A socket of ``member`` opened or closed (the seat's connection state is written with the batch)."""
        if connection == "connected":
            self.pending.append(Pending("collab.connect", member.id, now, {"resumed": resumed}))
        else:
            self.pending.append(Pending("collab.leave", member.id, now, {}))

    def agent_call(self, member: Member, record: dict[str, Any], now: datetime) -> None:
        self.pending.append(Pending("collab.agent_call", member.id, now,
                                    {**record, "backend": member.backend, "model": member.model}))

    def _check_playing(self) -> None:
        if self.status == "waiting":
            raise ValidationError("session", "is not in play", message="The session has not started yet.")
        if self.status != "active" or self.finished:
            raise ValidationError("session", "is not in play" if self.status != "ended" else "has ended",
                                  message="The session has ended.")

    def _validate(self, result: Any) -> None:
        schema = (self.game or {}).get("label_schema")
        if not schema:
            return
        # the definition's own rules: RE2 patterns, no reference followed outside the schema
        error = first_error(result_validator(schema), result)
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            raise ValidationError("action.result" + where, error.message, message=plain_result_error(error))

    def take_pending(self) -> tuple[list[Pending], dict[str, Any] | None]:
        """What to write: the pending events, and the state if it changed."""
        taken, self.pending = self.pending, []
        state, self.dirty = (self.state if self.dirty else None), False
        return taken, state


def plain_result_error(error: jsonschema.ValidationError) -> str:
    """Why an answer does not fit the task's label schema, in the words of the person who gave it."""
    name = next((str(p) for p in reversed(error.absolute_path) if isinstance(p, str)), "answer")
    limit = error.validator_value
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in limit)
        return f"“{error.instance}” is not one of the choices this task allows ({allowed})."
    if error.validator == "minItems":
        return f"Give at least {limit} in “{name}”."
    if error.validator == "maxItems":
        return f"Give at most {limit} in “{name}”."
    if error.validator == "minLength":
        return f"Write at least {limit} character{'s' if limit != 1 else ''} in “{name}”."
    if error.validator == "maxLength":
        return f"Write at most {limit} characters in “{name}”."
    if error.validator == "required":
        return "Part of the answer is missing; complete the task and submit again."
    return "This answer does not fit the task; check it and submit again."
