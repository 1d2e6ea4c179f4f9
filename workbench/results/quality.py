"""Review flags from what the store holds, for a project's reviewer and dashboard (issue 17).

The rules are ``workbench.study.flags``'s, with each definition's thresholds (its ``quality`` block). From the store
and what the worker page measured (``Annotation.telemetry``) every rule is judged: the telemetry ones (most of the text
pasted, text neither typed nor pasted or typed too fast, a long paste soon after leaving the page), ``too_fast`` (the
assignment's accept-to-submit time against the definition's ``min_seconds`` or ``expected_seconds``), ``failed_gold``
(a worker's gold items in the project) and ``duplicate_text`` (free text another worker's repeats, per definition).
A flag is a reason to look: nothing here rejects or decides.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
from sqlalchemy import select

from workbench.errors import ValidationError
from workbench.study import flags, projects, telemetry
from workbench.store import Store
from workbench.store.models import Annotation, Assignment, Task, TaskDefinition

#: One row per flag; ``annotation_id``, ``task_id`` and ``assignment_id`` are empty for a flag about the worker
#: (``failed_gold``), and ``assignment_id`` for an annotation made without one.
FLAG_COLUMNS = ["worker_id", "annotation_id", "task_id", "assignment_id", "kind", "message", "evidence"]


def flags_frame(store: Store, project: str) -> pd.DataFrame:
    """Every flag the project's annotations raise, worker by worker, in ``flags.KINDS`` order within a worker."""
    with store.session() as s:
        project_id = projects.get(s, project).id
        rows = s.execute(
            select(Annotation.id, Annotation.actor, Annotation.task_id, Annotation.result, Annotation.gold_passed,
                   Annotation.telemetry, TaskDefinition.id, TaskDefinition.definition, Assignment.accept_time,
                   Assignment.submit_time, Assignment.assignment_id)
            .join(Task, Task.id == Annotation.task_id)
            .join(TaskDefinition, TaskDefinition.id == Task.definition_id)
            .outerjoin(Assignment, Assignment.id == Annotation.assignment_pk)
            .where(Task.project_id == project_id)
            .order_by(Annotation.id)).all()
    limits: dict[int, flags.Thresholds] = {}
    found: list[dict[str, Any]] = []
    gold: dict[str, list[bool]] = defaultdict(list)
    texts: dict[int, dict[str, list[tuple[str, int, int, str | None]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        pk, worker, task_id, result, passed, measured, definition_id, definition, accepted, submitted, assignment = row
        if definition_id not in limits:
            limits[definition_id] = _thresholds(definition)
        seconds = (submitted - accepted).total_seconds() if accepted and submitted and submitted > accepted else None
        text = result.get("text") if isinstance(result, dict) else None
        text = text if isinstance(text, str) else None
        for flag in flags.evaluate(_telemetry(measured), text=text, seconds=seconds, thresholds=limits[definition_id]):
            found.append(_row(worker, pk, task_id, flag, assignment))
        if passed is not None:
            gold[worker].append(passed)
        if text is not None:
            texts[definition_id][worker].append((text, pk, task_id, assignment))
    # A worker's gold items may span definitions: the project's strictest gold rule judges them all.
    strictest = max(limits.values(), key=lambda t: t.gold_min_accuracy, default=flags.Thresholds())
    for worker, passes in gold.items():
        found += [_row(worker, None, None, flag) for flag in flags.evaluate(None, text=None, seconds=None,
                                                                            gold_passed=passes, thresholds=strictest)]
    for definition_id, by_worker in texts.items():
        limit = limits[definition_id]
        raised = flags.duplicate_texts({w: [item[0] for item in items] for w, items in by_worker.items()},
                                       min_length=limit.duplicate_min_length, threshold=limit.duplicate_similarity)
        for flag in raised:
            worker, index = flag.evidence["worker_id"], flag.evidence["text_index"]
            _, pk, task_id, assignment = by_worker[worker][index]
            found.append(_row(worker, pk, task_id, flag, assignment))
    order = {kind: n for n, kind in enumerate(flags.KINDS)}
    found.sort(key=lambda row: (row["worker_id"], order[row["kind"]], row["annotation_id"] or 0))
    return pd.DataFrame(found, columns=FLAG_COLUMNS).astype({"annotation_id": "Int64", "task_id": "Int64"})


def for_review(store: Store, project: str | None) -> dict[str, list[dict[str, Any]]]:
    """The flags a review queue shows, by key: an assignment's own under its ``assignment_id``, a worker's (failed
    gold) under ``worker:<worker_id>``; none without a project."""
    shown: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if project is None:
        return shown
    for row in flags_frame(store, project).to_dict("records"):
        key = f"worker:{row['worker_id']}" if pd.isna(row["annotation_id"]) else row["assignment_id"]
        if isinstance(key, str):
            shown[key].append(row)
    return shown


def flagged_workers(frame: pd.DataFrame) -> pd.DataFrame:
    """Per flagged worker: how many flags of each kind (``flags_frame``), the most flagged first."""
    if frame.empty:
        return pd.DataFrame(columns=["flags"])
    table = frame.pivot_table(index="worker_id", columns="kind", values="message", aggfunc="count", fill_value=0)
    table["flags"] = table.sum(axis=1)
    return table.sort_values("flags", ascending=False)


def _thresholds(definition: dict[str, Any] | None) -> flags.Thresholds:
    # A definition stored before quality blocks were checked may hold one that does not read: the defaults apply.
    try:
        return flags.thresholds_from(definition or {})
    except ValidationError:
        return flags.Thresholds()


def _telemetry(stored: dict[str, Any] | None) -> telemetry.Telemetry | None:
    # Checked when it arrived; one that no longer reads (a later, stricter reader) is as if none was sent.
    try:
        return None if stored is None else telemetry.parse_telemetry(stored)
    except ValidationError:
        return None


def _row(worker: str, annotation_id: int | None, task_id: int | None, flag: flags.Flag,
         assignment_id: str | None = None) -> dict[str, Any]:
    return {"worker_id": worker, "annotation_id": annotation_id, "task_id": task_id, "assignment_id": assignment_id,
            "kind": flag.kind, "message": flag.message, "evidence": flag.evidence}
