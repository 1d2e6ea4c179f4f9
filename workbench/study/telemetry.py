"""What a worker page measures of how an answer was made, sent with the submission: the strict reader of it.

The page reports times and counts only (issue 17): how long it was visible and in use, focus changes, the
times of leaving it, the times, lengths and fields of pastes, the number of key presses, the time to the first
interaction and the length of the final text. It never sends which keys were pressed or what was pasted. The
numbers feed ``flags``, which raise review flags and decide nothing.

Times are whole milliseconds since the page was shown; lengths are as the page counts them (JavaScript string
length, UTF-16 code units), so paste lengths, key counts and ``final_text_length`` share one unit. A value
left out, or sent as null, was not measured. ``parse_telemetry`` refuses anything else, naming the field: a key
it does not know, a value that is not a whole number (``true`` included), a negative one, or one past a bound no
real page reaches. Every list is bounded, so the record as a whole is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from workbench.errors import ValidationError

#: The one sentence shown to workers on the page that measures them.
DESCRIPTION = ("This page notes how long it is open and in use, when you switch away from it and back, how many "
               "keys you press in it, and when you paste into it and how many characters; it does not record "
               "which keys you press, keeps nothing you paste beyond what your answer holds, and sees nothing in "
               "other tabs or programs.")

#: A week in milliseconds: no task page stays open longer.
MAX_MS = 7 * 24 * 3600 * 1000
#: Key presses, focus changes and lengths: a week of typing at 16 keys a second is under 10 million.
MAX_COUNT = 10_000_000
#: How many pastes and how many times of leaving the page a record may list.
MAX_PASTES = 10_000
MAX_BLURS = 10_000
#: How long the name of the field a paste went into may be.
MAX_FIELD_NAME = 200

#: The whole-number fields and their upper bounds.
BOUNDS = {"visible_ms": MAX_MS, "active_ms": MAX_MS, "focus_count": MAX_COUNT, "blur_count": MAX_COUNT,
          "keystrokes": MAX_COUNT, "first_interaction_ms": MAX_MS, "final_text_length": MAX_COUNT}


@dataclass(frozen=True)
class Paste:
    """One paste: when (ms since the page was shown), how many characters, and into which field if the page
    said."""

    at_ms: int
    length: int
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at_ms": self.at_ms, "length": self.length}
        if self.field is not None:
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class Telemetry:
    """The page's measurements of one submission; None where the page did not measure.

    ``visible_ms``: time the page was shown (document visible); ``active_ms``: time of that in use (the page's
    own idle rule); ``focus_count``/``blur_count``: times the page gained and lost focus; ``blurs_at_ms``: when
    it lost it; ``pastes``: each paste; ``keystrokes``: key presses in the answer fields;
    ``first_interaction_ms``: time to the first key, click or touch; ``final_text_length``: the submitted text's
    length as the page counts it."""

    visible_ms: int | None = None
    active_ms: int | None = None
    focus_count: int | None = None
    blur_count: int | None = None
    blurs_at_ms: tuple[int, ...] | None = None
    pastes: tuple[Paste, ...] | None = None
    keystrokes: int | None = None
    first_interaction_ms: int | None = None
    final_text_length: int | None = None

    @property
    def pasted_chars(self) -> int | None:
        """Characters pasted in all, or None when the page did not report pastes."""
        return None if self.pastes is None else sum(paste.length for paste in self.pastes)

    def to_dict(self) -> dict[str, Any]:
        """The record as ``parse_telemetry`` reads it, without the values not measured."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if item.name == "pastes":
                value = [paste.to_dict() for paste in value]
            elif item.name == "blurs_at_ms":
                value = list(value)
            out[item.name] = value
        return out


def parse_telemetry(data: Any, field: str = "telemetry") -> Telemetry:
    """The ``Telemetry`` a page sent; ValidationError naming the field (``telemetry.pastes[2].length``) for
    anything but the record described in the module docstring."""
    if not isinstance(data, dict):
        raise ValidationError(field, "must be a JSON object of times and counts")
    known = {item.name for item in fields(Telemetry)}
    for key in data:
        if key not in known:
            raise ValidationError(f"{field}.{key}", f"is not a telemetry field; use {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, bound in BOUNDS.items():
        if data.get(key) is not None:
            values[key] = _whole(data[key], f"{field}.{key}", bound)
    if data.get("blurs_at_ms") is not None:
        times = _list(data["blurs_at_ms"], f"{field}.blurs_at_ms", MAX_BLURS)
        values["blurs_at_ms"] = tuple(_whole(at, f"{field}.blurs_at_ms[{i}]", MAX_MS) for i, at in enumerate(times))
    if data.get("pastes") is not None:
        pastes = _list(data["pastes"], f"{field}.pastes", MAX_PASTES)
        values["pastes"] = tuple(_paste(paste, f"{field}.pastes[{i}]") for i, paste in enumerate(pastes))
    return Telemetry(**values)


def _paste(data: Any, field: str) -> Paste:
    if not isinstance(data, dict):
        raise ValidationError(field, 'must be an object such as {"at_ms": 5200, "length": 140, "field": "text"}')
    for key in data:
        if key not in ("at_ms", "length", "field"):
            raise ValidationError(f"{field}.{key}", "is not a paste field; use at_ms, length or field")
    for key in ("at_ms", "length"):
        if data.get(key) is None:
            raise ValidationError(f"{field}.{key}", "is required")
    name = data.get("field")
    if name is not None and not (isinstance(name, str) and 0 < len(name) <= MAX_FIELD_NAME and name.isprintable()):
        raise ValidationError(f"{field}.field", f"must be a field name of 1 to {MAX_FIELD_NAME} printable characters")
    return Paste(_whole(data["at_ms"], f"{field}.at_ms", MAX_MS), _whole(data["length"], f"{field}.length", MAX_COUNT),
                 name)


def _list(value: Any, field: str, most: int) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(field, "must be a list")
    if len(value) > most:
        raise ValidationError(field, f"lists {len(value)} entries; at most {most} are read")
    return value


def _whole(value: Any, field: str, most: int) -> int:
    """``value`` if it is a whole number from 0 to ``most``; ``true``, ``3.0`` and ``"3"`` are refused."""
    if type(value) is not int:
        raise ValidationError(field, "must be a whole number (an integer, not a fraction, text or true/false)")
    if not 0 <= value <= most:
        raise ValidationError(field, f"must be from 0 to {most}, not {value}")
    return value
