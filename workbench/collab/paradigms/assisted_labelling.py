"""Model-assisted labelling: an assistant proposes a result for a task, the annotator accepts or edits it.

The state holds the task's bundle (what the plugin needs), the proposal, the annotator's
working copy and, once submitted, the final result. ``diff`` says what the human changed,
so the stored annotation can record both what the agent proposed and what was edited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ...errors import ValidationError

NAME = "assisted_labelling"
TITLE = "Labelling task"  # the session page's heading
ROLES = ("assistant", "annotator")
AGENT_ROLE = "assistant"


def new_state(config: dict[str, Any], seed: int, context: dict[str, Any]) -> dict[str, Any]:
    """``context`` carries the task: ``task_id``, ``plugin``, ``ui_config``, ``label_schema``, ``asset``, and
    ``shown_metadata``, the asset-metadata fields a human worker may see (the definition's worker fields)."""
    has_assistant = context.get("assistant", True)
    return {"task_id": context["task_id"], "plugin": context.get("plugin", ""), "ui_config": context.get("ui_config", {}),
            "label_schema": context.get("label_schema", {}), "asset": context.get("asset", {}),
            "shown_metadata": list(context.get("shown_metadata", [])), "assistant_is_agent": has_assistant,
            "proposal": None, "current": None, "final": None,
            "turn": "assistant" if has_assistant else "annotator", "result": None}


def view(state: dict[str, Any], role: str) -> dict[str, Any]:
    """The assistant, when an agent holds the seat, sees the whole task; a person only the metadata their worker
    fields allow, so a recorded answer key (``metadata.truth``) stays on the server."""
    if role == AGENT_ROLE and state.get("assistant_is_agent", True):  # a person in the seat sees what people see
        return dict(state)
    shown = state.get("shown_metadata", [])
    metadata = (state.get("asset") or {}).get("metadata") or {}
    asset = {**(state.get("asset") or {}), "metadata": {k: v for k, v in metadata.items() if k in shown}}
    return {**state, "asset": asset if state.get("asset") else state.get("asset", {})}


def turn(state: dict[str, Any]) -> str | None:
    return None if state.get("result") else state["turn"]


def apply(state: dict[str, Any], role: str, action: dict[str, Any], *,
          validate: Callable[[Any], None] | None = None, **_: Any) -> dict[str, Any]:
    """Assistant: ``propose``. Annotator: ``edit`` (a working copy) or ``submit`` (the final result)."""
    if state.get("result"):
        raise ValidationError("action", "the task is already submitted", message="The task is already submitted.")
    kind, result = action.get("kind"), action.get("result")
    if not isinstance(result, dict):
        raise ValidationError("action.result", "must be an object",
                              message="The answer could not be read; reload the page and try again.")
    new = dict(state)
    if role == "assistant":
        if kind != "propose" or state["turn"] != "assistant":
            raise ValidationError("action.kind", "the assistant may only 'propose', once, before the annotator",
                                  message="The assistant proposes once, before the annotator.")
        if validate:
            validate(result)
        new.update(proposal=result, current=result, turn="annotator")
        return new
    if role != "annotator":
        raise ValidationError("role", f"must be one of {list(ROLES)}", message="Your role makes no moves here.")
    if state["turn"] != "annotator":
        raise ValidationError("action", "wait for the assistant's proposal",
                              message="Wait for the assistant's proposal.")
    if kind == "edit":
        new["current"] = result
        return new
    if kind != "submit":
        raise ValidationError("action.kind", "the annotator may 'edit' or 'submit'",
                              message="Edit the answer or submit it.")
    if validate:
        validate(result)
    new.update(current=result, final=result, result="submitted")
    return new


def outcome(state: dict[str, Any]) -> dict[str, Any] | None:
    if not state.get("result"):
        return None
    changes = diff(state.get("proposal"), state["final"])
    return {"success": True, "result": "submitted", "task_id": state["task_id"],
            "proposed": state.get("proposal") is not None, "accepted_unchanged": not changes["changed"],
            "changes": changes}


def diff(proposal: dict[str, Any] | None, final: dict[str, Any]) -> dict[str, Any]:
    """What the human changed: per field, the items added and removed (lists) or the old and new value."""
    proposal = proposal or {}
    fields: dict[str, Any] = {}
    for key in sorted(set(proposal) | set(final)):
        before, after = proposal.get(key), final.get(key)
        if before == after:
            continue
        if isinstance(before, list | type(None)) and isinstance(after, list | type(None)):
            old = [json.dumps(v, sort_keys=True) for v in before or []]
            new = [json.dumps(v, sort_keys=True) for v in after or []]
            fields[key] = {"added": [json.loads(v) for v in new if v not in old],
                           "removed": [json.loads(v) for v in old if v not in new]}
        else:
            fields[key] = {"before": before, "after": after}
    return {"changed": bool(fields), "fields": fields}


def instructions(role: str) -> str:
    if role == "assistant":
        return ("You assist an annotator. Propose a result for the task that satisfies its label schema. "
                'Act with {"kind": "propose", "result": {...}}.')
    return "Check the assistant's proposal, correct it where it is wrong, and submit."


#: What each role does, told to people on the session page: (to the one who has it, about one who has it).
ROLES_FOR_PEOPLE = {
    "annotator": ("You label the task below and submit the answer.",
                  "labels the task and submits the answer"),
    "assistant": ("You propose a label for the task.",
                  "fills in a proposal for the task, which you may keep or correct"),
}


def rules(config: dict[str, Any], seats: dict[str, str]) -> list[str]:
    """The rules as people read them; without an assistant seat there is no proposal to check."""
    if "assistant" not in seats:
        return ["Label the task below, then submit.", "You submit once; the session ends with your submission."]
    return ["The assistant fills in a proposal for the task below.",
            "Check it: keep what is right and correct what is wrong.",
            "Submit when the answer is right. You submit once; the session ends with your submission."]


def local_proposal(state: dict[str, Any]) -> dict[str, Any]:
    """A deterministic proposal: the asset's recorded truth if it has one, else the first allowed label."""
    props = state.get("label_schema", {}).get("properties", {})
    truth = state.get("asset", {}).get("metadata", {}).get("truth") or []
    if "boxes" in props:
        allowed = props["boxes"].get("items", {}).get("properties", {}).get("label", {}).get("enum")
        boxes = [{k: t[k] for k in ("x", "y", "w", "h", "label")} for t in truth
                 if all(k in t for k in ("x", "y", "w", "h", "label"))]
        return {"boxes": [b for b in boxes if not allowed or b["label"] in allowed]}
    if "labels" in props:
        enum = props["labels"].get("items", {}).get("enum") or []
        if truth:
            largest = max(truth, key=lambda t: t.get("w", 0) * t.get("h", 0)).get("label")
            if largest in enum:
                return {"labels": [largest]}
        return {"labels": [enum[0]]} if enum else {"labels": []}
    return {}
