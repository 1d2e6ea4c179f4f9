"""What a crowd worker's browser may submit: one result for one task, under its assignment.

Both worker modes end here. A worker page carries a signed, expiring token bound to its
task, assignment, worker and HIT (``page_token``), and a submission presents it
(``check_page_token``): a page framed by MTurk is a third party, and browsers that block
third-party cookies would never send a cookie back, so no submission depends on one. The
assignment id is the submission id, so a retried or doubled submit stores one annotation
and answers with it; the assignment's row is recorded or linked as the submission arrives
(``assignments.link_arrivals``). A preview (MTurk's
placeholder assignment) cannot submit. An assignment that belongs to a link-out session
may only submit from that session's browser, for that session's tasks; on a server of any
provider but MTurk (``EXTERNAL_PROVIDERS``) every submission must belong to such a session, for
there the entry route is what admits a participant. ``submit_many``
does the same for a batch in one transaction, for the server's group commit, and
``submit_each`` for a batch one item at a time, so that an item the database refuses fails
alone.

``parse`` is the door: it bounds the ids and refuses a result no store keeps as it is
(``json_safety.check_storable``: NaN, Infinity, NUL, unpaired surrogates, deep nesting),
naming the field, so that nothing it lets through can fail a batch it shares with others.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench import events
from workbench.study import annotations, fast_validation, gold, json_safety, signing, tasks, telemetry
from . import assignments, worker_sessions
from workbench.study.annotations import Submission
from .assignments import Arrival, link_arrivals
from workbench.errors import ConflictError, NotFoundError, StoreError, ValidationError, WorkbenchError
from workbench.study.signing import SignatureError
from workbench.store.models import Annotation, Task, TaskDefinition, WorkerSession
from workbench.store.types import utcnow

log = logging.getLogger(__name__)

FIELDS = ("task_id", "assignment_id", "hit_id", "worker_id", "result")
#: What a page may send besides: its plugin's version, and what it measured (``workbench.study.telemetry``).
OPTIONAL_FIELDS = ("tool_version", "telemetry")
#: The providers whose workers may submit without a session (the ``external`` mode: MTurk's ExternalQuestion
#: page). Every other provider admits at its entry route, which starts the session a submission must belong to.
EXTERNAL_PROVIDERS = ("mturk",)
#: The request header a worker page sends its ``page_token`` in.
TOKEN_HEADER = "X-Workbench-Token"

# The group-commit path (``submit_many``) runs these Core statements, built once with expanding
# parameters: building a select per batch, and the ORM's per-row bookkeeping, cost more than the
# database work, and the writer does this for every batch the server hands it.
_ANNOTATIONS, _TASKS, _DEFINITIONS = Annotation.__table__, Task.__table__, TaskDefinition.__table__
_SESSIONS = WorkerSession.__table__
_VISITS = select(_SESSIONS.c.assignment_id, _SESSIONS.c.token, _SESSIONS.c.task_ids, _SESSIONS.c.worker_id).where(
    _SESSIONS.c.provider == bindparam("provider"), _SESSIONS.c.assignment_id.in_(bindparam("ids", expanding=True)))
_TASK_ROWS = select(_TASKS.c.id, _TASKS.c.project_id, _TASKS.c.definition_id, _TASKS.c.status,
                    _TASKS.c.target_annotations, _TASKS.c.payload).where(
    _TASKS.c.id.in_(bindparam("task_ids", expanding=True)))
#: A row's gold columns when its task is not gold (every row of one insert names the same columns).
_NOT_GOLD = {"gold_score": None, "gold_passed": None}
_DEFINITION_ROWS = select(_DEFINITIONS.c.id, _DEFINITIONS.c.version, _DEFINITIONS.c.definition).where(
    _DEFINITIONS.c.id.in_(bindparam("definition_ids", expanding=True)))
_EXISTING = select(_ANNOTATIONS.c.task_id, _ANNOTATIONS.c.submission_id, _ANNOTATIONS.c.id, _ANNOTATIONS.c.actor).where(
    _ANNOTATIONS.c.task_id.in_(bindparam("task_ids", expanding=True)),
    _ANNOTATIONS.c.submission_id.in_(bindparam("ids", expanding=True)))
_INSERT_ANNOTATIONS = _ANNOTATIONS.insert().returning(_ANNOTATIONS.c.id, sort_by_parameter_order=True)


def parse(body: Any) -> dict[str, Any]:
    """The submission fields of a request body, checked for shape (the result is checked later)."""
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        # The field named is the key itself only when it is short and printable: an error is echoed and logged.
        name = unknown[0] if unknown[0].isprintable() and 0 < len(unknown[0]) <= 64 else "body"
        raise ValidationError(name, f"is not a submission field (fields: {', '.join(FIELDS + OPTIONAL_FIELDS)})")
    task_id = body.get("task_id")
    if isinstance(task_id, str) and task_id.isascii() and task_id.isdigit() and len(task_id) <= 10:
        task_id = int(task_id)  # ASCII only: int() also reads other scripts' digits, and str.isdigit takes "²"
    tasks.check_id("task_id", task_id)
    if "result" not in body:
        raise ValidationError("result", "is required")
    worker_sessions.check_ids(body.get("assignment_id"), body.get("worker_id"), body.get("hit_id", ""))
    tool_version = body.get("tool_version", "")
    if not isinstance(tool_version, str) or len(tool_version) > 64 or not tool_version.isprintable():
        raise ValidationError("tool_version", "must be at most 64 printable characters")
    json_safety.check_storable(body["result"], "result")
    # What the page measured (times, counts, lengths: never content), checked strictly; absent from older pages.
    measured = body.get("telemetry")
    measured = None if measured is None else telemetry.parse_telemetry(measured).to_dict()
    return {"task_id": task_id, "assignment_id": body["assignment_id"], "hit_id": body.get("hit_id", ""),
            "worker_id": body["worker_id"], "result": body["result"], "tool_version": tool_version,
            "telemetry": measured}


def _token_message(provider: str, task_id: int, assignment_id: str, worker_id: str, hit_id: str) -> str:
    # Ids are printable (``worker_sessions.check_ids``), so a newline cannot be smuggled into one of them.
    return "\n".join(("submit", provider, str(int(task_id)), assignment_id, worker_id, hit_id))


def page_token(provider: str, task_id: int, assignment_id: str, worker_id: str, hit_id: str = "", *,
               expires_in: int, now: float | None = None) -> str:
    """The token a worker page carries: ``<expiry>.<signature>`` over the provider, task and the worker's ids."""
    signed = signing.sign(_token_message(provider, task_id, assignment_id, worker_id, hit_id),
                          expires_in=expires_in, now=now)
    return f"{signed['exp']}.{signed['sig']}"


