"""How the demo study recruits people on each provider: one small strategy per platform.

The demo's steps (the project, the server, posting the work, sync, ingest, review, a bonus, exports)
are the same on every provider; what differs is behind a ``Recruiter``: which simulator runs, what
the workbench server is told, who comes to do the work and how, where a bonus is seen paid, and the
figures only that platform has. ``recruiter("prolific")`` makes one; ``NAMES`` lists them.
"""

from __future__ import annotations

from typing import Callable

from .base import Recruiter
from .linkout import LinkOutRecruiter
from .mturk import MTurkRecruiter
from .prolific import ProlificRecruiter

_MAKERS: dict[str, Callable[[], Recruiter]] = {"mturk": MTurkRecruiter, "prolific": ProlificRecruiter,
                                               "link-out": LinkOutRecruiter}
NAMES = tuple(_MAKERS)


def recruiter(name: str) -> Recruiter:
    """A new recruiter for the provider ``name``."""
    if name not in _MAKERS:
        raise ValueError(f"the demo runs on {', '.join(NAMES)}, not {name!r}")
    return _MAKERS[name]()


__all__ = ["NAMES", "Recruiter", "recruiter"]
