"""Bulk task creation from a pandas DataFrame, a CSV file or a JSONL file.

Every row is checked before anything is written, then all rows go in with one
``executemany`` in one transaction: a bad row refuses the whole import and its error
names the row. Columns: ``asset_id`` or ``asset`` (a registered asset's local path or
S3 key), ``priority``, ``target_annotations``, ``payload`` (a JSON object); every other
column becomes a field of the payload.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import definitions, events, projects, tasks
from .errors import ValidationError
from .store.models import Asset, Task
from .store.types import utcnow

RESERVED = ("asset_id", "asset", "priority", "target_annotations", "payload")
CHUNK = 10_000
_EXTRA = "\0extra"  # where csv puts the fields of a row longer than its header

Progress = Callable[[int], None]
#: Core, not ORM, inserts: the ORM's per-row bookkeeping would cost more than the write.
TASKS = Task.__table__


@dataclass
class ImportResult:
    created: int
    project_id: int
    definition_id: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def import_records(session: Session, project: int | str, definition: int | str, records: Iterable[dict[str, Any]],
                   *, source: str = "records", progress: Progress | None = None,
                   actor: str = events.SYSTEM) -> ImportResult:
    """Create one task per record; ``progress(n)`` is told of every ``n`` rows checked."""
    owner = projects.get(session, project)
    spec = definitions.get_definition(session, definition)
    resolver = _AssetResolver(session, owner.id)
    now = utcnow()
    plugin_id = tasks.pinned_plugin(session, spec)
    rows: list[dict[str, Any]] = []
    for label, record in _labelled(records):
        try:
            rows.append(_row(record, resolver, owner.id, spec.id, plugin_id, now))
        except ValidationError as exc:
            raise ValidationError(exc.field or "row", exc.reason or exc.message, row=label,
                                  message=f"{label}: {exc.field}: {exc.reason}") from None
        if progress and len(rows) % CHUNK == 0:
            progress(CHUNK)
    if not rows:
        raise ValidationError("file", "has no rows", source=source)
    if progress and len(rows) % CHUNK:
        progress(len(rows) % CHUNK)
    for start in range(0, len(rows), CHUNK):
        session.connection().execute(TASKS.insert(), rows[start:start + CHUNK])
    written = len(rows)
    events.record(session, "tasks.imported", actor=actor, project_id=owner.id, count=written,
                  definition_id=spec.id, source=source)
    return ImportResult(written, owner.id, spec.id, source)


def import_dataframe(session: Session, project: int | str, definition: int | str, frame, **kwargs: Any) -> ImportResult:
    records = ({k: _from_pandas(v) for k, v in row.items()} for row in frame.to_dict("records"))
    kwargs.setdefault("source", "dataframe")
    return import_records(session, project, definition, records, **kwargs)


def import_file(session: Session, project: int | str, definition: int | str, path: str | Path,
                **kwargs: Any) -> ImportResult:
    """Import a ``.csv`` or ``.jsonl`` (``.ndjson``) file."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError("file", f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = read_csv(path)
    elif suffix in (".jsonl", ".ndjson"):
        reader = read_jsonl(path)
    else:
        raise ValidationError("file", f"unsupported format {suffix or '(none)'}; use .csv or .jsonl")
    kwargs.setdefault("source", path.name)
    return import_records(session, project, definition, reader, **kwargs)


def count_rows(path: str | Path) -> int:
    """Data rows in a file, for a progress bar's total."""
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if Path(path).suffix.lower() == ".csv" else lines


def read_csv(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, restkey=_EXTRA)
        if not reader.fieldnames:
            raise ValidationError("file", "has no header row", source=path.name)
        for row in reader:
            label = f"row {reader.line_num - 1} (line {reader.line_num})"
            if _EXTRA in row:
                width = len(reader.fieldnames) + len(row[_EXTRA])
                raise ValidationError("row", f"has {width} fields, "
                                             f"the header has {len(reader.fieldnames)}", row=label,
                                      message=f"{label}: too many fields")
            if None in row.values():
                raise ValidationError("row", f"has fewer fields than the header's {len(reader.fieldnames)}",
                                      row=label, message=f"{label}: too few fields")
            yield label, row


def read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            label = f"line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValidationError("row", f"is not JSON ({exc.msg})", row=label,
                                      message=f"{label}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise ValidationError("row", "must be a JSON object", row=label, message=f"{label}: not an object")
            yield label, record


def _labelled(records: Iterable[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, item in enumerate(records, 1):
        if isinstance(item, tuple):
            yield item
        elif isinstance(item, dict):
            yield f"row {number}", item
        else:
            raise ValidationError("row", "must be a mapping", row=f"row {number}")


class _AssetResolver:
    """Finds a project's assets by id, local path or S3 key with one query, not one per row."""

    def __init__(self, session: Session, project_id: int) -> None:
        self.session, self.project_id = session, project_id
        self._by_id: set[int] | None = None
        self._by_key: dict[str, int] | None = None

    def by_id(self, value: Any) -> int:
        asset_id = _int("asset_id", value)
        if self._by_id is None:
            self._load()
        if asset_id not in self._by_id:
            raise ValidationError("asset_id", f"no asset {asset_id} in this project")
        return asset_id

    def by_key(self, value: str) -> int:
        if self._by_key is None:
            self._load()
        try:
            return self._by_key[value]
        except KeyError:
            raise ValidationError("asset", f"no asset with path or S3 key {value!r} in this project") from None

    def _load(self) -> None:
        rows = self.session.execute(select(Asset.id, Asset.local_path, Asset.s3_key)
                                    .where(Asset.project_id == self.project_id)).all()
        self._by_id = {r.id for r in rows}
        self._by_key = {}
        for r in rows:
            for key in (r.local_path, r.s3_key):
                if key:
                    self._by_key[key] = r.id


def _row(record: dict[str, Any], resolver: _AssetResolver, project_id: int, definition_id: int,
         plugin_id: int | None, now) -> dict[str, Any]:
    payload_field = record.get("payload")
    if payload_field in (None, ""):
        payload: dict[str, Any] = {}
    elif isinstance(payload_field, dict):
        payload = dict(payload_field)
    elif isinstance(payload_field, str):
        try:
            payload = json.loads(payload_field)
        except json.JSONDecodeError as exc:
            raise ValidationError("payload", f"is not JSON ({exc.msg})") from None
        if not isinstance(payload, dict):
            raise ValidationError("payload", "must be a JSON object")
    else:
        raise ValidationError("payload", "must be a JSON object")
    for key, value in record.items():
        if key not in RESERVED and value not in (None, ""):
            payload[key] = value
    asset_id = None
    if record.get("asset_id") not in (None, ""):
        asset_id = resolver.by_id(record["asset_id"])
    elif record.get("asset") not in (None, ""):
        asset_id = resolver.by_key(str(record["asset"]))
    target = _int("target_annotations", record.get("target_annotations"), default=1)
    if target < 1:
        raise ValidationError("target_annotations", "must be at least 1")
    return {"project_id": project_id, "definition_id": definition_id, "asset_id": asset_id, "status": "pending",
            "priority": _int("priority", record.get("priority"), default=0), "target_annotations": target,
            "payload": payload, "plugin_id": plugin_id, "created_at": now, "updated_at": now}


def _int(field: str, value: Any, default: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, bool):
        raise ValidationError(field, f"must be an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(field, f"must be an integer, not {value!r}") from None


def _from_pandas(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
