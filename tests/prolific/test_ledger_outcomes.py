"""The ledger on Prolific when a pay call's outcome is unknown: what counts as already given, and its release.

Prolific's pay call is not idempotent (prolific-openapi.yml, POST /api/v1/bulk-bonus-payments/{id}/pay/: "The
bonuses will be paid asynchronously"; each call pays), and Prolific's own record of what a submission was paid is
its ``bonus_payments`` list of amounts in cents (Submission.bonus_payments, example ``[1000, 2536]``).
"""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import select

from workbench.crowd import payments
from workbench.crowd.providers.prolific.client import ProlificUnreachable
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store.models import Bonus, Event
from tests.concurrently import concurrently

from .conftest import api
from .test_provider import _submitted


def _paid_on_prolific(sim, sub_id) -> list[int]:
    sim.flush()
    with api(sim) as c:
        return sorted(c.get(f"submissions/{sub_id}/").json()["bonus_payments"])


def _lose_the_pay_answer(provider, *, reached: bool):
    """The next pay call's answer is lost: after Prolific took it (``reached``), or before it got there."""
    real = provider.client.request

    def lost(method, path, **kw):
        if path.endswith("/pay/"):
            provider.client.request = real
            if reached:
                real(method, path, **kw)
            raise ProlificUnreachable("the answer was lost", operation=f"{method} {path}", outcome="unknown")
        return real(method, path, **kw)

    provider.client.request = lost


def _unknown(provider, sim, store, study, amount: int, reason: str, key: str, *, reached: bool):
    """A submitted submission and a bonus for it whose pay answer was lost: (submission id, the exception)."""
    _, sub_id = _submitted(provider, sim, store, study)
    _lose_the_pay_answer(provider, reached=reached)
    with pytest.raises(ProlificUnreachable) as lost:
        payments.bonus(provider, sub_id, amount, reason, key=key)
    return sub_id, lost.value


def _row(store, bonus_id) -> Bonus:
    with store.session() as s:
        return s.get(Bonus, bonus_id)


def _released_events(store) -> list[dict]:
    with store.session() as s:
        return [e.payload for e in s.scalars(select(Event).where(Event.type == "prolific.bonus.released"))]


def test_an_intent_of_unknown_outcome_counts_as_given_so_a_second_one_is_really_paid(provider, sim, store, study):
    sub_id, _ = _unknown(provider, sim, store, study, 40, "fast and careful", "first", reached=True)
    assert _paid_on_prolific(sim, sub_id) == [40]
    # a second, deliberate bonus of the same amount: the 40 Prolific shows is the first one's, not this one's
    second = payments.bonus(provider, sub_id, 40, "fast and careful", key="second")
    assert second.status == "paid" and not second.already_paid
    assert _paid_on_prolific(sim, sub_id) == [40, 40]
    # the first, retried, is confirmed from Prolific's record and not paid again
    assert payments.bonus(provider, sub_id, 40, "fast and careful", key="first").status == "paid"
    assert _paid_on_prolific(sim, sub_id) == [40, 40] and len(sim.store.all("payout")) == 2


def test_two_intents_of_one_amount_started_together_are_both_paid(provider, sim, store, study):
    _, sub_id = _submitted(provider, sim, store, study)
    keys, lock = itertools.count(), threading.Lock()

    def pay():
        with lock:
            key = f"together-{next(keys)}"
        return payments.bonus(provider, sub_id, 30, "both deserved", key=key)

    results, errors = concurrently(pay, times=2)
    assert not errors, errors
    assert sorted(r.key for r in results) == ["together-0", "together-1"] and all(r.status == "paid" for r in results)
    assert _paid_on_prolific(sim, sub_id) == [30, 30]


def test_release_reads_prolifics_record_itself_when_it_shows_the_payment(provider, sim, store, study):
    sub_id, lost = _unknown(provider, sim, store, study, 60, "a good job", "shown", reached=True)
    assert "release" in (lost.hint or "")
    bonus_id = payments.ledger(provider, assignment_id=sub_id)[0]["id"]
    sim.flush()
    released = payments.release(provider, "shown", actor="ops")
    assert (released.id, released.status, released.confirmed) == (bonus_id, "paid", True)
    assert _released_events(store) == [{"bonus_id": bonus_id, "key": "shown", "token": _row(store, bonus_id)
                                        .unique_request_token, "assignment_id": sub_id, "paid": True,
                                        "decided_by": "platform", "reason": ""}]
    assert _paid_on_prolific(sim, sub_id) == [60] and len(sim.store.all("payout")) == 1
    with pytest.raises(ConflictError) as again:                     # paid now: nothing left to release
        payments.release(provider, bonus_id, paid=False, reason="no")
    assert again.value.field == "bonus"


def test_release_asks_the_operator_when_prolific_does_not_show_it_then_a_retry_pays_once(provider, sim, store,
                                                                                          study):
    sub_id, _ = _unknown(provider, sim, store, study, 70, "kept going", "lost", reached=False)
    bonus_id = payments.ledger(provider, assignment_id=sub_id)[0]["id"]
    assert _paid_on_prolific(sim, sub_id) == []
    with pytest.raises(ConflictError) as asked:
        payments.release(provider, bonus_id, actor="ops")
    assert asked.value.field == "paid"
    with pytest.raises(ValidationError) as why:                      # an operator's decision says why
        payments.release(provider, bonus_id, paid=False, actor="ops")
    assert why.value.field == "reason"
    assert _row(store, bonus_id).status == "unknown"
    back = payments.release(provider, bonus_id, paid=False, actor="ops", reason="not in Prolific's bonus list")
    assert back.status == "pending"
    assert _released_events(store)[0]["decided_by"] == "operator"
    assert payments.bonus(provider, sub_id, 70, "kept going", key="lost").status == "paid"
    assert payments.bonus(provider, sub_id, 70, "kept going", key="lost").already_paid
    assert _paid_on_prolific(sim, sub_id) == [70] and len(sim.store.all("payout")) == 1


def test_an_operator_may_mark_a_row_of_unknown_outcome_paid_and_nothing_else_is_released(provider, sim, store,
                                                                                         study):
    sub_id, _ = _unknown(provider, sim, store, study, 80, "paid by hand", "by-hand", reached=False)
    done = payments.release(provider, "by-hand", paid=True, actor="ops", reason="paid in Prolific's web app")
    assert (done.status, done.confirmed) == ("paid", False)
    assert payments.bonus(provider, sub_id, 80, "paid by hand", key="by-hand").already_paid
    assert _paid_on_prolific(sim, sub_id) == []                     # nothing was sent by the release
    with pytest.raises(NotFoundError):
        payments.release(provider, "no-such-key", paid=True, reason="x")
    fresh = payments.bonus(provider, sub_id, 20, "an ordinary bonus", key="ordinary")
    with pytest.raises(ConflictError):                              # never of unknown outcome
        payments.release(provider, fresh.id, paid=False, reason="x")
