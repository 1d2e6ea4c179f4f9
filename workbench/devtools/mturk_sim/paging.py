"""MTurk-style pagination: opaque NextToken plus MaxResults between 1 and 100."""
from __future__ import annotations

import base64

from .errors import RequestError
from .validation import integer


def page_of(params: dict, default: int = 10) -> tuple[int, int]:
    """(seq to start after, page size) from NextToken and MaxResults."""
    limit = integer(params, "MaxResults", 1, 100, default=default)
    token = params.get("NextToken")
    if not token:
        return 0, limit
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind != "p1":
            raise ValueError(kind)
        return int(value), limit
    except Exception:
        raise RequestError("The pagination token is invalid.",
                           "AWS.MechanicalTurk.InvalidParameterValue") from None


def paged(rows: list, limit: int, key: str, build) -> dict:
    """NumResults, NextToken (only when more rows exist) and the built items under `key`."""
    more = len(rows) > limit
    rows = rows[:limit]
    out = {"NumResults": len(rows), key: [build(r) for r in rows]}
    if more:
        out["NextToken"] = base64.urlsafe_b64encode(f"p1:{rows[-1]['seq']}".encode()).decode()
    return out
