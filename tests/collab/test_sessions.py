"""The waiting room, matching, grace periods, ends and completion codes, on both backends."""

from __future__ import annotations

import pytest

from workbench import events
from workbench.collab import sessions
from workbench.collab.paradigms import assisted_labelling, word_guessing
from workbench.errors import ConflictError, ValidationError
from workbench.store.models import CollabSession, WorkerSession

from .conftest import at

PAIRS = {"paradigm": "word_guessing", "max_wait_s": 60, "grace_s": 30, "conditions": [{"agent": False}]}


def _join(store, study, n, t=0):
    with store.transaction() as s:
        seat = sessions.join(s, study, worker_id=f"W{n}", assignment_id=f"A{n}", now=at(t))
        return seat.session.id, seat.participant.id, seat.token, seat.resumed


def test_two_humans_form_a_group_and_the_session_starts(store):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    first = _join(store, "pairs", 1)
    with store.session() as s:
        assert sessions.get(s, first[0]).status == "waiting"
    second = _join(store, "pairs", 2, t=5)
    assert second[0] == first[0]
    with store.session() as s:
        cs = sessions.get(s, first[0])
        assert cs.status == "active" and cs.started_at == at(5)
        assert {p.role for p in cs.participants} == {"hinter", "guesser"}
        assert cs.state["game"]["target"] in cs.state["game"]["board"]
        kinds = [e.type for e in events.query(s, type="collab.")]
        assert kinds.count("collab.join") == 2 and "collab.start" in kinds


def test_a_returning_worker_keeps_the_seat_with_a_fresh_token(store):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    sid, pid, token, _ = _join(store, "pairs", 1)
    again = _join(store, "pairs", 1)
    assert again[:2] == (sid, pid) and again[3] is True and again[2] != token
    with store.session() as s, pytest.raises(sessions.ForbiddenError):
        sessions.authenticate(s, sid, token)  # the old token no longer works
    with store.transaction() as s, pytest.raises(ConflictError):
        sessions.join(s, "pairs", worker_id="someone-else", assignment_id="A1", now=at(0))


def test_a_token_opens_only_its_own_session(store):
    with store.transaction() as s:
        sessions.create_study(s, "solo", {"paradigm": "word_guessing"})
    first, second = _join(store, "solo", 1), _join(store, "solo", 2)
    assert first[0] != second[0]
    with store.session() as s:
        assert sessions.authenticate(s, first[0], first[2]).id == first[1]
        for sid, token in ((second[0], first[2]), (first[0], "x" * 43), (first[0], None), (first[0], "short")):
            with pytest.raises(sessions.ForbiddenError):
                sessions.authenticate(s, sid, token)


@pytest.mark.parametrize("bad, field", [({"assignmentId": ""}, "assignmentId"),
                                        ({"workerId": "x" * 200}, "workerId"),
                                        ({"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE"}, "assignmentId")])
def test_join_refuses_bad_ids_and_writes_nothing(store, bad, field):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    ids = {"workerId": "W1", "assignmentId": "A1", **bad}
    with pytest.raises(ValidationError) as caught, store.transaction() as s:
        sessions.join(s, "pairs", worker_id=ids["workerId"], assignment_id=ids["assignmentId"], now=at(0))
    assert caught.value.field == field
    with store.session() as s:
        assert sessions.list_(s) == []


def test_a_long_wait_is_filled_by_an_agent(store):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    sid = _join(store, "pairs", 1)[0]
    with store.transaction() as s:
        assert sessions.tick(s, at(59)) == []
        assert sessions.tick(s, at(60)) == [{"session_id": sid, "change": "filled", "roles": ["guesser"]}]
    with store.session() as s:
        cs = sessions.get(s, sid)
        agent = next(p for p in cs.participants if p.kind == "agent")
        assert cs.status == "active" and cs.state["filled_by_agent"] == ["guesser"]
        assert agent.role == "guesser" and agent.backend == "local" and "guesser" in agent.prompts["system"]
        assert cs.condition == {"agent": False, "chat": True, "persona": "default", "label": "agent=off chat=on persona=default"}


