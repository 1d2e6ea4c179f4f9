"""Signed, expiring links: how a public page may fetch a local asset without a login.

The secret comes from ``WORKBENCH_SECRET``; without it one is generated on first use and
kept in ``$WORKBENCH_HOME/secret`` (mode 0600), so links survive a restart. A signature
covers the thing signed and its expiry; a changed byte or a past expiry is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from workbench import config
from workbench.errors import WorkbenchError

SECRET_ENV = "WORKBENCH_SECRET"


class SignatureError(WorkbenchError):
    """A link whose signature is missing, wrong or expired."""

    status = 403
    code = "forbidden"


def secret() -> bytes:
    """The signing secret: ``WORKBENCH_SECRET``, or the one kept in the workbench home."""
    value = os.environ.get(SECRET_ENV)
    if value:
        return value.encode()
    return _home_secret(str(config.home() / "secret"))


@lru_cache(maxsize=8)
def _home_secret(name: str) -> bytes:
    # Read once per file: the file never changes once it exists, and a worker's every page and
    # submission is signed or checked with it.
    path = Path(name)
    if not path.exists():
        # Written whole under another name, then linked into place: two processes starting together agree on
        # the first one linked, and neither ever reads a file that exists but is still empty.
        draft = path.with_name(f".{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    value = path.read_bytes().strip()
    if not value:
        raise WorkbenchError(f"the signing secret {path} is empty; delete it (a new one is made) or set "
                             f"{SECRET_ENV}", field=SECRET_ENV, reason="empty")
    return value


def sign(message: str, *, expires_in: int = 3600, now: float | None = None) -> dict[str, str]:
    """``{"exp": ..., "sig": ...}`` for ``message``, valid for ``expires_in`` seconds."""
    exp = str(int((time.time() if now is None else now) + expires_in))
    return {"exp": exp, "sig": _mac(message, exp)}


_HEX = frozenset("0123456789abcdef")


def verify(message: str, exp: str | None, sig: str | None, *, now: float | None = None) -> None:
    """Raise SignatureError unless ``sig`` signs ``message`` with an expiry still ahead."""
    if not exp or not sig:
        raise SignatureError("this link is not signed", field="sig", reason="missing")
    if not (exp.isascii() and exp.isdigit() and len(exp) <= 12):
        raise SignatureError("this link is malformed", field="exp", reason="must be a Unix time")
    # Anything but 64 hex digits is no signature of ours (and compare_digest refuses non-ASCII text).
    if len(sig) != 64 or not _HEX.issuperset(sig) or not hmac.compare_digest(_mac(message, exp), sig):
        raise SignatureError("this link's signature is wrong", field="sig", reason="does not match")
    if int(exp) < (time.time() if now is None else now):
        raise SignatureError("this link has expired; reload the page", field="exp", reason="expired")


def _mac(message: str, exp: str) -> str:
    return hmac.new(secret(), f"{message}\n{exp}".encode(), hashlib.sha256).hexdigest()
