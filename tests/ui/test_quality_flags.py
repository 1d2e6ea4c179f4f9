"""Review flags from the store (issue 17): too fast for the definition, failed gold, free text another worker's
repeats; with each definition's own thresholds, and never a decision."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from workbench.errors import ValidationError
from workbench.results import quality
from workbench.store.models import HIT, Assignment
from workbench.study import annotations, definitions, projects, tasks

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TEXT_SCHEMA = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
COPIED = "A red square sits above a green triangle on a plain white background, slightly to the left."


@pytest.fixture
def flagged(make_store):
    store = make_store("sqlite")
    with store.transaction() as s:
        project = projects.create(s, "quality")
        definitions.create_type(s, "free-text")
        spec = definitions.create_definition(s, "free-text", "1", {
            "ui_config": {}, "label_schema": TEXT_SCHEMA,
            "quality": {"min_seconds": 10, "gold_min_items": 2, "gold_min_accuracy": 0.5}})
        hit = HIT(provider="mturk", environment="local", hit_id="HQ", project_id=project.id, status="reviewable",
                  reward_cents=50, max_assignments=9, created_at=T0)
        s.add(hit)
        s.flush()

        def answer(worker: str, text: str, seconds: float, gold: str | None = None,
                   measured: dict | None = None) -> int:
            payload = {"gold": {"expected": {"text": gold}}} if gold else {}
            task_id = tasks.create(s, "quality", spec.id, payload=payload).id
            assignment = Assignment(provider="mturk", assignment_id=f"A{task_id}", hit_pk=hit.id, worker_id=worker,
                                    status="submitted", accept_time=T0, submit_time=T0 + timedelta(seconds=seconds))
            s.add(assignment)
            s.flush()
            return annotations.submit(s, task_id, {"text": text}, actor=worker, submission_id=f"A{task_id}",
                                      assignment_pk=assignment.id, telemetry=measured).annotation.id

        ids = {
            # W1: two gold items, both far from the gold text (text similarity < 0.8): 0 of 2 right, under 0.5.
            "W1": [answer("W1", "Nothing to see here at all, really.", 40, gold="A blue circle in the middle."),
                   answer("W1", "Something else entirely, honestly.", 40, gold="A yellow star at the top.")],
            # W2: 4 s for a task whose definition asks at least 10.
            "W2": [answer("W2", "A small red square above a triangle.", 4)],
            # W3 and W4: the same 90-character text, word for word.
            "W3": [answer("W3", COPIED, 60)],
            "W4": [answer("W4", COPIED, 55)],
            # W5: in time, its own words, typed (more key presses than characters): no flag.
            "W5": [answer("W5", "Two shapes: a square, red, and below it a green triangle.", 35,
                          measured={"visible_ms": 35_000, "active_ms": 30_000, "keystrokes": 70, "pastes": [],
                                    "final_text_length": 57})],
            # W6: 78 of its 80 characters pasted (0.975 >= the default share of 0.5), the other 2 typed.
            "W6": [answer("W6", "The image shows a crimson quadrilateral positioned superior to a verdant trigon.", 30,
                          measured={"visible_ms": 30_000, "active_ms": 25_000, "keystrokes": 2,
                                    "pastes": [{"at_ms": 20_000, "length": 78}], "final_text_length": 80})],
        }
    return store, ids


def test_each_rule_flags_its_worker_with_evidence_and_the_honest_one_none(flagged):
    store, ids = flagged
    frame = quality.flags_frame(store, "quality")
    assert list(frame.columns) == quality.FLAG_COLUMNS
    got = [(r.worker_id, r.kind, None if pd.isna(r.annotation_id) else r.annotation_id) for r in frame.itertuples()]
    assert got == [("W1", "failed_gold", None), ("W2", "too_fast", ids["W2"][0]),
                   ("W3", "duplicate_text", ids["W3"][0]), ("W4", "duplicate_text", ids["W4"][0]),
                   ("W6", "paste_majority", ids["W6"][0])]
    by_kind = {r.kind: r.evidence for r in frame.itertuples()}
    assert (by_kind["too_fast"]["seconds"], by_kind["too_fast"]["min_seconds"]) == (4.0, 10.0)
    assert (by_kind["failed_gold"]["items"], by_kind["failed_gold"]["passed"]) == (2, 0)
    assert by_kind["duplicate_text"]["similarity"] == 1.0
    assert by_kind["paste_majority"]["pasted_chars"] == 78
    workers = quality.flagged_workers(frame)
    assert set(workers.index) == {"W1", "W2", "W3", "W4", "W6"} and workers["flags"].sum() == 5


def test_a_quality_block_is_checked_when_a_definition_is_made(make_store):
    store = make_store("sqlite")
    with store.transaction() as s:
        definitions.create_type(s, "free-text")
    for block, field in (({"paste_share": 2}, "definition.quality.paste_share"),
                         ({"reject_below": 0.5}, "definition.quality.reject_below"), ("strict", "definition.quality")):
        with pytest.raises(ValidationError) as caught, store.transaction() as s:
            definitions.create_definition(s, "free-text", "2", {"label_schema": TEXT_SCHEMA, "quality": block})
        assert caught.value.field == field
