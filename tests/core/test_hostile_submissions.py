"""Hostile submissions at the core (issue 14): ``submissions.parse`` bounds ids and refuses what no store can keep,
``annotations.submit`` refuses it too, and the submission writer stores the honest neighbours of a poisoned item.

Every store test runs on SQLite and PostgreSQL. The fuzz tests are bounded and derandomized (hypothesis picks the
same examples on every run), so CI sees the same cases each time.
"""

from __future__ import annotations

import io
import json
import math
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from workbench.crowd import submission_writer, submissions, worker_sessions
from workbench.study import annotations, definitions, json_safety, tasks
from workbench.errors import ValidationError
from workbench.store.models import Annotation, Assignment, Event

#: A result schema that lets numbers and free text through unchecked, as many researchers' schemas do: what
#: reaches the store is then whatever the check at the door let in.
FREE_SCHEMA = {
    "type": "object",
    "required": ["labels"],
    "additionalProperties": False,
    "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}},
                   "confidence": {"type": "number"}, "note": {"type": "string"}},
}
BIGINT_MAX = 2**63 - 1  # the largest value of a 64-bit signed integer column (SQLite INTEGER, PostgreSQL bigint)
INTEGER_MAX = 2**31 - 1  # the largest value of PostgreSQL's integer, the type of tasks.id there
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def free_tasks(study) -> SimpleNamespace:
    """Three tasks of ``study`` (a project "cats" with type "classification" and an asset) on a definition whose
    schema takes any number as ``confidence`` and any text as ``note`` (the server's tests use it too)."""
    with study.store.transaction() as s:
        definitions.create_definition(s, "classification", "2.0", {
            "ui_config": {"labels": ["cat", "dog"], "multi": True}, "label_schema": FREE_SCHEMA})
        ids = [tasks.create(s, "cats", "classification:2.0", asset_id=study.asset.id).id for _ in range(3)]
    return SimpleNamespace(store=study.store, task_ids=ids)


@pytest.fixture
def free(study):
    return free_tasks(study)


def body(**changes):
    return {"task_id": 1, "assignment_id": "A1", "hit_id": "H1", "worker_id": "W1",
            "result": {"labels": ["cat"]}, **changes}


def refusal(submission) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        submissions.parse(submission)
    return caught.value


