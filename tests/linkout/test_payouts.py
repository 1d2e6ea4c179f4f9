"""Money on the payment sheet, on a real store: a rejected or no-task session is owed nothing, and each export
is a payout batch, so that paying from a second export pays nobody twice."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from workbench.cli import cli
from workbench.crowd import payments, review, worker_sessions
from workbench.errors import ConflictError
from workbench.store.models import Bonus, Event, Task

from .conftest import SPEC, take_part


def _finished(provider, cats, *participants):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    return link, {p: take_part(provider, link, p).session_id for p in participants}


def test_a_bonus_for_a_rejected_or_no_task_session_is_refused(provider, cats, store):
    link, ids = _finished(provider, cats, "P1")
    with store.transaction() as s:  # P2 is let in, then the last task is done elsewhere: no task for P2
        late = provider.session_id(link, "P2")
        provider.admit(s, link, "P2", late)
        s.execute(update(Task).values(status="complete"))
        assert worker_sessions.visit(s, "link-out", late, "P2", link).no_task
    provider.sync()
    review.reject(provider, ids["P1"], "Random answers throughout.")
    for session_id, status in ((ids["P1"], "rejected"), (late, "returned")):
        with pytest.raises(ConflictError) as refused:
            payments.bonus(provider, session_id, 500, "For the effort")
        assert (refused.value.field, refused.value.reason) == ("assignment_id", f"status is {status}")
    with store.session() as s:
        assert s.scalars(select(Bonus.id)).all() == []  # refused before the ledger recorded an intent
    assert {r["status"]: r["total_cents"] for r in provider.payment_sheet("cats")} == {"rejected": 0, "no_task": 0}


def test_a_bonus_granted_before_a_rejection_is_shown_withheld_not_owed(provider, cats):
    _, ids = _finished(provider, cats, "P1")
    provider.sync()
    payments.bonus(provider, ids["P1"], 500, "Quick and careful")  # granted while the work was submitted
    review.reject(provider, ids["P1"], "The labels do not match the pictures.")
    row, = provider.payment_sheet("cats")
    assert (row["status"], row["bonus_cents"], row["total_cents"]) == ("rejected", 0, 0)
    assert (row["bonus_withheld_cents"], row["flag"]) == (500, "bonus_withheld")


def test_a_second_export_with_new_only_pays_only_what_is_new(provider, cats, store, tmp_path):
    _, ids = _finished(provider, cats, "P1", "P2")
    provider.sync()
    review.approve(provider, ids["P1"])
    first = provider.write_payment_sheet("cats", tmp_path / "first.csv")
    reward = SPEC.reward_cents
    assert (first["rows"], first["owed_cents"], first["earlier_rows"]) == (2, reward, 0) and first["batch"]
    again = provider.write_payment_sheet("cats", tmp_path / "again.csv", new_only=True)
    assert (again["rows"], again["owed_cents"], again["earlier_rows"]) == (0, 0, 2)
    payments.bonus(provider, ids["P1"], 40, "Accurate labels")  # granted after the first batch was paid
    review.approve(provider, ids["P2"])
    rows = provider.payment_sheet("cats", new_only=True)
    assert {r["participant_id"]: (r["reward_cents"], r["bonus_cents"], r["paid_before_cents"]) for r in rows} == {
        "P1": (0, 40, reward), "P2": (reward, 0, 0)}
    third = provider.write_payment_sheet("cats", tmp_path / "third.csv", new_only=True)
    assert (third["rows"], third["owed_cents"]) == (2, reward + 40)
    assert provider.payment_sheet("cats", new_only=True) == []  # the bonus is paid once, in the third batch
    full = {r["participant_id"]: r for r in provider.payment_sheet("cats")}
    assert (full["P1"]["total_cents"], full["P1"]["paid_before_cents"]) == (reward + 40, reward + 40)
    with store.session() as s:
        batches = [e.payload["batch"] for e in s.scalars(select(Event).where(Event.type == "link-out.sheet.exported"))]
    assert len(set(batches)) == 3


def test_the_cli_says_how_many_rows_earlier_batches_covered(provider, cats, store, tmp_path):
    _, ids = _finished(provider, cats, "P1")
    provider.sync()
    review.approve(provider, ids["P1"])
    base = ["--database-url", store.url, "link-out", "sheet", "--project", "cats"]
    first = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "a.csv")])
    assert first.exit_code == 0 and "as batch" in first.output and "earlier" not in first.output, first.output
    again = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "b.csv"), "--new-only", "--json"])
    assert again.exit_code == 0, again.output
    assert (json.loads(again.output)["rows"], json.loads(again.output)["earlier_rows"]) == (0, 1)
    look = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "c.csv"), "--no-record"])
    assert "1 of the project's sessions were in earlier batches" in look.output and "not recorded" in look.output
    with (tmp_path / "b.csv").open(newline="") as handle:
        assert list(csv.DictReader(handle)) == []
