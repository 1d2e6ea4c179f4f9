"""Completion codes and visit tokens: how the crowd service makes them, keeps them and checks them.

A completion code is what a worker pastes back into the crowd platform when the work is done
(a link-out visit's, or a collaboration seat's, which is kept on a link-out visit too so that
review checks both alike). It is drawn from ``secrets``, unique among the store's visits, and
stored as it is: the researcher reads it at review. People read and type it, so its alphabet
leaves out 0/O and 1/I, and a check ignores case and surrounding spaces.

A token is a browser's proof of a visit or a seat: a random URL-safe string handed to the
browser once, of which the store keeps only the SHA-256 hex digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import WorkerSession

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read and typed by people
LENGTH = 16  # 32 symbols of 5 bits each: 80 bits


def new_code() -> str:
    """A completion code, not yet checked against the store."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def unique_code(session: Session) -> str:
    """A completion code no visit in the store holds (drawn again on the rare collision)."""
    while True:
        code = new_code()
        taken = session.scalars(select(WorkerSession.id).where(WorkerSession.completion_code == code)).first()
        if taken is None:
            return code


def code_matches(stored: str | None, given: str) -> bool:
    """Whether ``given`` is the stored code, as a person typed it back; compared in constant time."""
    return bool(stored) and hmac.compare_digest(stored.encode(), given.strip().upper().encode())


def new_token() -> str:
    """A token for a browser: give it out once and store ``hash_token`` of it."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the store keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(stored_hash: str, token: str) -> bool:
    """Whether ``token`` is the one whose hash the store keeps; compared in constant time."""
    return hmac.compare_digest(stored_hash, hash_token(token))
