"""A small crowd study in a store, for the exports, jobs, panels and notebook tests.

Three raters labelled and boxed the same two images through MTurk HITs (HIT, assignment
and worker rows as sync and ingest leave them), plus one polygon task.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from workbench.study import annotations, assets, definitions, projects, tasks
from workbench.store import Store
from workbench.store.models import HIT, Assignment, Worker

LABELS = ["circle", "square", "triangle"]
CLASSIFY = {"ui_config": {"labels": LABELS}, "label_schema": {
    "type": "object", "required": ["labels"],
    "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": LABELS}}}}}
BOXES = {"ui_config": {"labels": LABELS}, "label_schema": {"type": "object", "required": ["boxes"]}}
POLYGONS = {"ui_config": {"labels": LABELS}, "label_schema": {"type": "object", "required": ["polygons"]}}
#: The cats study of the provider tests: four tasks labelled cat or dog.
CATS_SCHEMA = {
    "type": "object",
    "required": ["label"],
    "additionalProperties": False,
    "properties": {"label": {"enum": ["cat", "dog"]}, "confidence": {"type": "number"}},
}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

#: rater -> (labels for image 0, image 1), (boxes for image 0, image 1)
ANSWERS = {
    "W1": (["circle"], ["square"]),
    "W2": (["circle"], ["square"]),
    "W3": (["circle"], ["triangle"]),
}
BOX_ANSWERS = {
    "W1": [{"x": 10, "y": 10, "w": 20, "h": 20, "label": "circle"}],
    "W2": [{"x": 12, "y": 10, "w": 20, "h": 20, "label": "circle"}],
    "W3": [{"x": 10, "y": 10, "w": 20, "h": 20, "label": "circle"},
           {"x": 40, "y": 5, "w": 8, "h": 8, "label": "square"}],
}


def make_images(folder: Path) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, colour in enumerate([(200, 30, 30), (30, 30, 200)]):
        path = folder / f"img-{i}.png"
        Image.new("RGB", (64, 48), colour).save(path)
        paths.append(path)
    return paths


def seed_study(store: Store, folder: Path, *, slug: str = "shapes", crowd_rows: bool = True) -> SimpleNamespace:
    """The study; ``crowd_rows=False`` leaves out the annotations and their HIT/assignment rows."""
    images = make_images(folder)
    ids: dict[str, list[int]] = {"classification": [], "bounding-box": [], "polygon": []}
    with store.transaction() as s:
        project = projects.create(s, slug, "Shapes")
        specs = {}
        for kind, body in (("classification", CLASSIFY), ("bounding-box", BOXES), ("polygon", POLYGONS)):
            definitions.create_type(s, kind)
            specs[kind] = definitions.create_definition(s, kind, "1.0", body)
        image_assets = [assets.register_file(s, project.id, path) for path in images]
        for kind in ("classification", "bounding-box"):
            for asset in image_assets:
                ids[kind].append(tasks.create(s, project.id, specs[kind].id, asset_id=asset.id,
                                              target_annotations=3).id)
        ids["polygon"].append(tasks.create(s, project.id, specs["polygon"].id, asset_id=image_assets[0].id).id)
        n = 0
        if not crowd_rows:
            return SimpleNamespace(store=store, project=project, images=images, task_ids=ids, annotations=0)
        for worker in ANSWERS:
            s.add(Worker(provider="mturk", worker_id=worker))
        for kind, task_ids in (("classification", ids["classification"]), ("bounding-box", ids["bounding-box"])):
            for index, task_id in enumerate(task_ids):
                hit = HIT(provider="mturk", environment="local", hit_id=f"HIT{task_id}", project_id=project.id,
                          task_id=task_id, status="reviewable", title=kind, reward_cents=10, max_assignments=3,
                          created_at=T0 + timedelta(minutes=task_id))
                s.add(hit)
                s.flush()
                for worker in ANSWERS:
                    n += 1
                    accept = T0 + timedelta(hours=n)
                    status = "submitted" if worker == "W3" else "approved"
                    assignment = Assignment(provider="mturk", assignment_id=f"A{n:03d}", hit_pk=hit.id,
                                            task_id=task_id, worker_id=worker, status=status, accept_time=accept,
                                            submit_time=accept + timedelta(seconds=30 + 10 * n),
                                            ingested_at=accept + timedelta(minutes=5))
                    s.add(assignment)
                    s.flush()
                    result = ({"labels": ANSWERS[worker][index]} if kind == "classification"
                              else {"boxes": BOX_ANSWERS[worker] if index == 0 else []})
                    annotations.submit(s, task_id, result, actor=worker, submission_id=assignment.assignment_id,
                                       tool_version=f"{kind}@1.0.0", assignment_pk=assignment.id)
        annotations.submit(s, ids["polygon"][0], {"polygons": [
            {"points": [[0, 0], [10, 0], [10, 10], [0, 10]], "label": "square"}]}, actor="researcher")
    return SimpleNamespace(store=store, project=project, images=images, task_ids=ids, annotations=n + 1)


def cats_study(store: Store) -> SimpleNamespace:
    """Project "cats" with a classification definition and four tasks, for the provider tests."""
    with store.transaction() as s:
        project = projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification")
        spec = definitions.create_definition(s, "classification", "1.0",
                                             {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": CATS_SCHEMA})
        made = [tasks.create(s, project.id, spec.id, payload={"n": i}) for i in range(4)]
    return SimpleNamespace(project=project, definition=spec, task_ids=[t.id for t in made])


def gold_project(session, gold_labels: list[str], *, plain: int = 1) -> tuple[list[int], list[int]]:
    """Project "gold" on a cat/dog classification definition: a gold task for each of ``gold_labels`` (its expected
    label) and ``plain`` tasks that are not gold; (gold task ids, plain task ids)."""
    from workbench.study import definitions, projects, tasks

    projects.create(session, "gold")
    definitions.create_type(session, "classification")
    spec = definitions.create_definition(session, "classification", "1", {
        "ui_config": {"labels": ["cat", "dog"]}, "label_schema": {"type": "object"}})
    golds = [tasks.create(session, "gold", spec.id, payload={"gold": {"expected": {"labels": [label]}}}).id
             for label in gold_labels]
    return golds, [tasks.create(session, "gold", spec.id, payload={}).id for _ in range(plain)]