def _nest(depth: int) -> list:
    """Lists nested ``depth`` deep, built without recursion (deeper than any recursive reader or writer goes)."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# -- parse: ids ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task_id", [
    INTEGER_MAX + 1, BIGINT_MAX + 1, 2**64, -(2**63), 0, -1, str(BIGINT_MAX + 1), "1" * 5000,
    "²", "١٢",  # str.isdigit says yes to both; int() refuses the first and reads the second as 12
    " 12", "12\x00", 1.0, True, None, [1], {"id": 1},
])
def test_parse_refuses_task_ids_no_store_column_holds(task_id):
    error = refusal(body(task_id=task_id))
    assert error.field == "task_id" and error.status == 400


def test_parse_takes_the_largest_task_id_and_decimal_text():
    assert submissions.parse(body(task_id=INTEGER_MAX))["task_id"] == INTEGER_MAX
    assert submissions.parse(body(task_id="42"))["task_id"] == 42


@pytest.mark.parametrize("field, value, named", [
    ("assignment_id", "A\x00", "assignmentId"),
    ("assignment_id", "A\ud800", "assignmentId"),
    ("worker_id", "W\x00", "workerId"),
    ("worker_id", "\udfffW", "workerId"),
    ("hit_id", "H\x00", "hitId"),
    ("hit_id", "H\ud83d", "hitId"),
    ("tool_version", "1.0\x00", "tool_version"),
    ("tool_version", "1.0\ud800", "tool_version"),
])
def test_ids_and_tool_version_refuse_nul_and_lone_surrogates(field, value, named):
    assert refusal(body(**{field: value})).field == named


# -- parse: results -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("result, field", [
    ({"labels": ["cat"], "confidence": math.nan}, "result.confidence"),
    ({"labels": ["cat"], "confidence": math.inf}, "result.confidence"),
    ({"labels": ["cat"], "confidence": -math.inf}, "result.confidence"),
    (json.loads('{"labels": ["cat"], "confidence": 1e400}'), "result.confidence"),  # json reads it as inf
    (json.loads('{"labels": ["cat", NaN]}'), "result.labels[1]"),
    ({"labels": ["ca\x00t"]}, "result.labels[0]"),
    ({"labels": ["cat"], "note": "\ud800"}, "result.note"),
    ({"labels": ["cat"], "boxes": [{"x": 1, "label": "a\udfffb"}]}, "result.boxes[0].label"),
    ({"labels": ["cat"], "note\x00": "x"}, "result"),       # a key: the field is its object's, not the key's
    ({"labels": ["cat"], "n": {"\ud800": 1}}, "result.n"),
    (math.nan, "result"),
    ("\x00", "result"),
])
def test_parse_refuses_results_no_store_can_keep_naming_the_field(result, field):
    error = refusal(body(result=result))
    assert error.field == field and error.status == 400
    assert "\x00" not in error.message and "\ud800" not in error.message and "\udfff" not in error.message


def test_parse_refuses_results_nested_beyond_the_limit_and_takes_them_up_to_it():
    assert refusal(body(result={"labels": ["cat"], "note": _nest(70)})).field.startswith("result.note")
    assert refusal(body(result=_nest(100_000))).field.startswith("result")  # no recursion: no RecursionError
    nested = _nest(json_safety.MAX_DEPTH - 1)
    assert submissions.parse(body(result={"labels": ["cat"], "note": nested}))["result"]["note"] == nested


def test_parse_takes_every_other_value_as_it_is():
    result = {"labels": ["cat", "😀", "naïve", "\u200b", "\\u0000 (typed)"], "confidence": 1e308, "big": 10**30,
              "n": -0.0, "ok": [True, False, None, {"": ""}]}
    assert submissions.parse(body(result=result))["result"] == result


# -- the core's other door: annotations.submit ------------------------------------------------------------------

@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_annotations_submit_refuses_nan_and_infinity(free, value):
    with pytest.raises(ValidationError) as caught, free.store.transaction() as s:
        annotations.submit(s, free.task_ids[0], {"labels": ["cat"], "confidence": value}, actor="researcher")
    assert caught.value.field == "result.confidence"
    with free.store.session() as s:
        assert s.query(Annotation).count() == 0 and s.query(Event).filter_by(type="annotation.created").count() == 0


@pytest.mark.parametrize("changes, field", [
    ({"submission_id": "S\x00"}, "submission_id"),
    ({"submission_id": "S\ud800"}, "submission_id"),
    ({"tool_version": "\x00"}, "tool_version"),
])
def test_annotations_submit_refuses_texts_no_store_can_keep(free, changes, field):
    with pytest.raises(ValidationError) as caught, free.store.transaction() as s:
        annotations.submit(s, free.task_ids[0], {"labels": ["cat"]}, actor="researcher", **changes)
    assert caught.value.field == field


@pytest.mark.parametrize("task_id", [INTEGER_MAX + 1, BIGINT_MAX + 1, 2**64, -(2**63) - 1])
def test_annotations_submit_bounds_the_task_id(free, task_id):
    with pytest.raises(ValidationError) as caught, free.store.transaction() as s:
        annotations.submit(s, task_id, {"labels": ["cat"]}, actor="researcher")
    assert caught.value.field == "task_id"


# -- the writer: a poisoned item never fails its neighbours ------------------------------------------------------

def line(*items) -> io.BufferedReader:
    """One line of the writer's protocol, as the server writes it (``json.dumps`` writes NaN for a NaN)."""
    return io.BufferedReader(io.BytesIO(json.dumps([list(i) for i in items]).encode() + b"\n"))


def item(task_id, assignment, result=None, worker="W1"):
    return ({"task_id": task_id, "assignment_id": assignment, "hit_id": "H1", "worker_id": worker,
             "result": result or {"labels": ["cat"]}, "tool_version": ""}, None)


# What slipped past parse before issue 14: built here without parse, as the writer used to receive them.
POISONS = {
    "task id above 2^63-1": (lambda t: item(2**64, "P"), "task_id"),
    "task id above 2^31-1": (lambda t: item(2**31, "P"), "task_id"),
    "NaN": (lambda t: item(t, "P", {"labels": ["cat"], "confidence": math.nan}), "result.confidence"),
    "Infinity": (lambda t: item(t, "P", {"labels": ["cat"], "confidence": math.inf}), "result.confidence"),
    "-Infinity": (lambda t: item(t, "P", {"labels": ["cat"], "confidence": -math.inf}), "result.confidence"),
    "NUL": (lambda t: item(t, "P", {"labels": ["cat"], "note": "a\x00b"}), "result.note"),
    "lone surrogate": (lambda t: item(t, "P", {"labels": ["cat"], "note": "\ud800"}), "result.note"),
}


def stored_state(store):
    with store.session() as s:
        return (sorted(a.submission_id for a in s.query(Annotation)),
                s.query(Event).filter_by(type="annotation.created").count())


