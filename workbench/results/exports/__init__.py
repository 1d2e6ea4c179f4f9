"""Exports: the store turned into files (Parquet, CSV, JSONL, JSON, COCO, the long table), optionally on S3.

``export(store, project, fmt, out)`` is the one entry point the CLI, the export notebook
and the panels call; ``stream(store, project, fmt)`` gives the same JSON or JSON lines as
text chunks, for the REST API's export to send as they come. Every format streams: rows go
from the store's cursor to the file a chunk at a time, so memory stays flat as the data grows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import ValidationError
from workbench.store import Store
from workbench.study import projects
from . import s3

FORMATS = ("parquet", "csv", "jsonl", "json", "coco", "long")
#: The formats ``stream`` gives (``tabular.TEXT_FORMATS``, named here so that the CLI need not import pyarrow).
STREAM_FORMATS = ("jsonl", "json")
#: The file format of the long table follows the output's suffix (Parquet otherwise).
LONG_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".json": "json", ".parquet": "parquet"}


@dataclass
class ExportResult:
    format: str
    path: str
    rows: int
    s3_uri: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export(store: Store, project: str | None, fmt: str, out: str | Path, *, s3_uri: str | None = None,
           batch_size: int | None = None) -> ExportResult:
    """Write the project's annotations (``project=None``: every project) to ``out`` in ``fmt``.

    ``fmt``: parquet, csv, jsonl, json (the annotation join), coco (boxes and polygons) or
    long (rater, unit, value). With ``s3_uri`` (``s3://bucket/key``) the file is uploaded too.
    """
    # Imported here, not at the top: they bring pyarrow and DuckDB, which the CLI's option lists do not need.
    from . import coco, tabular
    from .long import LONG_COLUMNS, long_batches
    from .source import ANNOTATION_COLUMNS, annotation_batches

    if fmt not in FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(FORMATS)}")
    if not out:
        raise ValidationError("out", "must be a file path")
    out = Path(out).expanduser()
    if s3_uri is not None:
        s3.parse_uri(s3_uri)
    if project is not None:
        _check_project(store, project)
    kwargs = {"batch_size": batch_size} if batch_size else {}
    counts: dict[str, int] = {}
    if fmt == "coco":
        counts = coco.write(store, project, out)
        rows = counts["annotations"]
    elif fmt == "long":
        rows = tabular.write(long_batches(store, project, **kwargs), LONG_COLUMNS,
                             LONG_SUFFIXES.get(out.suffix.lower(), "parquet"), out)
    else:
        with annotation_batches(store, project, **kwargs) as reader:
            rows = tabular.write(reader, ANNOTATION_COLUMNS, fmt, out)
    result = ExportResult(fmt, str(out), rows, counts=counts)
    if s3_uri is not None:
        result.s3_uri = s3.upload(out, s3_uri)
    return result


def stream(store: Store, project: str, fmt: str, *, batch_size: int | None = None) -> Iterator[str]:
    """The project's annotations in ``fmt`` (json or jsonl) as text chunks, one per batch of rows: the rows and
    bytes ``export`` writes to a file of that format.

    A bad format or a missing project raises here, before the first chunk; the store is read as the chunks
    are taken, and closing the iterator early closes its connections.
    """
    if fmt not in STREAM_FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(STREAM_FORMATS)}")
    _check_project(store, project)
    return _chunks(store, project, fmt, batch_size)


def _chunks(store: Store, project: str, fmt: str, batch_size: int | None) -> Iterator[str]:
    # Imported here, not at the top: pyarrow and DuckDB, see ``export``.
    from . import tabular
    from .source import ANNOTATION_COLUMNS, annotation_batches

    kwargs = {"batch_size": batch_size} if batch_size else {}
    with annotation_batches(store, project, **kwargs) as reader:
        yield from tabular.text_chunks(reader, ANNOTATION_COLUMNS, fmt, **kwargs)


def _check_project(store: Store, project: str) -> None:
    with store.session() as session:
        projects.get(session, project)


def __getattr__(name: str) -> Any:
    """The readers, imported on first use: they bring pyarrow, which ``shapes`` (read by the previews and
    the agreement) and the CLI's option lists do not need."""
    if name in ("annotation_batches", "annotation_rows"):
        from . import source  # pyarrow: see the docstring

        return getattr(source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATS", "STREAM_FORMATS", "ExportResult", "annotation_batches", "annotation_rows", "export", "stream"]
