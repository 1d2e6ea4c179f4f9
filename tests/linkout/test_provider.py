"""The link-out provider on a real store (SQLite and PostgreSQL): links, sync, review, the ledger, blocks, the sheet."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import pytest
import sqlalchemy
from click.testing import CliRunner
from sqlalchemy import select, update

from workbench.cli import cli
from workbench.crowd import payments, review, submissions, worker_sessions
from workbench.crowd.providers import WorkSpec, get_provider, place
from workbench.crowd.providers.linkout import LinkClosed
from workbench.errors import ConflictError, NotFoundError, ValidationError, WorkbenchError
from workbench.store.models import HIT, Assignment, Bonus, Event, Task, Worker
from workbench.study import tasks
from tests.concurrently import concurrently

from .conftest import SPEC, take_part


def _link(store, link):
    with store.session() as s:
        return s.scalars(select(HIT).where(HIT.provider == "link-out", HIT.hit_id == link)).one()


def _assignments(store):
    with store.session() as s:
        return {a.assignment_id: a for a in s.scalars(select(Assignment).where(Assignment.provider == "link-out"))}


def _events(store, kind):
    with store.session() as s:
        return [e.payload for e in s.scalars(select(Event).where(Event.type == kind).order_by(Event.id))]


def test_create_work_makes_one_link_and_a_rerun_finds_it(provider, store, cats):
    made = provider.create_work("cats", cats.task_ids, SPEC)
    assert (made.created, len(made.hit_ids)) == (1, 1)
    link = made.hit_ids[0]
    row = _link(store, link)
    assert (row.task_id, row.payload["task_ids"], row.max_assignments) == (None, cats.task_ids, 8)  # 4 tasks × 2
    assert row.payload["id_param"] == "participant_id" and row.payload["completion"] == {"kind": "code"}
    url = f"https://annotate.example.org/workbench/link/entry?link={link}&participant_id="
    assert row.payload["entry_url"] == url == provider.entry_url(link)
    again = provider.create_work("cats", cats.task_ids, SPEC)
    assert (again.created, again.existing, again.hit_ids) == (0, 1, [link])
    with pytest.raises(ConflictError) as refused:  # the same project and round with another ending
        provider.create_work("cats", cats.task_ids, SPEC, completion_url="https://panel.example/done?c={code}")
    assert refused.value.field == "completion_url"
    other = provider.create_work("cats", cats.task_ids, SPEC, round=1, id_param="SONA_ID",
                                 completion_url="https://panel.example/done?c={code}&p={participant}")
    assert other.hit_ids != [link] and _link(store, other.hit_ids[0]).payload["completion"] == {
        "kind": "redirect", "url_template": "https://panel.example/done?c={code}&p={participant}"}
    with store.session() as s:
        assert len(list(s.scalars(select(HIT.id).where(HIT.provider == "link-out")))) == 2
    assert _events(store, "link-out.link.created")[0]["hit_id"] == link


def test_concurrent_creates_make_one_link(provider, store, cats):
    results, errors = concurrently(lambda: provider.create_work("cats", cats.task_ids, SPEC), times=6)
    assert errors == []
    assert len({tuple(r.hit_ids) for r in results}) == 1 and sum(r.created for r in results) == 1


def test_settings_come_from_the_environment(provider, cats, monkeypatch, store):
    monkeypatch.setenv("LINKOUT_ID_PARAM", "id")
    monkeypatch.setenv("LINKOUT_COMPLETION_URL", "https://pool.example.edu/credit?survey_code={participant}")
    payload = _link(store, provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]).payload
    assert payload["id_param"] == "id" and payload["entry_url"].endswith("&id=")
    assert payload["completion"]["url_template"] == "https://pool.example.edu/credit?survey_code={participant}"


@pytest.mark.parametrize("options, field", [
    ({"id_param": "participant id"}, "id_param"),
    ({"id_param": "x" * 65}, "id_param"),
    ({"id_param": "link"}, "id_param"),
    ({"id_param": "token"}, "id_param"),
    ({"completion_url": "javascript:alert(1)//{code}"}, "completion_url"),
    ({"completion_url": "https://panel.example/done?c={secret}"}, "completion_url"),
    ({"completion_url": "https://panel.example/done?c={code.__class__}"}, "completion_url"),
    ({"completion_url": "https://panel.example/done?c={code!r}"}, "completion_url"),
    ({"completion_url": "https://panel.example/done?c={"}, "completion_url"),
    ({"completion_url": "https:///done?c={code}"}, "completion_url"),
    ({"completion_url": "https://panel.example/done\n?c={code}"}, "completion_url"),
    ({"round": -1}, "round"),
])
def test_bad_settings_are_refused_naming_the_field(provider, cats, store, options, field):
    with pytest.raises(ValidationError) as refused:
        provider.create_work("cats", cats.task_ids, SPEC, **options)
    assert refused.value.field == field and refused.value.reason
    with store.session() as s:
        assert s.scalars(select(HIT.id)).first() is None


def test_qualifications_and_messages_say_the_panel_has_no_api(provider, cats):
    spec = WorkSpec(**{**SPEC.to_dict(), "qualifications": {"locales": ["US"]}})
    for call, field in ((lambda: provider.create_work("cats", cats.task_ids, spec), "qualifications.locales"),
                        (lambda: provider.create_qualification("trained", "passed training"), "qualification"),
                        (lambda: provider.grant("Q1", "P1"), "qualification_type_id"),
                        (lambda: provider.revoke("Q1", "P1"), "qualification_type_id"),
                        (lambda: provider.notify(["P1"], "hello", "a new study"), "worker_ids")):
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.field == field and refused.value.hint
    with pytest.raises(ValidationError, match="no API"):
        provider.notify(["P1"], "hello", "a new study")


def test_production_needs_confirmation():
    with pytest.raises(WorkbenchError) as refused:
        place("link-out", "production")
    assert refused.value.field == "environment"
    assert place("link-out", "production", confirm_production=True)[0] == "production"


def test_sync_records_finished_sessions_once_and_ingest_counts_them_as_link_out(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    done = take_part(provider, link, "P1")
    # the page recorded the assignment as the answer arrived; sync completes that row rather than adding one
    assert {a: r.status for a, r in _assignments(store).items()} == {done.session_id: "accepted"}
    first = provider.sync()
    assert (first.assignments_new, first.assignments_updated, first.workers_new) == (0, 1, 1)
    row = _assignments(store)[done.session_id]
    assert (row.status, row.worker_id, row.answer["completion_code"]) == ("submitted", "P1", done.code)
    assert row.hit_pk == _link(store, link).id and row.submit_time is not None
    again = provider.sync()
    assert (again.assignments_new, again.assignments_updated, again.workers_new) == (0, 0, 0)
    assert provider.ingest().link_out == 1 and provider.ingest().link_out == 0
    assert _assignments(store)[done.session_id].payload["ingest"] == {"outcome": "link_out", "code": "ok"}
    # the generic review queue shows it with a good code
    item, = review.queue(provider)
    assert (item["assignment_id"], item["code_verdict"], item["needs_override"]) == (done.session_id, "ok", False)
    assert len(_events(store, "link-out.session.synced")) == 1


def test_a_participant_who_found_no_task_is_recorded_returned(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    take_part(provider, link, "P1")
    with store.transaction() as s:  # every task done: nothing is left for P9, who is turned away at entry
        s.execute(update(Task).values(status="complete"))
    with pytest.raises(LinkClosed) as full:
        take_part(provider, link, "P9")
    assert (full.value.field, full.value.reason) == ("link", "full")
    with store.transaction() as s:  # P9 was let in a moment before the last task was done elsewhere
        s.execute(update(Task).values(status="pending"))
    with store.transaction() as s:
        late = SimpleNamespace(session_id=provider.session_id(link, "P9"))
        provider.admit(s, link, "P9", late.session_id)
        s.execute(update(Task).values(status="complete"))
        step = worker_sessions.visit(s, "link-out", late.session_id, "P9", link)
        late.no_task = step.no_task
    result = provider.sync()
    assert late.no_task and (result.assignments_new, result.assignments_updated) == (1, 1)  # P9 sent no answer
    assert _assignments(store)[late.session_id].status == "returned"
    with pytest.raises(ConflictError) as refused:
        review.approve(provider, late.session_id)
    assert refused.value.field == "override"


def test_review_approve_reject_and_bulk_are_recorded_with_events(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    ids = [take_part(provider, link, p).session_id for p in ("P1", "P2", "P3", "P4")]
    provider.sync()
    with pytest.raises(ValidationError) as refused:
        review.reject(provider, ids[0], "  ")
    assert refused.value.field == "feedback"
    review.reject(provider, ids[0], "The answers were random.")
    with pytest.raises(ConflictError) as refused:
        review.approve(provider, ids[0])
    assert refused.value.field == "override"
    review.approve(provider, ids[1], feedback="Thanks!")
    with pytest.raises(ConflictError):
        review.reject(provider, ids[1], "changed my mind")  # the sheet owes it already
    assert review.approve_all(provider, ids[2:]) == {"approved": ids[2:], "failed": []}
    rows = _assignments(store)
    assert [rows[a].status for a in ids] == ["rejected", "approved", "approved", "approved"]
    assert (rows[ids[0]].feedback, rows[ids[1]].feedback) == ("The answers were random.", "Thanks!")
    assert len(_events(store, "link-out.assignment.approved")) == 3
    assert len(_events(store, "link-out.assignment.rejected")) == 1
    assert provider.bulk_approve(ids[2:]) == 2  # approved already: nothing changes
    assert len(_events(store, "link-out.assignment.approved")) == 3


def test_bulk_approve_is_all_or_nothing(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    ids = [take_part(provider, link, p).session_id for p in ("P1", "P2")]
    provider.sync()
    review.reject(provider, ids[1], "Off-task.")
    with pytest.raises(NotFoundError):
        provider.bulk_approve([ids[0], "LSNOSUCHSESSION"])
    assert _assignments(store)[ids[0]].status == "submitted"


def test_a_retried_bonus_is_recorded_once(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    session = take_part(provider, link, "P1").session_id
    provider.sync()
    first = payments.bonus(provider, session, 75, "Careful work")
    again = payments.bonus(provider, session, 75, "Careful work")
    assert (first.status, first.already_paid, first.confirmed) == ("paid", False, True)
    assert (again.id, again.already_paid) == (first.id, True)
    results, errors = concurrently(lambda: payments.bonus(provider, session, 25, "Quick too"))
    assert errors == [] and len({r.id for r in results}) == 1
    with store.session() as s:
        assert sorted(b.amount_cents for b in s.scalars(select(Bonus))) == [25, 75]
    assert sorted(e["amount_cents"] for e in _events(store, "link-out.bonus.sent")) == [25, 75]
    shown = provider.bonus_payments(hit_id=link)
    assert sorted((p["amount_cents"], p["reason"]) for p in shown) == [(25, "Quick too"), (75, "Careful work")]
    assert payments.reconcile(provider).clean


def test_block_refuses_the_participant_at_entry_until_unblocked(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    take_part(provider, link, "P1")
    provider.sync()
    review.block(provider, "P2", "Known bot")
    with store.session() as s:
        assert s.scalars(select(Worker.blocked).where(Worker.worker_id == "P2")).one() is True
    with pytest.raises(WorkbenchError) as refused:
        take_part(provider, link, "P2")
    assert (refused.value.status, refused.value.field, refused.value.reason) == (403, "participant_id", "blocked")
    review.unblock(provider, "P2")
    assert take_part(provider, link, "P2").code


def test_exclude_past_participants_refuses_a_second_round(provider, cats):
    first = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    take_part(provider, first, "P1")
    spec = WorkSpec(**{**SPEC.to_dict(), "qualifications": {"exclude_past_participants": True}})
    second = provider.create_work("cats", cats.task_ids, spec, round=1).hit_ids[0]
    with pytest.raises(WorkbenchError) as refused:
        take_part(provider, second, "P1")
    assert (refused.value.status, refused.value.reason) == (403, "took part before")
    assert take_part(provider, second, "P2").code


def test_close_pause_extend_places_and_delete(provider, store, cats):
    spec = WorkSpec(**{**SPEC.to_dict(), "max_assignments": 1})
    link = provider.create_work("cats", cats.task_ids[:1], spec).hit_ids[0]
    session_id = provider.session_id(link, "P1")
    with store.transaction() as s:  # P1 starts, and has not finished when the link closes
        provider.admit(s, link, "P1", session_id)
        worker_sessions.visit(s, "link-out", session_id, "P1", link)
    provider.expire(link)
    with pytest.raises(WorkbenchError) as refused:
        take_part(provider, link, "P2")
    assert (refused.value.status, refused.value.field, refused.value.reason) == (410, "link", "closed")
    assert take_part(provider, link, "P1").code  # who started may finish
    provider.extend(link, seconds=3600)  # a later close reopens it, but its one place is taken
    with pytest.raises(WorkbenchError) as refused:
        take_part(provider, link, "P2")
    assert (refused.value.status, refused.value.reason) == (410, "full")
    provider.extend(link, assignments=1)
    with store.transaction() as s:  # and the task wants a second answer, or there is nothing for P2 to do
        tasks.update(s, cats.task_ids[0], target_annotations=2)
        tasks.set_status(s, cats.task_ids[0], "pending")
    provider.pause(link)
    with pytest.raises(WorkbenchError):
        take_part(provider, link, "P2")
    provider.resume(link)
    assert not take_part(provider, link, "P2").no_task
    provider.sync()
    with pytest.raises(ConflictError):
        provider.delete(link)  # open
    provider.expire(link)
    with pytest.raises(ConflictError) as refused:
        provider.delete(link)  # unreviewed work
    assert refused.value.reason == "work not yet reviewed"
    review.approve_all(provider, list(_assignments(store)))
    assert provider.delete(link).status == "disposed"
    with pytest.raises(WorkbenchError) as refused:
        take_part(provider, link, "P1")  # deleted: nobody, not even who took part
    assert refused.value.status == 410
    assert [e["hit_id"] for e in _events(store, "link-out.link.deleted")] == [link]


def test_payment_sheet_after_review(provider, store, cats, tmp_path):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    visits = {p: take_part(provider, link, p) for p in ("P1", "P2", "P3")}
    provider.sync()
    review.approve(provider, visits["P1"].session_id, feedback="Thanks")
    review.reject(provider, visits["P2"].session_id, "Answers did not match the pictures.")
    payments.bonus(provider, visits["P1"].session_id, 40, "Bonus for accuracy")
    rows = {r["participant_id"]: r for r in provider.payment_sheet("cats")}
    reward = SPEC.reward_cents
    assert rows["P1"]["status"] == "approved" and rows["P1"]["reward_cents"] == reward
    assert (rows["P1"]["bonus_cents"], rows["P1"]["total_cents"]) == (40, reward + 40)
    assert (rows["P1"]["reward"], rows["P1"]["total"]) == (f"{reward / 100:.2f}", f"{(reward + 40) / 100:.2f}")
    assert (rows["P1"]["feedback"], rows["P1"]["reviewed_at"] != "") == ("Thanks", True)
    assert (rows["P2"]["status"], rows["P2"]["reward_cents"], rows["P2"]["feedback"]) == (
        "rejected", 0, "Answers did not match the pictures.")
    assert (rows["P3"]["status"], rows["P3"]["reward_cents"], rows["P3"]["reviewed_at"]) == ("submitted", 0, "")
    for p, visit in visits.items():
        assert (rows[p]["session_id"], rows[p]["completion_code"], rows[p]["link_id"]) == (
            visit.session_id, visit.code, link)
    # the CLI writes the same rows as CSV
    out = tmp_path / "sheet.csv"
    result = CliRunner().invoke(cli, ["--database-url", store.url, "link-out", "sheet", "--project", "cats",
                                      "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        written = {r["participant_id"]: r for r in csv.DictReader(handle)}
    assert set(written) == {"P1", "P2", "P3"}
    assert (written["P1"]["total_cents"], written["P1"]["total"]) == (str(reward + 40), f"{(reward + 40) / 100:.2f}")
    assert written["P2"]["status"] == "rejected"
    assert provider.cost(project="cats")["spent_cents"] == reward + 40  # no fee on a panel without an API
    listed = CliRunner().invoke(cli, ["--database-url", store.url, "link-out", "links", "--project", "cats", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(r["link"], r["entry_url"]) for r in json.loads(listed.output)] == [(link, provider.entry_url(link))]


def test_a_participant_id_that_a_spreadsheet_would_run_is_written_as_text(provider, store, cats, tmp_path):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    take_part(provider, link, "=HYPERLINK(\"x\")")
    result = provider.write_payment_sheet("cats", tmp_path / "sheet.csv")
    assert result["rows"] == 1
    with (tmp_path / "sheet.csv").open(newline="") as handle:
        assert next(csv.DictReader(handle))["participant_id"] == "'=HYPERLINK(\"x\")"


def test_the_registry_makes_it_with_its_words(provider, store):
    assert get_provider("link-out", store=store).environment == "local"
    assert (provider.name, provider.words.work, provider.words.worker) == ("link-out", "link", "participant")


def test_a_session_not_started_by_the_entry_route_is_neither_synced_nor_on_the_sheet(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    take_part(provider, link, "P1")
    with store.transaction() as s:  # as the plain login route would have made it, with an id of its choosing
        step = worker_sessions.visit(s, "link-out", "CHOSEN-ID", "P2", link)
        submissions.submit_from_worker(s, {"task_id": step.next_task_id, "assignment_id": "CHOSEN-ID", "hit_id": link,
                                           "worker_id": "P2", "result": {"label": "cat"}, "tool_version": ""},
                                       provider="link-out", session_token=step.token)
        worker_sessions.visit(s, "link-out", "CHOSEN-ID", "P2", link, token=step.token)
    result = provider.sync()
    assert [c["assignment_id"] for c in result.conflicts] == ["CHOSEN-ID"]
    assert _assignments(store)["CHOSEN-ID"].status == "accepted"
    assert [r["participant_id"] for r in provider.payment_sheet("cats")] == ["P1"]


def test_sync_reads_only_unsettled_sessions_and_locks_only_their_links(provider, store, cats):
    first = provider.create_work("cats", cats.task_ids[:2], SPEC).hit_ids[0]
    second = provider.create_work("cats", cats.task_ids[2:], SPEC, round=1).hit_ids[0]
    done = take_part(provider, first, "P1")
    assert (provider.sync().changed_hits, provider.sync().changed_hits) == (1, 0)  # the rerun reads nothing
    review.approve(provider, done.session_id)
    take_part(provider, second, "P2")
    result = provider.sync()
    assert (result.changed_hits, result.assignments_updated) == (1, 1)  # P2 alone: P1 is settled
    assert _assignments(store)[done.session_id].status == "approved"
    assert [e["hit_id"] for e in _events(store, "link-out.session.synced")] == [first, second]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite renders no FOR UPDATE: its writes take turns anyway
def test_the_entry_locks_the_link_row_for_a_new_participant_only(provider, store, cats):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    sent: list[str] = []

    def seen(conn, cursor, statement, *args):
        sent.append(statement)

    def admit(participant):
        sent.clear()
        with store.transaction() as s:
            provider.admit(s, link, participant, provider.session_id(link, participant))
            worker_sessions.visit(s, "link-out", provider.session_id(link, participant), participant, link)
        return sum("FOR UPDATE" in q and "FROM hits" in q for q in sent)

    sqlalchemy.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert admit("P1") == 1  # new: the row is locked while the places are counted
        assert admit("P1") == 0  # a resume
    finally:
        sqlalchemy.event.remove(store.engine, "before_cursor_execute", seen)
