"""Completion codes and visit tokens (``workbench.crowd.codes``), and codes already in a store, on both backends."""

from __future__ import annotations

import pytest

from workbench.crowd import worker_sessions
from workbench.crowd import codes
from workbench.store.models import WorkerSession

# The alphabet of every code handed out so far: codes in a store must go on verifying, and people type them.
ISSUED_ALPHABET = set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")


def test_a_code_is_sixteen_characters_people_can_read():
    drawn = [codes.new_code() for _ in range(500)]
    assert all(len(code) == 16 and set(code) <= ISSUED_ALPHABET for code in drawn)
    assert not set("".join(drawn)) & set("0O1I")  # no look-alikes
    assert len(set(drawn)) == len(drawn)


def test_a_code_matches_itself_as_typed_back_and_nothing_else():
    code = codes.new_code()
    assert codes.code_matches(code, code)
    assert codes.code_matches(code, f"  {code.lower()}\n")
    assert not codes.code_matches(code, code[:-1])
    assert not codes.code_matches(code, codes.new_code())
    assert not codes.code_matches(None, code) and not codes.code_matches("", "")


def test_the_store_keeps_the_sha256_of_a_token():
    # The SHA-256 of "abc" (FIPS 180-2, appendix B.1): tokens hashed before this module existed still match.
    assert codes.hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    token = codes.new_token()
    assert codes.token_matches(codes.hash_token(token), token)
    assert not codes.token_matches(codes.hash_token(token), codes.new_token())
    assert not codes.token_matches(codes.hash_token(token), token + "x")


def test_a_taken_code_is_drawn_again(store, monkeypatch):
    taken, fresh = "ABCDEFGHJKLMNPQR", "STUVWXYZ23456789"
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr(codes, "new_code", lambda: next(draws))
    with store.transaction() as s:
        s.add(WorkerSession(provider="mturk", assignment_id="A1", worker_id="W1", task_ids=[],
                            token=codes.hash_token(codes.new_token()), completion_code=taken, status="complete"))
        s.flush()
        assert codes.unique_code(s) == fresh
    assert next(draws, None) is None  # both collisions were drawn again


def test_a_code_and_token_stored_before_still_verify(store):
    # A row as the store holds it: the code as issued, the token as its SHA-256 hex digest.
    with store.transaction() as s:
        s.add(WorkerSession(provider="mturk", assignment_id="OLD-A1", worker_id="W1", task_ids=[],
                            token="ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                            completion_code="K7QMX2PRT9HWZ3NB", status="complete"))
    with store.session() as s:
        assert worker_sessions.check_code(s, "OLD-A1", "k7qmx2prt9hwz3nb")["valid"] is True
        assert worker_sessions.check_code(s, "OLD-A1", "K7QMX2PRT9HWZ3NC")["valid"] is False
        assert worker_sessions.authenticate(s, "OLD-A1", "abc").assignment_id == "OLD-A1"
