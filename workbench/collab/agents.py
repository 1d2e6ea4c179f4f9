"""Agent participants: an agent observes the state and the messages, then acts and/or speaks.

Two backends. ``LocalAgent`` plays deterministically from a seed and never touches the
network (offline runs, tests, benchmarks). ``OpenAIChatAgent`` asks any server that speaks
the OpenAI chat-completions API (``OPENAI_BASE_URL``, key from ``OPENAI_API_KEY``).
A failing call (timeout, HTTP error, unreadable reply) becomes a turn with ``error`` set:
it is recorded in the session log and never ends the session. The key is never logged.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ValidationError
from . import paradigms
from .paradigms import assisted_labelling, word_guessing

DEFAULT_PERSONA = "You are a friendly, concise teammate."
BACKENDS = ("local", "openai")


@dataclass
class AgentTurn:
    """What an agent does in one turn, and what the call cost."""

    say: str | None = None
    act: dict[str, Any] | None = None
    error: str | None = None
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt: list[dict[str, str]] = field(default_factory=list)
    completion: str = ""

    def call_record(self, *, with_prompt: bool = True) -> dict[str, Any]:
        """The ``collab.agent_call`` payload (no secrets: the prompt is ours, the key is not in it).

        ``with_prompt=False`` leaves the prompt out: the local agent's prompt follows from its
        seed and the transcript, and writing it on every call would dwarf the transcript.
        """
        out = asdict(self)
        out["latency_ms"] = round(self.latency_ms, 3)
        if not with_prompt:
            out.pop("prompt")
            out["prompt_chars"] = sum(len(m["content"]) for m in self.prompt)
        return out


class Agent:
    """The interface: ``observe(state, messages) -> AgentTurn``."""

    backend = "base"

    def __init__(self, *, paradigm: str, role: str, persona: str = DEFAULT_PERSONA, model: str = "",
                 seed: int = 0, chat: bool = True) -> None:
        self.paradigm = paradigms.get(paradigm)
        self.role = role
        self.persona = persona or DEFAULT_PERSONA
        self.model = model
        self.seed = seed
        self.chat = chat

    def system_prompt(self) -> str:
        return f"{self.persona}\n\n{self.paradigm.instructions(self.role)}"

    def prompts(self) -> dict[str, Any]:
        """What the session stores about how this agent is prompted."""
        return {"system": self.system_prompt(), "reply_format": REPLY_FORMAT}

    def observe(self, state: dict[str, Any], messages: list[dict[str, Any]]) -> AgentTurn:
        raise NotImplementedError


REPLY_FORMAT = ('Reply with one JSON object: {"say": <a short chat message or null>, '
                '"act": <an action object or null>}. Act only when it is your turn.')


class LocalAgent(Agent):
    """A deterministic player: the same seed, state and messages give the same turn; no network."""

    backend = "local"
    REPLIES = ("Sounds good.", "Let me think about that.", "Okay, noted.", "Good idea.", "Right, let's go on.")

    def observe(self, state: dict[str, Any], messages: list[dict[str, Any]]) -> AgentTurn:
        started = time.perf_counter()
        rng = random.Random(f"{self.seed}:{len(messages)}:{len(state.get('hints', ()))}:{state.get('turn')}")
        prompt = [{"role": "system", "content": self.system_prompt()},
                  {"role": "user", "content": _observation(state, messages[-10:])}]
        turn = AgentTurn(prompt=prompt)
        if self.paradigm.turn(state) == self.role:
            turn.act = self._move(state, rng)
            if self.chat:
                turn.say = _describe(turn.act)
        elif self.chat and messages and messages[-1].get("kind") == "human":
            turn.say = self._reply(state, rng)
        turn.completion = json.dumps({"say": turn.say, "act": turn.act})
        turn.prompt_tokens = sum(len(m["content"].split()) for m in prompt)
        turn.completion_tokens = len(turn.completion.split())
        turn.latency_ms = (time.perf_counter() - started) * 1000
        return turn

    def _reply(self, state: dict[str, Any], rng: random.Random) -> str:
        if self.role == "helper" and state.get("hints") and not state.get("result"):
            return f"The hints point to {word_guessing.local_move(state, 'guesser', rng)['word']}, I think."
        return rng.choice(self.REPLIES)

    def _move(self, state: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        if self.paradigm is word_guessing:
            return word_guessing.local_move(state, self.role, rng)
        return {"kind": "propose", "result": assisted_labelling.local_proposal(state)}


class OpenAIChatAgent(Agent):
    """An agent behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    backend = "openai"

    def __init__(self, *, timeout: float = 20.0, base_url: str | None = None, api_key: str | None = None,
                 max_history: int = 20, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.model:
            raise ValidationError("agent.model", "is required for the openai backend")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.timeout = timeout
        self.max_history = max_history

    def __repr__(self) -> str:  # never show the key
        return f"<OpenAIChatAgent {self.model} at {self.base_url}>"

    def observe(self, state: dict[str, Any], messages: list[dict[str, Any]]) -> AgentTurn:
        # httpx (~0.15 s) is loaded only when such an agent takes a turn; the server imports this module at start
        import httpx

        prompt = [{"role": "system", "content": f"{self.system_prompt()}\n\n{REPLY_FORMAT}"},
                  {"role": "user", "content": _observation(state, messages[-self.max_history:])}]
        turn = AgentTurn(prompt=prompt)
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        body = {"model": self.model, "messages": prompt, "temperature": 0}
        started = time.perf_counter()
        try:
            response = httpx.post(f"{self.base_url}/chat/completions", json=body, headers=headers,
                                  timeout=self.timeout)
            turn.latency_ms = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                turn.error = f"http {response.status_code}: {response.text[:200]}"
                return turn
            data = response.json()
            usage = data.get("usage") or {}
            turn.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            turn.completion_tokens = int(usage.get("completion_tokens") or 0)
            turn.completion = data["choices"][0]["message"]["content"] or ""
        except httpx.TimeoutException:
            turn.latency_ms = (time.perf_counter() - started) * 1000
            turn.error = f"timeout after {self.timeout:g}s"
            return turn
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            turn.latency_ms = (time.perf_counter() - started) * 1000
            turn.error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return turn
        _read_reply(turn)
        return turn


def _read_reply(turn: AgentTurn) -> None:
    """Fill ``say``/``act`` from the model's text: a JSON object if there is one, else plain speech."""
    match = re.search(r"\{.*\}", turn.completion, re.S)
    try:
        reply = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        reply = None
    if not isinstance(reply, dict):
        turn.say = turn.completion.strip()[:500] or None
        return
    say, act = reply.get("say"), reply.get("act")
    turn.say = say.strip()[:500] if isinstance(say, str) and say.strip() else None
    turn.act = act if isinstance(act, dict) else None


def _observation(state: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    chat = "\n".join(f"{m.get('role')}: {m.get('text')}" for m in messages if m.get("text"))
    return f"State: {json.dumps(state, sort_keys=True, default=str)}\nChat so far:\n{chat or '(none)'}"


def _describe(act: dict[str, Any]) -> str:
    if act.get("kind") == "hint":
        return f"My hint: {act['word']}."
    if act.get("kind") == "guess":
        return f"I guess {act['word']}."
    return "Here is my proposal; please check it."


def make(backend: str, **kwargs: Any) -> Agent:
    """An agent of the named backend (``local`` or ``openai``)."""
    if backend == "local":
        kwargs.pop("timeout", None)
        return LocalAgent(**kwargs)
    if backend == "openai":
        return OpenAIChatAgent(**kwargs)
    raise ValidationError("agent.backend", f"must be one of {list(BACKENDS)}")