def check_page_token(submission: dict[str, Any], token: str | None, *, provider: str,
                     now: float | None = None) -> None:
    """Refuse (403) a submission whose token is missing, forged, expired, or from a page of other ids."""
    if not token:
        raise SignatureError("the submission carries no page token; reload the task page and submit again",
                             field="token", reason="missing")
    exp, _, sig = token.partition(".")
    message = _token_message(provider, submission["task_id"], submission["assignment_id"], submission["worker_id"],
                             submission["hit_id"])
    try:
        signing.verify(message, exp, sig, now=now)
    except SignatureError as exc:
        if exc.reason == "expired":
            raise SignatureError("this task page has expired; reload it and submit again", field="token",
                                 reason="expired") from None
        raise SignatureError("the submission does not match the task page it came from", field="token",
                             reason="does not match") from None


def submit_from_worker(session: Session, submission: dict[str, Any], *, provider: str = "mturk",
                       session_token: str | None = None) -> Submission:
    """Store a worker's result (``submission`` as returned by ``parse``); idempotent per assignment."""
    assignment_id = submission["assignment_id"]
    visit = worker_sessions.find(session, assignment_id, provider=provider)
    if visit is None:
        _check_external(provider)
    else:
        # A link-out assignment: only its browser, only its tasks, only its worker.
        visit = worker_sessions.authenticate(session, assignment_id, session_token, provider=provider)
        if submission["task_id"] not in visit.task_ids:
            raise ValidationError("task_id", "is not one of this session's tasks")
        if submission["worker_id"] != visit.worker_id:
            raise SignatureError("workerId does not match the session", field="worker_id", reason="mismatch")
    task = tasks.get(session, submission["task_id"])
    assignment_pk = link_arrivals(session, provider, [_arrival(submission, task.project_id, visit is not None)]
                                  )[assignment_id]
    raw = {"provider": provider, "assignment_id": assignment_id, "hit_id": submission["hit_id"],
           "worker_id": submission["worker_id"], "mode": "link-out" if visit is not None else "external"}
    done = annotations.submit(session, submission["task_id"], submission["result"], actor=submission["worker_id"],
                              submission_id=assignment_id, tool_version=submission["tool_version"],
                              raw_payload=raw, assignment_pk=assignment_pk, telemetry=submission.get("telemetry"))
    if done.duplicate and done.annotation.actor != submission["worker_id"]:
        raise _answered_by_another()
    return done