@pytest.mark.parametrize("poison", POISONS)
def test_a_poisoned_item_leaves_its_honest_neighbours_stored(free, poison):
    make, field = POISONS[poison]
    first, second, third = free.task_ids
    sink = io.BytesIO()
    transactions = submission_writer.serve(free.store, line(item(first, "H1"), make(second), item(third, "H2")),
                                           sink, provider="mturk")
    assert transactions == 1
    honest1, poisoned, honest2 = json.loads(sink.getvalue())
    assert (honest1["status"], honest2["status"]) == (201, 201)
    assert poisoned["error"] == 400 and poisoned["body"]["field"] == field
    assert stored_state(free.store) == (["H1", "H2"], 2)


def test_a_burst_with_every_poison_stores_every_honest_item_once(free):
    """The campaign's burst in small: honest items around each poison, in one transaction, on each store."""
    task_ids = free.task_ids
    batch, honest = [], []
    for n, (make, _) in enumerate(POISONS.values()):
        for k in range(5):
            honest.append(f"H{n}-{k}")
            batch.append(item(task_ids[k % 3], honest[-1]))
        batch.append(make(task_ids[n % 3]))
    sink = io.BytesIO()
    submission_writer.serve(free.store, line(*batch), sink, provider="mturk")
    answers = json.loads(sink.getvalue())
    assert [a.get("status", a.get("error")) for a in answers] == [400 if i % 6 == 5 else 201
                                                                   for i in range(len(batch))]
    assert stored_state(free.store) == (sorted(honest), len(honest))


# A store that refuses one row for a reason no check of ours knows: a trigger. The writer must still answer each
# item on its own, the refused one with an error of its own and the others stored. A constraint error is met inside
# the batch's transaction (its insert has a savepoint); any other error fails the transaction, and the writer
# stores the batch again item by item.
SQLITE_REFUSAL = (["CREATE TRIGGER refuse_poison BEFORE INSERT ON annotations WHEN NEW.submission_id = 'P' "
                   "BEGIN SELECT RAISE(ABORT, 'refused by the store'); END"],  # an IntegrityError
                  ["DROP TRIGGER IF EXISTS refuse_poison"])


def pg_refusal(errcode: str) -> tuple[list[str], list[str]]:
    return ([f"CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             f"RAISE EXCEPTION 'refused by the store' USING ERRCODE = '{errcode}'; END $$",
             "CREATE TRIGGER refuse_poison BEFORE INSERT ON annotations FOR EACH ROW "
             "WHEN (NEW.submission_id = 'P') EXECUTE FUNCTION refuse_poison()"],
            ["DROP TRIGGER IF EXISTS refuse_poison ON annotations", "DROP FUNCTION IF EXISTS refuse_poison()"])


@pytest.mark.parametrize("refusal, status", [
    ("constraint", 400),  # SQLite: RAISE(ABORT); PostgreSQL: check_violation, an IntegrityError
    ("data", 400),        # PostgreSQL's data_exception, a DataError
    ("other", 503),       # PostgreSQL's insufficient_privilege, a ProgrammingError: not the data's fault
])
def test_an_item_the_store_itself_refuses_fails_alone(free, backend, refusal, status):
    if backend == "sqlite" and refusal != "constraint":
        pytest.skip("SQLite's triggers can only raise a constraint error")
    errcode = {"constraint": "check_violation", "data": "data_exception", "other": "insufficient_privilege"}
    create, drop = SQLITE_REFUSAL if backend == "sqlite" else pg_refusal(errcode[refusal])
    first, second, third = free.task_ids
    with free.store.engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    try:
        sink = io.BytesIO()
        submission_writer.serve(free.store, line(item(first, "H1"), item(second, "P"), item(third, "H2"),
                                                 item(first, "H1")), sink, provider="mturk")
    finally:
        with free.store.engine.begin() as conn:
            for statement in drop:
                conn.execute(text(statement))
    honest1, refused, honest2, again = json.loads(sink.getvalue())
    assert (honest1["status"], honest2["status"], again["status"]) == (201, 201, 200)
    assert refused["error"] == status and "refused by the store" not in json.dumps(refused)
    assert json.loads(again["json"])["id"] == json.loads(honest1["json"])["id"]
    assert stored_state(free.store) == (["H1", "H2"], 2)
    with free.store.session() as s:
        assert {a.assignment_id for a in s.query(Assignment)} >= {"H1", "H2"}


# -- fuzz: parse and the result check ---------------------------------------------------------------------------

ODD = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\u2028", "\ufeff", "\uffff",
                       "😀", "é", "\n", "'", '"', "<"])
TEXT = (st.text(st.characters(exclude_categories=()) | ODD, max_size=12)
        | st.sampled_from(["\\u0000", "%00", "NaN", "Infinity", "1e400", "\u0000"]))
NUMBER = (st.integers() | st.integers(min_value=2**62, max_value=2**70) | st.integers(max_value=-(2**62))
          | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([math.nan, math.inf, -math.inf, -0.0]))
