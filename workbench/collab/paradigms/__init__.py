"""Collaboration paradigms: pure state machines (roles, legal actions, turn order, outcome).

A paradigm never touches the store or the network. The live hub applies actions to a
session's state through it; agents and pages read the state through ``view``. Agents are
told their role by ``instructions``; people read ``ROLES_FOR_PEOPLE`` and ``rules`` on the
session page. A refused move's ``message`` is written for the person who made it.
"""

from __future__ import annotations

from typing import Any, Protocol

from ...errors import ValidationError
from . import assisted_labelling, word_guessing


class Paradigm(Protocol):
    NAME: str
    TITLE: str
    ROLES: tuple[str, ...]
    AGENT_ROLE: str
    #: role -> (what it does, said to the one who has it; said about one who has it), in people's words
    ROLES_FOR_PEOPLE: dict[str, tuple[str, str]]

    def new_state(self, config: dict[str, Any], seed: int, context: dict[str, Any]) -> dict[str, Any]: ...
    def view(self, state: dict[str, Any], role: str) -> dict[str, Any]: ...
    def turn(self, state: dict[str, Any]) -> str | None: ...
    def apply(self, state: dict[str, Any], role: str, action: dict[str, Any], **context: Any) -> dict[str, Any]: ...
    def outcome(self, state: dict[str, Any]) -> dict[str, Any] | None: ...
    def instructions(self, role: str) -> str: ...
    def rules(self, config: dict[str, Any], seats: dict[str, str]) -> list[str]: ...


PARADIGMS: dict[str, Any] = {word_guessing.NAME: word_guessing, assisted_labelling.NAME: assisted_labelling}


def get(name: str) -> Paradigm:
    try:
        return PARADIGMS[name]
    except KeyError:
        raise ValidationError("paradigm", f"must be one of {sorted(PARADIGMS)}") from None
