"""The ``workbench`` command: a thin face over the core library.

Errors the user can act on print one line and exit 1; anything unexpected prints one
line too, and the traceback only with ``--debug`` (or ``WORKBENCH_DEBUG=1``).
"""

from __future__ import annotations

import sys

from . import (  # noqa: F401  (they register their commands)
    asset_cmds, collab_cmds, demo_cmd, export_cmds, linkout_cmds, mturk_cmds, platform_cmds, plugin_cmds, project_cmds,
    prolific_cmds, review_cmds, run_cmds, store_cmds)
from .base import State, cli, emit

__all__ = ["State", "cli", "emit", "main"]


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="workbench")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
