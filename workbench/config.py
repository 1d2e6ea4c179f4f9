"""Where the workbench keeps its things, read from the environment.

``WORKBENCH_HOME`` (default ``~/.workbench``) holds the embedded SQLite store, backups,
executed notebooks and exports. ``WORKBENCH_DATABASE_URL`` points at PostgreSQL (or any
SQLAlchemy URL) instead. Secrets never live here: they come from the environment or
the standard AWS credential chain when they are needed.

``WORKBENCH_ASSET_ROOTS`` names more folders (absolute paths, separated by ``os.pathsep``)
that local asset files may come from, besides the home's ``assets`` folder and each
project's ``<home>/<project>/assets`` (``asset_roots``). The server that serves the files
must be given the same setting as the command or notebook that registered them.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from .errors import ValidationError


def home() -> Path:
    """The workbench home folder (created on first use)."""
    path = Path(os.environ.get("WORKBENCH_HOME") or Path.home() / ".workbench").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def asset_roots(project: str) -> list[Path]:
    """The folders, symlinks resolved, that ``project``'s local asset files may come from: ``<home>/assets``, the
    project's own ``<home>/<project>/assets`` (where the demo writes its images), then each folder in
    ``WORKBENCH_ASSET_ROOTS`` (absolute paths; a relative one is refused). A file is an asset only inside one of
    them."""
    base = home()
    try:
        named = [Path(entry).expanduser() for entry in (os.environ.get("WORKBENCH_ASSET_ROOTS") or "").split(os.pathsep)
                 if entry.strip()]
        relative = next((str(root) for root in named if not root.is_absolute()), None)
        if relative is not None:  # read from the current folder, the CLI's and the server's roots would differ
            raise ValidationError("WORKBENCH_ASSET_ROOTS", f"names a relative folder ({relative}); give absolute paths")
        return [root.resolve() for root in (base / "assets", base / project / "assets", *named)]
    except (OSError, RuntimeError, ValueError) as exc:  # ~nosuchuser, a loop of symlinks
        raise ValidationError("WORKBENCH_ASSET_ROOTS", f"names a folder that cannot be read: {exc}") from None


def database_url(url: str | None = None) -> str:
    """The store's SQLAlchemy URL: an explicit one, ``WORKBENCH_DATABASE_URL``, or SQLite in the home."""
    url = url or os.environ.get("WORKBENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{home() / 'workbench.db'}"
    if url.startswith(("postgres://", "postgresql://")):
        # Heroku-style and plain URLs name no driver; the workbench speaks psycopg 3.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    """A database URL safe to print or log: the password is masked."""
    return make_url(url).render_as_string(hide_password=True)


def plugins_url() -> str | None:
    """``WORKBENCH_PLUGINS_URL``: the bucket or CDN base that worker pages load plugin files from, or None."""
    return (os.environ.get("WORKBENCH_PLUGINS_URL") or "").strip().rstrip("/") or None


def public_base_url() -> str:
    """``WORKBENCH_PUBLIC_BASE_URL``: the origin crowd workers reach the worker pages at, or "".

    ``WORKBENCH_PUBLIC_URL``, which the first Prolific release read, is taken when the other is unset."""
    return (os.environ.get("WORKBENCH_PUBLIC_BASE_URL") or os.environ.get("WORKBENCH_PUBLIC_URL") or ""
            ).strip().rstrip("/")


def provider() -> str:
    """``WORKBENCH_PROVIDER``: the crowd provider a study runs on (``mturk``, ``prolific``, ``link-out``), the one
    setting that moves the worker server, the scheduled notebooks, the dashboard and the demo together."""
    return (os.environ.get("WORKBENCH_PROVIDER") or "mturk").strip().lower()


def check_base_url(url: str, field: str = "public_base_url") -> str:
    """``url`` without its trailing slash if it is an http(s) URL with a host (and maybe a path), without query,
    fragment or user; ValidationError naming ``field`` otherwise."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or parts.username is not None or any(c.isspace() for c in url)):
        raise ValidationError(field, f"must be an http(s) URL such as https://annotate.example.org, not {url!r}")
    return url
