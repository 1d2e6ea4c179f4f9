"""What a person is told on the session page: their role, who else is in the session, the rules.

Everything comes from the study: the paradigm's roles and rules (with the study's own
numbers), the session's seats and condition (is there a chat?), and the clock rules that
``sessions.tick`` applies (the longest session, how long a dropped worker may be away).
A join refusal is told in the same plain words, with what the worker can do next.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFoundError, WorkbenchError
from ..store.models import CollabSession
from . import paradigms

#: What a worker who cannot join is told to do, on every refusal.
RETURN_THE_HIT = ("Please return the HIT, so that it does not count against you, or write to the requester "
                  "through MTurk if you think this is a mistake.")
#: The URL's ids that MTurk adds to the join link (``worker_sessions.check_ids`` names them).
LINK_IDS = ("assignmentId", "workerId", "hitId")


def for_seat(cs: CollabSession, role: str) -> dict[str, Any]:
    """``{"title", "role", "you", "others": [{"role", "does"}], "rules": [...]}`` for the person in ``role``."""
    paradigm = paradigms.get(cs.paradigm)
    config = cs.study.config
    seats = (cs.state or {}).get("seats", {})
    described = paradigm.ROLES_FOR_PEOPLE
    rules = list(paradigm.rules(config.get(cs.paradigm, {}), seats))
    if cs.condition.get("chat", True):
        rules.append("Use the chat to talk with the others in the session.")
    else:
        rules.append("There is no chat in this session.")
    minutes = max(1, round(config["max_duration_s"] / 60))
    rules.append(f"The session lasts at most {minutes} minute{'s' if minutes != 1 else ''}. Keep this page open: "
                 f"if you are away for more than {config['grace_s']:g} seconds, the session ends.")
    rules.append("At the end you get a completion code to enter in the HIT.")
    return {"title": paradigm.TITLE, "role": role, "you": described[role][0],
            "others": [{"role": other, "does": described[other][1]} for other in seats if other != role],
            "rules": rules}


def join_refusal(exc: WorkbenchError) -> dict[str, str]:
    """A refused join in a worker's words: ``{"title", "text", "next"}``, never an internal field name."""
    reason = exc.reason or ""
    if isinstance(exc, NotFoundError) or (exc.field == "study" and reason == "is required"):
        title, text = "This link leads to no study", "The study in this link does not exist, or the link is incomplete."
    elif exc.field == "study" and reason == "closed":
        title, text = "This study is closed", "The study no longer takes new participants."
    elif exc.field == "workerId" and reason == "does not match the assignment":
        title, text = "This HIT is another worker's", "The assignment in this link belongs to another worker."
    elif exc.field == "assignmentId" and "preview" in reason:
        return {"title": "Accept the HIT to join", "text": "You are previewing this HIT. Accept it to join the session.",
                "next": "The session opens here once you have accepted the HIT."}
    elif exc.field in LINK_IDS:
        title, text = "This link is incomplete", "The link is missing the MTurk details the session needs."
    elif exc.field == "project" or reason == "no open tasks":
        title, text = "No task is left", "Every task of this study has been done, so there is nothing left to join."
    else:
        title, text = "The session cannot open", "The study cannot seat you at the moment."
    return {"title": title, "text": text, "next": RETURN_THE_HIT}
