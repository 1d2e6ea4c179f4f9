"""Study design: the study configuration, its conditions, and balanced randomisation of sessions.

Conditions come from ``factors`` (every combination of the levels) or an explicit list.
Sessions draw conditions from permuted blocks: block ``b`` is a shuffle of all conditions
seeded by (study seed, b), and the n-th session of the study takes position n of the
sequence. After every complete block each condition has the same count, and the whole
sequence can be replayed from the seed. The draw counter lives on the study row, which is
locked while it advances, so concurrent joins never take the same position.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import jsonschema

from ..errors import ValidationError

AGENT = {"type": "object", "additionalProperties": False, "properties": {
    "backend": {"enum": ["local", "openai"]}, "model": {"type": "string", "maxLength": 128},
    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 300}, "seed": {"type": "integer"}}}
LEVELS = {"type": "array", "minItems": 1, "maxItems": 20,
          "items": {"type": ["boolean", "string", "number"]}}
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["paradigm"],
    "properties": {
        "paradigm": {"enum": ["word_guessing", "assisted_labelling"]},
        "seed": {"type": "integer"},
        "max_wait_s": {"type": "number", "minimum": 0, "maximum": 3600},
        "on_timeout": {"enum": ["agent", "release"]},
        "grace_s": {"type": "number", "minimum": 0, "maximum": 3600},
        "max_duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        "max_message_chars": {"type": "integer", "minimum": 1, "maximum": 10000},
        "agent": AGENT,
        "personas": {"type": "object", "maxProperties": 50,
                     "additionalProperties": {"type": "string", "maxLength": 4000}},
        "factors": {"type": "object", "minProperties": 1, "maxProperties": 6,
                    "propertyNames": {"enum": ["agent", "chat", "persona", "agent_role"]},
                    "additionalProperties": LEVELS},
        "conditions": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "object"}},
        "word_guessing": {"type": "object", "additionalProperties": False, "properties": {
            "max_guesses": {"type": "integer", "minimum": 1, "maximum": 50},
            "board_size": {"type": "integer", "minimum": 2, "maximum": 50},
            "words": {"type": "array", "minItems": 2, "items": {"type": "string", "pattern": "^[a-z]{1,40}$"}}}},
        "assisted_labelling": {"type": "object", "additionalProperties": False, "properties": {
            "project": {"type": "string"}}},
    },
}
DEFAULTS: dict[str, Any] = {"max_wait_s": 60, "on_timeout": "agent", "grace_s": 30, "max_duration_s": 900,
                            "max_message_chars": 1000, "agent": {"backend": "local", "timeout_s": 20}}
CONDITION_DEFAULTS: dict[str, Any] = {"agent": True, "chat": True, "persona": "default"}


def check_config(config: Any) -> dict[str, Any]:
    """The configuration with defaults filled in; ValidationError naming the field otherwise."""
    if not isinstance(config, dict):
        raise ValidationError("config", "must be an object")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(CONFIG_SCHEMA).iter_errors(config))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        raise ValidationError(f"config.{where}" if where else "config", error.message)
    full = {**DEFAULTS, **config, "agent": {**DEFAULTS["agent"], **config.get("agent", {})}}
    if "factors" in full and "conditions" in full:
        raise ValidationError("config.conditions", "give either factors or conditions, not both")
    personas = full.setdefault("personas", {})
    personas.setdefault("default", "You are a friendly, concise teammate.")
    for index, condition in enumerate(conditions(full)):
        if condition["persona"] not in personas:
            raise ValidationError(f"config.conditions[{index}].persona",
                                  f"names no persona in config.personas ({sorted(personas)})")
    return full


def conditions(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every condition of the study, each with agent, chat and persona set."""
    if config.get("conditions"):
        listed = config["conditions"]
    elif config.get("factors"):
        names = sorted(config["factors"])
        listed = [dict(zip(names, levels)) for levels in itertools.product(*(config["factors"][n] for n in names))]
    else:
        listed = [{}]
    out = []
    for index, condition in enumerate(listed):
        unknown = set(condition) - {"agent", "chat", "persona", "agent_role", "label"}
        if unknown:
            raise ValidationError(f"config.conditions[{index}]", f"unknown keys {sorted(unknown)}")
        full = {**CONDITION_DEFAULTS, **condition}
        if not isinstance(full["agent"], bool) or not isinstance(full["chat"], bool):
            raise ValidationError(f"config.conditions[{index}]", "agent and chat must be true or false")
        full.setdefault("label", label(full))
        out.append(full)
    return out


def label(condition: dict[str, Any]) -> str:
    """A short readable name: ``agent=on chat=off persona=default``."""
    def show(v: Any) -> str:
        return ("on" if v else "off") if isinstance(v, bool) else str(v)
    return " ".join(f"{k}={show(condition[k])}" for k in sorted(condition) if k != "label")


def position(seed: int, n_conditions: int, n: int) -> int:
    """The condition index of the n-th draw (0-based) in permuted blocks of ``n_conditions``."""
    block, offset = divmod(n, n_conditions)
    order = list(range(n_conditions))
    random.Random(f"collab-design:{seed}:{block}").shuffle(order)
    return order[offset]


def sequence(seed: int, n_conditions: int, count: int) -> list[int]:
    return [position(seed, n_conditions, n) for n in range(count)]