def _answered_by_another() -> ConflictError:
    # A duplicate is answered with the stored annotation: only ever to the worker who made it, for the page that
    # hands out tokens is public and anyone may name an assignment.
    return ConflictError("this task has already been answered under this assignment by another worker",
                         field="worker_id", reason="answered by another worker")


def submit_many(session: Session, batch: list[tuple[dict[str, Any], str | None]], *,
                provider: str = "mturk") -> list[dict[str, Any] | WorkbenchError]:
    """Store several workers' submissions in one transaction (group commit); one outcome per item, in order.

    Each item is ``(submission, session_token)`` as ``submit_from_worker`` takes them and
    gets the same checks and the same outcome: the stored annotation as a dict (with
    ``duplicate``), or the WorkbenchError that refused it. A refused item leaves the
    others untouched. The work is done in a handful of statements for the whole batch; if
    the insert meets a concurrent writer (a unique-key clash), the batch falls back to
    one savepoint per item (``submit_each``).

    Each item meets ``parse``'s rules again before any statement names it: the batch
    comes down a pipe, and one value the database refuses would fail every item with it.
    """
    outcomes: list[dict[str, Any] | WorkbenchError | None] = [None] * len(batch)
    items: list[tuple[int, dict[str, Any], str | None]] = []
    for index, (item, token) in enumerate(batch):
        try:
            items.append((index, parse(item), token))
        except ValidationError as exc:
            outcomes[index] = exc
    assignment_ids = sorted({item["assignment_id"] for _, item, _ in items})
    task_ids = sorted({item["task_id"] for _, item, _ in items})
    run = session.connection().execute
    visits = {row.assignment_id: row for row in run(_VISITS, {"provider": provider, "ids": assignment_ids})}
    task_rows = {row.id: row for row in run(_TASK_ROWS, {"task_ids": task_ids})}
    checks = {row.id: (row.version, _checker(row)) for row in run(
        _DEFINITION_ROWS, {"definition_ids": sorted({t.definition_id for t in task_rows.values()})})}
    existing, answered_by = {}, {}
    for task_id, sid, pk, actor in run(_EXISTING, {"task_ids": task_ids, "ids": assignment_ids}):
        existing[(task_id, sid)], answered_by[(task_id, sid)] = pk, actor
    rows: list[dict[str, Any]] = []
    arrivals: list[Arrival] = []
    first_of: dict[tuple[int, str], int] = {}
    for index, item, token in items:
        key = (item["task_id"], item["assignment_id"])
        try:
            task = task_rows.get(item["task_id"])
            if task is None:
                raise NotFoundError("task", item["task_id"])
            visit = visits.get(item["assignment_id"])
            if visit is None:
                _check_external(provider)
            else:
                _check_visit(visit, item, token)
            if key in existing or key in first_of:
                first = answered_by[key] if key in existing else batch[first_of[key]][0]["worker_id"]
                if first != item["worker_id"]:
                    raise _answered_by_another()
                continue  # a duplicate: answered below with the stored annotation
            schema_version, check = checks[task.definition_id]
            check(item["result"])
        except WorkbenchError as exc:
            outcomes[index] = exc
            continue
        first_of[key] = index
        arrivals.append(_arrival(item, task.project_id, visit is not None))
        rows.append({"task_id": task.id, "result": item["result"], "schema_version": schema_version,
                     "tool_version": item["tool_version"], "actor": item["worker_id"],
                     "submission_id": item["assignment_id"],
                     "raw_payload": {"provider": provider, "assignment_id": item["assignment_id"],
                                     "hit_id": item["hit_id"], "worker_id": item["worker_id"],
                                     "mode": "link-out" if visit is not None else "external"},
                     "created_at": utcnow(), "telemetry": item.get("telemetry"), **_NOT_GOLD,
                     **gold.grade(task.payload, item["result"])})
    created: list[int] = []
    if rows:
        linked = link_arrivals(session, provider, arrivals)
        for row in rows:
            row["assignment_pk"] = linked[row["submission_id"]]
        try:
            with session.begin_nested():  # its SAVEPOINT is sent when the session's connection is asked for
                created = session.connection().execute(_INSERT_ANNOTATIONS, rows).scalars().all()
        except IntegrityError:
            return submit_each(session, batch, provider=provider)
        _record_created(session, rows, created, task_rows)
    new = {(row["task_id"], row["submission_id"]): _as_dict(row, pk) for row, pk in zip(rows, created)}
    old_ids = {existing[(item["task_id"], item["assignment_id"])] for index, item, _ in items
               if outcomes[index] is None and (item["task_id"], item["assignment_id"]) in existing}
    old = {a.id: a.to_dict() for a in session.scalars(select(Annotation).where(Annotation.id.in_(old_ids)))} \
        if old_ids else {}
    for index, item, _ in items:
        if outcomes[index] is None:
            key = (item["task_id"], item["assignment_id"])
            stored = new[key] if key in new else old[existing[key]]
            outcomes[index] = {**stored, "duplicate": first_of.get(key) != index}
    return outcomes  # type: ignore[return-value]


