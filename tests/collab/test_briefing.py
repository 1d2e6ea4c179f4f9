"""What people read: their role and the rules from the study's own settings, refusals in plain words."""

from __future__ import annotations

import re

import pytest

from workbench.study import tasks
from workbench.collab import briefing, sessions
from workbench.collab.live import LiveSession, Member, check_frame
from workbench.collab.paradigms import word_guessing
from workbench.errors import ValidationError

from .conftest import at

#: A field path as the code names it (``action.word``, ``frame.text``, ``action.result.labels[0]``): never shown.
FIELD_PATH = re.compile(r"\b(action|frame|text|session|role)(\.[\w\[\]]+)*\s*:|\baction\.|\bframe\.")


def _seat(store, slug, config, worker="W1"):
    with store.transaction() as s:
        if worker == "W1":
            sessions.create_study(s, slug, config)
        seat = sessions.join(s, slug, worker_id=worker, assignment_id=f"{slug}-{worker}", now=at(0))
        return briefing.for_seat(seat.session, seat.participant.role)


def test_the_rules_carry_the_studys_own_numbers_and_conditions(store):
    told = _seat(store, "small", {"paradigm": "word_guessing", "max_duration_s": 600, "grace_s": 45,
                                  "conditions": [{"agent": True, "agent_role": "hinter", "chat": False}],
                                  "word_guessing": {"max_guesses": 3, "board_size": 6}})
    assert told["title"] == "Word guessing game" and told["role"] == "guesser"
    assert told["you"].startswith("You do not see the secret word.")
    assert told["others"] == [{"role": "hinter", "does": "sees the secret word and gives one-word hints"}]
    rules = " ".join(told["rules"])
    for said in ("The board shows 6 words.", "The guesser has 3 guesses.", "There is no chat in this session.",
                 "at most 10 minutes", "more than 45 seconds", "completion code"):
        assert said in rules, said


def test_a_helper_is_named_and_its_part_in_the_rules(store):
    trio = {"paradigm": "word_guessing", "conditions": [{"agent": True, "agent_role": "helper"}]}
    first = _seat(store, "trio", trio)
    assert {o["role"] for o in first["others"]} == {"helper", "hinter" if first["role"] == "guesser" else "guesser"}
    assert "The helper suggests words in the chat; only the guesser picks." in first["rules"]
    assert "Use the chat to talk with the others in the session." in first["rules"]


def test_labelling_without_an_assistant_has_no_proposal_to_check(study):
    with study.store.transaction() as s:
        tasks.create(s, study.project.id, study.definition.id, asset_id=study.asset.id)
        sessions.create_study(s, "alone", {"paradigm": "assisted_labelling", "conditions": [{"agent": False}]},
                              project=study.project.slug)
        seat = sessions.join(s, "alone", worker_id="W1", assignment_id="A1", now=at(0))
        told = briefing.for_seat(seat.session, "annotator")
    assert told["others"] == [] and told["rules"][0] == "Label the task below, then submit."
    assert not any("assistant" in rule for rule in told["rules"])


@pytest.mark.parametrize("args, title", [
    ({"study": "nope"}, "This link leads to no study"),
    ({"study": "words", "assignment_id": ""}, "This link is incomplete"),
    ({"study": "words", "assignment_id": "ASSIGNMENT_ID_NOT_AVAILABLE"}, "Accept the HIT to join"),
    ({"study": "words", "assignment_id": "A1", "worker_id": "someone-else"}, "This HIT is another worker's"),
    ({"study": "shut"}, "This study is closed"),
])
def test_a_refused_join_is_told_in_plain_words(store, args, title):
    with store.transaction() as s:
        sessions.create_study(s, "words", {"paradigm": "word_guessing"})
        sessions.create_study(s, "shut", {"paradigm": "word_guessing"}).status = "closed"
        sessions.join(s, "words", worker_id="W1", assignment_id="A1", now=at(0))
    with store.transaction() as s, pytest.raises(Exception) as caught:
        sessions.join(s, args["study"], worker_id=args.get("worker_id", "W2"),
                      assignment_id=args.get("assignment_id", "A2"), now=at(0))
    told = briefing.join_refusal(caught.value)
    assert told["title"] == title and told["text"] and told["next"]
    shown = " ".join(told.values())
    assert not FIELD_PATH.search(shown) and not re.search(r"assignmentId|workerId|hitId|'\w+'", shown)


@pytest.mark.parametrize("role, action, plain", [
    ("hinter", {"kind": "hint", "word": "two words"}, "Use one word of letters only"),
    ("hinter", {"kind": "hint", "word": "BOARD"}, "is on the board: give a hint that is not."),
    ("guesser", {"kind": "guess", "word": "zebra"}, "Wait: it is the hinter's turn."),
])
def test_a_refused_move_says_why_without_field_paths(role, action, plain):
    state = word_guessing.new_state({}, seed=1)
    action = {**action, "word": state["board"][0] if action["word"] == "BOARD" else action["word"]}
    with pytest.raises(ValidationError) as caught:
        word_guessing.apply(state, role, action)
    assert plain in caught.value.message and not FIELD_PATH.search(caught.value.message)
    assert caught.value.field.startswith("action")  # the field is still named, for programs


@pytest.mark.parametrize("frame, plain", [
    ({"type": "chat", "text": ""}, "Write a message first."),
    ({"type": "chat"}, "Write a message first."),
    ({"type": "shout", "text": "hi"}, "reload the page"),
    ([1, 2], "reload the page"),
])
def test_a_frame_the_session_cannot_take_is_worded_for_people(frame, plain):
    with pytest.raises(ValidationError) as caught:
        check_frame(frame)
    assert plain in caught.value.message and not FIELD_PATH.search(caught.value.message)


@pytest.mark.parametrize("result, plain", [
    ({"labels": ["bird"]}, "“bird” is not one of the choices this task allows (cat, dog)."),
    ({"labels": []}, "Give at least 1 in “labels”."),
    ({}, "Part of the answer is missing"),
])
def test_an_answer_outside_the_label_schema_is_worded_for_people(result, plain):
    schema = {"type": "object", "required": ["labels"],
              "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}}}}
    game = {"task_id": 1, "label_schema": schema, "proposal": None, "current": None, "final": None,
            "turn": "annotator", "result": None}
    annotator = Member(1, "human", "annotator", "W1")
    live = LiveSession(1, "s", "assisted_labelling", {}, {}, "active", {"game": game}, {1: annotator})
    with pytest.raises(ValidationError) as caught:
        live.act(annotator, {"kind": "submit", "result": result}, at(0))
    assert plain in caught.value.message and not FIELD_PATH.search(caught.value.message)
    assert caught.value.field.startswith("action.result")
