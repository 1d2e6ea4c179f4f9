"""The demo study: generated images to draw boxes on and to classify, on the embedded store."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from . import assets, config, definitions, projects, tasks
from .errors import NotFoundError
from .store import Store
from .store.models import TaskType

PROJECT = "demo"
SHAPES = ("circle", "square", "triangle")
COLOURS = {"red": (220, 50, 47), "green": (40, 160, 60), "blue": (38, 110, 210)}

DEFINITIONS: dict[str, dict[str, Any]] = {
    "classification": {
        "ui_config": {"labels": list(SHAPES), "multi": False,
                      "instructions": "Which shape is largest in the picture?"},
        "label_schema": {
            "type": "object", "required": ["labels"], "additionalProperties": False,
            "properties": {"labels": {"type": "array", "minItems": 1, "maxItems": 1,
                                      "items": {"enum": list(SHAPES)}}},
        },
    },
    "bounding-box": {
        "ui_config": {"labels": list(SHAPES), "min_size": 4,
                      "instructions": "Draw a box around every shape and label it."},
        "label_schema": {
            "type": "object", "required": ["boxes"], "additionalProperties": False,
            "properties": {"boxes": {"type": "array", "items": {
                "type": "object", "required": ["x", "y", "w", "h", "label"],
                "properties": {"x": {"type": "number", "minimum": 0}, "y": {"type": "number", "minimum": 0},
                               "w": {"type": "number", "exclusiveMinimum": 0},
                               "h": {"type": "number", "exclusiveMinimum": 0},
                               "label": {"enum": list(SHAPES)}}}}},
        },
    },
}


def make_images(folder: Path, count: int, *, seed: int = 7, size: tuple[int, int] = (640, 480)) -> list[dict[str, Any]]:
    """Draw ``count`` PNGs of coloured shapes; return each file with its true shapes (the answer key)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        image = Image.new("RGB", size, (245, 245, 240))
        draw = ImageDraw.Draw(image)
        truth = []
        for _ in range(rng.randint(1, 3)):
            shape, colour = rng.choice(SHAPES), rng.choice(list(COLOURS))
            w = rng.randint(50, 160)
            x, y = rng.randint(0, size[0] - w), rng.randint(0, size[1] - w)
            box = (x, y, x + w, y + w)
            if shape == "circle":
                draw.ellipse(box, fill=COLOURS[colour])
            elif shape == "square":
                draw.rectangle(box, fill=COLOURS[colour])
            else:
                draw.polygon([(x + w / 2, y), (x, y + w), (x + w, y + w)], fill=COLOURS[colour])
            truth.append({"x": x, "y": y, "w": w, "h": w, "label": shape, "colour": colour})
        path = folder / f"shapes-{index:03d}.png"
        image.save(path)
        made.append({"path": path, "truth": truth})
    return made


def demo_definitions() -> dict[str, dict[str, Any]]:
    """The plugins' own default definitions (``plugins/<name>/manifest.json``), with the demo's labels.

    Falls back to ``DEFINITIONS`` when the plugins folder is not beside the package.
    """
    import copy
    import json

    from .resources import plugins_root

    folder = plugins_root()
    out = {}
    for slug, fallback in DEFINITIONS.items():
        manifest = folder / slug / "manifest.json"
        if not manifest.is_file():
            out[slug] = fallback
            continue
        body = copy.deepcopy(json.loads(manifest.read_text())["default_definition"])
        body["ui_config"].update(labels=list(SHAPES), instructions=fallback["ui_config"]["instructions"])
        out[slug] = body
    return out


def run(store: Store, *, n_tasks: int = 12, target_annotations: int = 1,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Create (or re-create) the demo project; return a summary of what was made."""
    folder = config.home() / "demo" / "assets"
    images = make_images(folder, n_tasks)
    with store.transaction() as session:
        try:
            projects.delete(session, PROJECT, actor="demo")
            echo("replaced the previous demo project")
        except NotFoundError:
            pass
        project = projects.create(session, PROJECT, "Shapes demo",
                                  "Draw boxes around shapes and name the largest one.", actor="demo")
        refs = {}
        for slug, body in demo_definitions().items():
            if session.scalars(select(TaskType).where(TaskType.slug == slug)).first() is None:
                definitions.create_type(session, slug, slug.replace("-", " ").title(), actor="demo")
            try:
                spec = definitions.get_definition(session, slug, "demo-1")
            except NotFoundError:
                spec = definitions.create_definition(session, slug, "demo-1", body, actor="demo")
            refs[slug] = spec
        made = {slug: 0 for slug in refs}
        for image in images:
            asset = assets.register_file(session, project.id, image["path"], metadata={"truth": image["truth"]},
                                         actor="demo")
            for slug, spec in refs.items():
                tasks.create(session, project.id, spec.id, asset_id=asset.id, actor="demo",
                             target_annotations=target_annotations,
                             payload={"instructions": spec.ui_config.get("instructions", "")})
                made[slug] += 1
    where = store.path or config.redact(store.url)
    echo(f"store:    {where}")
    echo(f"project:  {PROJECT} (id {project.id})")
    echo(f"assets:   {len(images)} generated images in {folder}")
    for slug, count in made.items():
        echo(f"tasks:    {count} {slug} tasks (definition {slug}:{refs[slug].version})")
    return {"project": PROJECT, "store": str(where), "assets": len(images), "tasks": sum(made.values()),
            "tasks_by_type": made}