def warm(session: Session) -> int:
    """Compile ``submit_many``'s queries, and the result checks of definitions with open tasks, before any
    worker waits on them; the number of checks compiled."""
    run = session.connection().execute
    run(_VISITS, {"provider": "", "ids": []}).all()
    assignments.warm(session)
    run(_TASK_ROWS, {"task_ids": []}).all()
    run(_EXISTING, {"task_ids": [], "ids": []}).all()
    tasks.annotation_counts(session, [])
    open_definitions = select(_TASKS.c.definition_id).where(_TASKS.c.status.in_(("pending", "in_progress"))).distinct()
    rows = run(_DEFINITION_ROWS, {"definition_ids": list(run(open_definitions).scalars())}).all()
    for row in rows:
        _checker(row)
    return len(rows)


def _checker(definition_row):
    """The compiled result check of a ``_DEFINITION_ROWS`` row (``TaskDefinition.label_schema`` of a Core row)."""
    return fast_validation.checker(definition_row.id, definition_row.version,
                                   definition_row.definition.get("label_schema", {}))


def _arrival(item: dict[str, Any], project_id: int, link_out: bool) -> Arrival:
    return Arrival(item["assignment_id"], item["hit_id"], item["worker_id"], item["task_id"], project_id, link_out)


def _as_dict(row: dict[str, Any], pk: int) -> dict[str, Any]:
    """What ``Annotation.to_dict`` gives for a row just inserted, without reading it back."""
    out = {key: value for key, value in row.items() if key not in Annotation._private}
    out["id"] = pk
    out["created_at"] = row["created_at"].isoformat()
    return out


