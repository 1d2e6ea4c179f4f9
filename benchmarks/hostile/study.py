"""The store the campaign runs against: a study, decoys and collaboration studies; the spec's operations."""

from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hostile-campaign-token"  # the researcher's
LABELS_SCHEMA = {"type": "object", "required": ["labels"], "additionalProperties": False,
                 "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}},
                                "confidence": {"type": "number"}}}
COLLAB = {"paradigm": "word_guessing", "conditions": [{"agent": False}], "max_wait_s": 600, "grace_s": 600}


def png(path: Path) -> Path:
    """A 2x2 red PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xc8\x0a\x0a" * 2 for _ in range(2))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def seed_study(url: str, folder: Path, honest: int) -> SimpleNamespace:
    """The study, the decoys and the collaboration studies in a migrated store; their ids."""
    from workbench.study import assets, definitions, projects, tasks
    from workbench.collab import sessions
    from workbench.store import Store

    store = Store(url)
    store.upgrade(backup=False)
    image = png(folder / "assets" / "cat.png")
    with store.transaction() as s:
        projects.create(s, "cats", "Cats")
        definitions.create_type(s, "classification", "Classification")
        definitions.create_definition(s, "classification", "1.0",
                                      {"ui_config": {"labels": ["cat", "dog"]}, "label_schema": LABELS_SCHEMA})
        asset = assets.register_file(s, "cats", image, metadata={"alt": "a red square"})
        page_task = tasks.create(s, "cats", "classification:1.0", asset_id=asset.id, payload={"text": "Which?"},
                                 target_annotations=1_000_000).id
        flood = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}, target_annotations=1_000_000).id
                 for n in range(3)]
        burst = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}, target_annotations=1_000_000).id
                 for n in range(max(1, min(20, honest // 5)))]
        mturk = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}, target_annotations=100).id
                 for n in range(2)]
        # What the researcher's own (authenticated) hostile calls may name, change or delete: never the study.
        projects.create(s, "decoy", "Decoy")
        decoy_asset = assets.register_file(s, "decoy", image).id
        decoy = [tasks.create(s, "decoy", "classification:1.0", payload={"n": n}).id for n in range(5)]
        definitions.create_type(s, "decoytype", "Decoy")
        definitions.create_definition(s, "decoytype", "1.0", {"label_schema": LABELS_SCHEMA})
        sessions.create_study(s, "pairs", COLLAB)
        sessions.create_study(s, "wsprobe", COLLAB)
    store.dispose()
    return SimpleNamespace(asset=asset.id, page_task=page_task, flood=flood, burst=burst, mturk=mturk,
                           decoy=decoy, decoy_asset=decoy_asset)


def spec_operations() -> list[SimpleNamespace]:
    """Every operation of the served spec: method, path, public or not, its parameters and body schema."""
    import yaml

    spec = yaml.safe_load((REPO / "server_ext" / "openapi.yaml").read_text())

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    out = []
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            op = item.get(method)
            if not op:
                continue
            params = [resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
            body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
            out.append(SimpleNamespace(method=method.upper(), path=path, public=op.get("security") == [],
                                       query=[(p["name"], resolve(p.get("schema", {}))) for p in params
                                              if p.get("in") == "query"],
                                       body=resolve(body) if body else None, resolve=resolve))
    return out


# -- the store ------------------------------------------------------------------------------------------------------
def fresh_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL database beside the one ``admin_url`` names; its URL and how to drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hostile_campaign_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop
