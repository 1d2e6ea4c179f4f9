"""A real workbench server in a child process on a store of its own, for tests whose simulated people visit it.

``workbench_site(root, env)`` is a context manager for module fixtures: WORKBENCH_HOME under ``root``, a
migrated SQLite store, and ``jupyter workbench`` (the demo's own ``workbench_server``) with ``env`` (the
provider's settings); the server is stopped and the store closed when the block ends, also when a test
failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from workbench.devtools.demo_study import workbench_server
from workbench.store import Store


@contextmanager
def workbench_site(root: Path, env: dict[str, str]) -> Iterator[tuple[Store, str]]:
    """(store, base URL) of a server started with ``env``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_HOME", str(root / "home"))
        store = Store(f"sqlite:///{root / 'workbench.db'}")
        store.upgrade()
        try:
            base_url, server = workbench_server(store, root / "logs", env)
            with server:
                yield store, base_url
        finally:
            store.dispose()