def _check_external(provider: str) -> None:
    """Refuse a submission without a session (an ``external``-mode page) on a server of another provider than
    MTurk: its entry route, which it would bypass, is what refuses a closed link or a blocked participant."""
    if provider not in EXTERNAL_PROVIDERS:
        raise SignatureError(f"a {provider} submission belongs to a session begun at the study's entry link; "
                             "open that link again", field="session", reason="no session")


def _check_visit(visit, item: dict[str, Any], token: str | None) -> None:
    if not token or not hmac.compare_digest(visit.token, worker_sessions.hash_token(token)):
        raise SignatureError("this browser has no session for the assignment; open the study link again",
                             field="session", reason="missing or wrong")
    if item["task_id"] not in visit.task_ids:
        raise ValidationError("task_id", "is not one of this session's tasks")
    if item["worker_id"] != visit.worker_id:
        raise SignatureError("workerId does not match the session", field="worker_id", reason="mismatch")


def _record_created(session: Session, rows: list[dict[str, Any]], created: list[int], task_rows: dict) -> None:
    """The events and task status moves ``annotations.submit`` would have written, for the whole batch."""
    now = utcnow()
    events.record_many(session, [
        events.row("annotation.created", ts=now, actor=row["actor"], project_id=task_rows[row["task_id"]].project_id,
                   task_id=row["task_id"], annotation_id=pk, submission_id=row["submission_id"])
        for row, pk in zip(rows, created)])
    touched = {row["task_id"]: row["actor"] for row in rows}
    tasks.advance_many(session, [(task_rows[task_id], actor) for task_id, actor in touched.items()],
                       reason="annotation received")


def submit_each(session: Session, batch: list[tuple[dict[str, Any], str | None]], *,
                provider: str = "mturk") -> list[dict[str, Any] | WorkbenchError]:
    """``submit_many``'s outcomes, item by item, a savepoint each: for a batch whose one transaction failed.

    An item the database refuses fails alone: a refusal of its data (a value out of range, a constraint that is
    no duplicate) is a 400 naming the body, any other failure a StoreError (503) of its own. Only a store that
    cannot be used at all (``store_unreachable``) is raised, for then no item can be stored.
    """
    out: list[dict[str, Any] | WorkbenchError] = []
    for item, token in batch:
        try:
            with session.begin_nested():
                out.append(submit_from_worker(session, parse(item), provider=provider, session_token=token).to_dict())
        except WorkbenchError as exc:
            out.append(exc)
        except Exception as exc:  # noqa: BLE001 - one item's failure, whatever it is, is that item's outcome
            if store_unreachable(exc):
                raise
            out.append(_refused_by_store(exc))
    return out


#: What the database (or its driver, binding a value) raises for a value it will not take.
_DATA_ERRORS = (sa_exc.DataError, sa_exc.IntegrityError, OverflowError, ValueError)


def _refused_by_store(exc: Exception) -> WorkbenchError:
    if isinstance(exc, _DATA_ERRORS):
        log.warning("the store refused a submission's data: %s", describe(exc))
        return ValidationError("body", "holds a value the store cannot keep")
    log.error("the store failed on one submission", exc_info=exc)
    return StoreError("the store could not take the submission just now; submit again", reason="store error")


def store_unreachable(exc: BaseException) -> bool:
    """The store cannot be used at all just now (connection lost, locked past its timeout, no connection free):
    every submission would fail, so none is tried on its own."""
    if isinstance(exc, WorkbenchError):
        return exc.status == 503
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                            sa_exc.DisconnectionError)) or bool(getattr(exc, "connection_invalidated", False))


def describe(exc: BaseException) -> str:
    """One line for the log: the driver's own message, escaped (it may quote the value, and a lone surrogate or a
    NUL must not reach the log's stream), without the statement and its parameters."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {(text[0] if text else '')[:200]!r}"
