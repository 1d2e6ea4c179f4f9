"""COCO (object detection) export of boxes and polygons, written as a stream.

The file is written in pieces: ``images`` from one streamed query, ``annotations`` from
the streamed annotation join, ``categories`` last (JSON objects have no key order), so
memory holds one chunk of rows and the category names, never the whole data set.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from workbench import __version__
from workbench.store import Store
from . import shapes
from .source import PLACEHOLDERS, annotation_rows, stream_rows

IMAGES_SQL = """
SELECT ast.id, ast.local_path, ast.s3_key, ast.width, ast.height, ast.sha256
FROM assets ast JOIN projects p ON p.id = ast.project_id
WHERE ast.media_type = 'image' {where}
ORDER BY ast.id
"""


def _labels_sql(where: str) -> str:
    # The definitions' label lists fix the category ids before any annotation is read.
    return ("SELECT DISTINCT d.id, CAST(d.definition AS TEXT) FROM task_definitions d "
            "JOIN tasks t ON t.definition_id = d.id JOIN projects p ON p.id = t.project_id "
            f"WHERE 1 = 1 {where} ORDER BY d.id")


def _where(dialect: str, project: str | None) -> tuple[str, dict[str, Any]]:
    if project is None:
        return "", {}
    return "AND p.slug = " + PLACEHOLDERS["sqlite3" if dialect == "sqlite" else "psycopg"], {"project": project}


def _file_name(local_path: str | None, s3_key: str | None) -> str:
    return Path(local_path or s3_key or "").name


def write(store: Store, project: str | None, out: Path) -> dict[str, int]:
    """Write a COCO file; return the counts of images, annotations and categories."""
    out.parent.mkdir(parents=True, exist_ok=True)
    where, params = _where(store.dialect, project)
    categories: dict[str, int] = {}
    for rows in stream_rows(store, _labels_sql(where), params):
        for _id, definition in rows:
            for label in json.loads(definition).get("ui_config", {}).get("labels", []) or []:
                categories.setdefault(str(label), len(categories) + 1)
    counts = {"images": 0, "annotations": 0}
    with open(out, "w", encoding="utf-8") as handle:
        info = {"description": f"HITL Workbench export of {project or 'all projects'}",
                "version": __version__, "date_created": datetime.now(timezone.utc).isoformat()}
        handle.write('{"info": ' + json.dumps(info) + ', "licenses": [], "images": [')
        for rows in stream_rows(store, IMAGES_SQL.format(where=where), params):
            for asset_id, local_path, s3_key, width, height, sha256 in rows:
                _item(handle, counts["images"], {"id": asset_id, "file_name": _file_name(local_path, s3_key),
                                                 "width": width or 0, "height": height or 0, "sha256": sha256})
                counts["images"] += 1
        handle.write('], "annotations": [')
        for row in annotation_rows(store, project):
            if row["asset_id"] is None or row["media_type"] != "image":
                continue
            for region in shapes.regions(row["result"]):
                category = categories.setdefault(region["label"], len(categories) + 1)
                _item(handle, counts["annotations"], {
                    "id": counts["annotations"] + 1, "image_id": row["asset_id"], "category_id": category,
                    "bbox": region["bbox"], "area": region["area"], "segmentation": region["segmentation"],
                    "iscrowd": 0, "rater": row["rater"], "provider": row["provider"], "task_id": row["task_id"],
                    "annotation_id": row["annotation_id"]})
                counts["annotations"] += 1
        handle.write('], "categories": ')
        json.dump([{"id": cid, "name": name, "supercategory": ""} for name, cid in categories.items()], handle)
        handle.write("}\n")
    counts["categories"] = len(categories)
    return counts


def _item(handle: IO[str], index: int, item: dict[str, Any]) -> None:
    handle.write(("," if index else "") + json.dumps(item, separators=(",", ":")))
