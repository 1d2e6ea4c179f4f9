"""Bulk task creation from a pandas DataFrame, a CSV file or a JSONL file.

Every row is checked before anything is written, then all rows go in with one
``executemany`` in one transaction: a bad row refuses the whole import and its error
names the row. Columns: ``asset_id`` or ``asset`` (a registered asset's local path or
S3 key), ``priority``, ``target_annotations``, ``payload`` (a JSON object); every other
column becomes a field of the payload. A task whose plugin shows an image (see
``assets.media_needed``) must name an asset of that media type.

A CSV file may start with a byte-order mark (UTF-8 or UTF-16, as Excel writes them) and
may separate its cells with commas, semicolons or tabs: the delimiter is the one its
header row splits on (see ``csv_delimiter``).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import events
from . import assets, definitions, projects, tasks
from workbench.errors import ValidationError
from workbench.store.models import Asset, Task
from workbench.store.types import utcnow

RESERVED = ("asset_id", "asset", "priority", "target_annotations", "payload")
CHUNK = 10_000
_EXTRA = "\0extra"  # where csv puts the fields of a row longer than its header
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
SNIFF_LINES = 200
#: Column names a researcher probably meant as the task's asset (``image_url``, ``file``, …).
#: A frame of a video is a still image to a plugin that marks up images.
_SHOWN_AS = {"video_frame": "image"}
_ASSET_LIKE = re.compile(r"image|img|photo|picture|url|uri|path|file|asset|s3|media|video|audio", re.I)

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
                   *, source: str = "records", progress: Progress | None = None, base: str | Path | None = None,
                   actor: str = events.SYSTEM) -> ImportResult:
    """Create one task per record; ``progress(n)`` is told of every ``n`` rows checked.

    A relative path in the ``asset`` column is read from ``base`` (default: the working folder).
    """
    owner = projects.get(session, project)
    spec = definitions.get_definition(session, definition)
    resolver = _AssetResolver(session, owner.id, Path(base or "."))
    need = _Need(spec.task_type.slug, assets.media_needed(session, spec.task_type))
    now = utcnow()
    plugin_id = tasks.pinned_plugin(session, spec)
    rows: list[dict[str, Any]] = []
    for label, record in _labelled(records):
        try:
            rows.append(_row(record, resolver, need, owner.id, spec.id, plugin_id, now))
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
    kwargs.setdefault("base", path.parent)
    return import_records(session, project, definition, reader, **kwargs)


def count_rows(path: str | Path) -> int:
    """Data rows in a file, for a progress bar's total."""
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if Path(path).suffix.lower() == ".csv" else lines


def read_csv(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    encoding = _encoding(path)
    with open(path, newline="", encoding=encoding) as handle:
        delimiter = csv_delimiter(_decoded(islice(handle, SNIFF_LINES), path))
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.DictReader(_decoded(handle, path), delimiter=delimiter, restkey=_EXTRA)
        if not reader.fieldnames:
            raise ValidationError("file", "has no header row", source=path.name)
        reader.fieldnames = _header(reader.fieldnames)
        for row in _parsed(reader):
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


def _parsed(reader: csv.DictReader) -> Iterator[dict[str, Any]]:
    try:
        yield from reader
    except csv.Error as exc:  # a cell over csv's size limit, say; the line it was reading is not yet counted
        label = f"row {reader.line_num} (line {reader.line_num + 1})"
        raise ValidationError("row", str(exc), row=label, message=f"{label}: {exc}") from None


def csv_delimiter(lines: Iterable[str]) -> str:
    """The delimiter of a CSV text whose first lines are ``lines``: comma, semicolon or tab.

    The header decides: the delimiter is the one candidate it splits on. When it splits on
    several, the one every sampled row agrees with (the header's number of cells) wins, and
    if that is not exactly one, the file is refused rather than guessed. A header that splits
    on none is one column. ``csv.Sniffer`` is not used: it refuses one-column files and can
    pick a character that merely recurs in the data (a decimal comma, a ``;`` in a text).
    """
    sample = list(lines)
    cut = len(sample) >= SNIFF_LINES  # the last record may be cut short
    parsed = {}
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(sample, delimiter=delimiter) if r]
        except csv.Error:  # reading the whole file will say what is wrong
            records = []
        parsed[delimiter] = records[:-1] if cut and len(records) > 1 else records
    splitting = [d for d, records in parsed.items() if records and len(records[0]) > 1]
    if len(splitting) <= 1:
        return splitting[0] if splitting else ","
    steady = [d for d in splitting if all(len(r) == len(parsed[d][0]) for r in parsed[d])]
    if len(steady) == 1:
        return steady[0]
    names = " and ".join(DELIMITERS[d] for d in splitting)
    raise ValidationError("file", f"cannot tell its delimiter: the header splits on {names}, and the rows "
                                  "do not settle it; use one delimiter, or quote the header cells that hold another")


