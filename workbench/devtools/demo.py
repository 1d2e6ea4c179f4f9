"""The demo study: generated images to draw boxes on and to classify, on the embedded store.

Each run makes a project of its own: ``demo``, then ``demo-2``, ``demo-3``, … An earlier demo
project, and whatever the researcher added to it, is never touched.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import config
from workbench.study import assets, definitions, projects, tasks
from workbench.errors import NotFoundError
from workbench.resources import plugins_root
from workbench.store import Store
from workbench.store.models import Project, TaskType

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


def new_project_slug(session: Session) -> str:
    """``demo`` if no project has that slug, else the first of ``demo-2``, ``demo-3``, … that is free."""
    taken = set(session.scalars(select(Project.slug).where(Project.slug.like(f"{PROJECT}%"))))
    candidates = itertools.chain([PROJECT], (f"{PROJECT}-{n}" for n in itertools.count(2)))
    return next(slug for slug in candidates if slug not in taken)


def project_folder(slug: str) -> Path:
    """Where a demo project's generated images, exports and server logs go: ``$WORKBENCH_HOME/<slug>``."""
    return config.home() / slug


def run(store: Store, *, n_tasks: int = 12, target_annotations: int = 1,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Create a new demo project (``demo``, or ``demo-2``, … when that exists); return a summary of what was made,
    with the project's slug under ``project``."""
    with store.transaction() as session:
        slug = new_project_slug(session)
        if slug != PROJECT:
            echo(f"project {PROJECT!r} exists and is kept as it is; this demo makes project {slug!r}")
        images = make_images(project_folder(slug) / "assets", n_tasks)
        project = projects.create(session, slug, "Shapes demo" if slug == PROJECT else f"Shapes demo ({slug})",
                                  "Draw boxes around shapes and name the largest one.", actor="demo")
        refs = {}
        for type_slug, body in demo_definitions().items():
            if session.scalars(select(TaskType).where(TaskType.slug == type_slug)).first() is None:
                definitions.create_type(session, type_slug, type_slug.replace("-", " ").title(), actor="demo")
            try:
                spec = definitions.get_definition(session, type_slug, "demo-1")
            except NotFoundError:
                spec = definitions.create_definition(session, type_slug, "demo-1", body, actor="demo")
            refs[type_slug] = spec
        made = {type_slug: 0 for type_slug in refs}
        for image in images:
            asset = assets.register_file(session, project.id, image["path"], metadata={"truth": image["truth"]},
                                         actor="demo")
            for type_slug, spec in refs.items():
                tasks.create(session, project.id, spec.id, asset_id=asset.id, actor="demo",
                             target_annotations=target_annotations,
                             payload={"instructions": spec.ui_config.get("instructions", "")})
                made[type_slug] += 1
    echo(f"store:    {store.location}")
    echo(f"project:  {slug} (id {project.id})")
    echo(f"assets:   {len(images)} generated images in {project_folder(slug) / 'assets'}")
    for type_slug, count in made.items():
        echo(f"tasks:    {count} {type_slug} tasks (definition {type_slug}:{refs[type_slug].version})")
    return {"project": slug, "store": store.location, "assets": len(images), "tasks": sum(made.values()),
            "tasks_by_type": made}