def test_a_long_wait_releases_the_worker_with_a_code_and_partial_pay(store):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", {**PAIRS, "on_timeout": "release"})
    sid, pid = _join(store, "pairs", 1)[:2]
    with store.transaction() as s:
        assert sessions.tick(s, at(61)) == [{"session_id": sid, "change": "released"}]
    with store.session() as s:
        cs = sessions.get(s, sid)
        worker = cs.participants[0]
        assert cs.status == "ended" and cs.end_reason == "no_partner" and cs.outcome["success"] is False
        assert worker.partial_pay and len(worker.completion_code) == 16
        visit = s.query(WorkerSession).filter_by(assignment_id="A1").one()
        assert visit.completion_code == worker.completion_code and visit.payload["partial_pay"] is True
        end = events.query(s, type="collab.end")[0]
        assert end.payload["reason"] == "no_partner" and end.payload["partial_pay"] == [pid]


def test_a_drop_out_within_grace_resumes_and_past_it_ends_the_session(store):
    with store.transaction() as s:
        sessions.create_study(s, "pairs", PAIRS)
    a, b = _join(store, "pairs", 1), _join(store, "pairs", 2)
    with store.transaction() as s:
        one = sessions.authenticate(s, a[0], a[2])
        sessions.connect(s, one, at(1))
        sessions.disconnect(s, one, at(10))
    with store.transaction() as s:
        assert sessions.tick(s, at(39)) == []
        assert sessions.connect(s, sessions.authenticate(s, a[0], a[2]), at(39)) is True
        sessions.disconnect(s, sessions.authenticate(s, a[0], a[2]), at(40))
    with store.transaction() as s:
        assert sessions.tick(s, at(70)) == [{"session_id": a[0], "change": "dropout", "dropped": [a[1]]}]
    with store.session() as s:
        cs = sessions.get(s, a[0])
        stayed = next(p for p in cs.participants if p.id == b[1])
        left = next(p for p in cs.participants if p.id == a[1])
        assert cs.end_reason == "dropout" and left.connection == "dropped" and left.completion_code is None
        assert stayed.partial_pay and stayed.completion_code


def test_word_guessing_rules():
    state = word_guessing.new_state({"max_guesses": 2}, seed=1)
    assert word_guessing.view(state, "guesser")["target"] is None
    with pytest.raises(ValidationError):
        word_guessing.apply(state, "guesser", {"kind": "guess", "word": state["board"][0]})
    with pytest.raises(ValidationError):
        word_guessing.apply(state, "hinter", {"kind": "hint", "word": state["target"]})
    hinted = word_guessing.apply(state, "hinter", {"kind": "hint", "word": "clue"})
    wrong = next(w for w in state["board"] if w != state["target"])
    after = word_guessing.apply(hinted, "guesser", {"kind": "guess", "word": wrong})
    assert after["turn"] == "hinter" and word_guessing.outcome(after) is None
    won = word_guessing.apply(word_guessing.apply(after, "hinter", {"kind": "hint", "word": "more"}),
                              "guesser", {"kind": "guess", "word": state["target"]})
    assert word_guessing.outcome(won) == {"success": True, "result": "won", "target": state["target"],
                                          "guesses": 2, "hints": 2}


def test_assisted_labelling_records_the_proposal_and_the_human_changes(study):
    store = study.store
    from workbench.study import tasks
    with store.transaction() as s:
        task = tasks.create(s, study.project.id, study.definition.id, asset_id=study.asset.id)
        sessions.create_study(s, "assist", {"paradigm": "assisted_labelling"}, project="cats")
    sid = _join(store, "assist", 1)[0]
    with store.transaction() as s:
        cs = sessions.get(s, sid)
        game = cs.state["game"]
        assert cs.status == "active" and game["task_id"] == task.id and game["turn"] == "assistant"
        proposal = assisted_labelling.local_proposal(game)
        assert proposal == {"labels": ["cat"]}
        game = assisted_labelling.apply(game, "assistant", {"kind": "propose", "result": proposal})
        game = assisted_labelling.apply(game, "annotator", {"kind": "submit", "result": {"labels": ["cat", "dog"]}})
        cs.state = {**cs.state, "game": game}
        outcome = sessions.end(s, cs, "completed", at(30))
    assert outcome["changes"] == {"changed": True, "fields": {"labels": {"added": ["dog"], "removed": []}}}
    with store.session() as s:
        from workbench.study import annotations
        stored = annotations.get(s, outcome["annotation_id"])
        assert stored.result == {"labels": ["cat", "dog"]} and stored.actor == "W1"
        assert stored.raw_payload["agent_proposal"] == {"labels": ["cat"]}
        assert stored.raw_payload["human_changes"]["fields"]["labels"]["added"] == ["dog"]
        assert s.get(CollabSession, sid).participants[0].partial_pay is False
