"""``workbench prolific …`` (studies, sync, ingest, review, balance, cost, and Prolific's own pause, resume,
stop, bulk approval and return requests) and ``workbench prolific-sim``, the local simulator (a dev tool).

The commands are the template's of ``crowd_cmds``, in Prolific's words; Prolific brings its
environments and its environment variable, and production needs ``--confirm-production``.
"""
from __future__ import annotations

from .base import cli
from .crowd_cmds import provider_group

prolific = provider_group("prolific", environments=("local", "production"), envvar="PROLIFIC_ENVIRONMENT",
                          help="Prolific: studies, sync, ingest, review, balance.")


def _register_simulator() -> None:
    from workbench.devtools.prolific_sim.cli import prolific_sim  # a dev tool: the core never imports it

    cli.add_command(prolific_sim, "prolific-sim")


_register_simulator()