def _encoding(path: Path) -> str:
    with open(path, "rb") as handle:
        start = handle.read(2)
    # Excel's "Unicode text" is UTF-16 with a byte-order mark; utf-8-sig drops UTF-8's mark.
    return "utf-16" if start in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"


def _decoded(lines: Iterable[str], path: Path) -> Iterator[str]:
    try:
        yield from lines
    except UnicodeDecodeError:
        raise ValidationError("file", 'is not UTF-8 text; save it as "CSV UTF-8"', source=path.name) from None


def _header(names: list[str]) -> list[str]:
    names = [name.strip() for name in names]
    seen: set[str] = set()
    for number, name in enumerate(names, 1):
        if not name:
            raise ValidationError("header", f"column {number} has no name")
        if name in seen:
            raise ValidationError("header", f"column {name!r} appears twice")
        seen.add(name)
    return names


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


@dataclass(frozen=True)
class _Need:
    """What every task of the import must have: an asset of ``media`` (None: nothing)."""

    task_type: str
    media: str | None

    def check(self, record: dict[str, Any], asset_media: str | None) -> None:
        if self.media is None:
            return
        if asset_media is None:
            meant = [repr(key) for key in record if key not in RESERVED and _ASSET_LIKE.search(str(key))]
            if not meant:
                hint = "give it in the column"
            elif len(meant) == 1:
                hint = f"{meant[0]} is not a recognised column: use"
            else:
                hint = f"{', '.join(meant)} are not recognised columns: use"
            raise ValidationError("asset", f"is required: {self.task_type} tasks show {_a(self.media)}; {hint} "
                                           "'asset' (a registered file path or S3 key) or 'asset_id' "
                                           "(register files with `workbench assets add`)")
        if _SHOWN_AS.get(asset_media, asset_media) != self.media:
            raise ValidationError("asset", f"is of media type {asset_media!r}, but {self.task_type} tasks show "
                                           f"{_a(self.media)}")


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


class _AssetResolver:
    """Finds a project's assets by id, local path or S3 key with one query, not one per row."""

    def __init__(self, session: Session, project_id: int, base: Path) -> None:
        self.session, self.project_id, self.base = session, project_id, base
        self.media: dict[int, str] | None = None
        self._by_key: dict[str, int] = {}

    def by_id(self, value: Any) -> int:
        asset_id = _int("asset_id", value)
        if asset_id not in self._load():
            raise ValidationError("asset_id", f"no asset {asset_id} in this project")
        return asset_id

    def by_key(self, value: str) -> int:
        self._load()
        found = self._by_key.get(value)
        if found is None and not value.startswith("s3://"):
            found = self._by_key.get(str((self.base / Path(value).expanduser()).resolve()))
        if found is None:
            raise ValidationError("asset", f"no asset with path or S3 key {value!r} in this project")
        return found

    def _load(self) -> dict[int, str]:
        if self.media is None:
            rows = self.session.execute(select(Asset.id, Asset.media_type, Asset.local_path, Asset.s3_bucket,
                                               Asset.s3_key).where(Asset.project_id == self.project_id)
                                        .order_by(Asset.id.desc())).all()
            self.media = {r.id: r.media_type for r in rows}
            for r in rows:  # the oldest asset of a path wins: it is the one assets.add finds again
                keys = [r.local_path, r.s3_key, r.s3_key and f"s3://{r.s3_bucket}/{r.s3_key}"]
                self._by_key.update((key, r.id) for key in keys if key)
        return self.media


def _row(record: dict[str, Any], resolver: _AssetResolver, need: _Need, project_id: int, definition_id: int,
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
    tasks.check_payload(payload)  # a gold answer, as on one task
    asset_id = None
    if record.get("asset_id") not in (None, ""):
        asset_id = resolver.by_id(record["asset_id"])
    elif record.get("asset") not in (None, ""):
        asset_id = resolver.by_key(str(record["asset"]))
    need.check(record, None if asset_id is None else resolver.media[asset_id])
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