LEAF = st.none() | st.booleans() | NUMBER | TEXT


def json_values(max_leaves=24):
    """Any value ``json.loads`` can return (NaN and the infinities included, as Python's reader allows)."""
    return st.recursive(LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                        max_leaves=max_leaves)


HONEST_ID = st.sampled_from(["A1", "W1", "H1"]) | st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1,
                                                           max_size=40)
ID = HONEST_ID | st.sampled_from(["", worker_sessions.PREVIEW_ASSIGNMENT, "x" * 129]) | TEXT | NUMBER | st.none()
TASK_ID = (st.integers(min_value=1, max_value=INTEGER_MAX) | st.integers(min_value=1, max_value=10**9).map(str)
           | st.integers(min_value=-(2**64), max_value=2**65)
           | st.sampled_from([INTEGER_MAX + 1, BIGINT_MAX, BIGINT_MAX + 1, 0, str(INTEGER_MAX + 1), "0" * 11])
           | st.integers().map(str) | TEXT | st.floats() | st.booleans() | st.none())
HONEST = st.fixed_dictionaries(
    {"task_id": st.integers(min_value=1, max_value=INTEGER_MAX), "assignment_id": HONEST_ID, "worker_id": HONEST_ID,
     "result": json_values()}, optional={"hit_id": HONEST_ID | st.just(""), "tool_version": st.sampled_from(["", "1.0"])})
DEEP = st.integers(min_value=1, max_value=5000).map(_nest)
#: Bodies shaped like a submission: an honest one with one field (or an extra one) hostile, or any of the fields.
SUBMISSIONS = (HONEST
               | st.tuples(HONEST, st.sampled_from((*submissions.FIELDS, "tool_version")),
                           ID | TASK_ID | json_values() | DEEP)
               .map(lambda drawn: {**drawn[0], drawn[1]: drawn[2]})
               | st.fixed_dictionaries({}, optional={"task_id": TASK_ID, "assignment_id": ID, "hit_id": ID,
                                                     "worker_id": ID, "result": json_values(), "tool_version": ID,
                                                     "extra": LEAF}))


def _storable_text(value) -> str:
    """The value as strict JSON text in UTF-8, the way a store keeps it; raises if it cannot be."""
    out = json.dumps(value, allow_nan=False, ensure_ascii=False)
    out.encode("utf-8")  # a lone surrogate cannot be written
    return out


def _accepted(parsed) -> None:
    """What parse accepted is storable and round-trips: parsing the stored JSON gives the same submission."""
    assert isinstance(parsed["task_id"], int) and 1 <= parsed["task_id"] <= INTEGER_MAX
    for name in ("assignment_id", "worker_id", "hit_id", "tool_version"):
        assert parsed[name].isprintable()
    again = submissions.parse(json.loads(_storable_text(parsed)))
    assert again == parsed


@FUZZ
@given(json_values(max_leaves=40))
def test_fuzz_parse_answers_any_json_value_with_a_submission_or_a_validation_error(value):
    try:
        parsed = submissions.parse(value)
    except ValidationError as exc:
        assert exc.field and exc.status == 400
        return
    _accepted(parsed)


@FUZZ
@given(SUBMISSIONS)
def test_fuzz_parse_of_submission_shaped_bodies(value):
    try:
        parsed = submissions.parse(value)
    except ValidationError as exc:
        assert exc.field and exc.status == 400
        json.dumps(exc.to_dict()).encode("utf-8")  # the refusal itself can be sent and logged
        event(f"refused: {exc.field.split('.')[0].split('[')[0]}")
        return
    event("accepted")
    _accepted(parsed)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@pytest.fixture(scope="module")
def postgresql(pg_database):
    engine = create_engine(pg_database)
    yield engine
    engine.dispose()


@FUZZ
@given(value=json_values())
def test_fuzz_the_result_check_refuses_exactly_what_postgresql_refuses(postgresql, value):
    """PostgreSQL is the judge: a result is storable if ``jsonb`` takes its JSON text (and it nests no deeper than
    the limit); the check refuses a result if and only if it is not."""
    value = json.loads(json.dumps(value))  # as the server's JSON reader hands it over (escaped pairs joined)
    with postgresql.connect() as conn:
        try:
            conn.execute(text("SELECT CAST(:doc AS jsonb)"), {"doc": json.dumps(value)})
            taken = _depth(value) <= json_safety.MAX_DEPTH
        except Exception:  # noqa: BLE001 - whatever PostgreSQL refused, for whatever reason
            taken = False
    try:
        submissions.parse(body(result=value))
        refused = None
    except ValidationError as exc:
        refused = exc
    assert (refused is None) == taken, (value, refused)
    event("refused" if refused else "taken")
    if refused is not None:
        assert refused.field.startswith("result")
