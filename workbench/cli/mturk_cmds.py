"""``workbench mturk …`` (HITs, sync, ingest, reconcile, review, balance, cost) and ``workbench mturk-sim``.

The commands are the template's of ``crowd_cmds``, shared with every provider; MTurk brings its
environments and its environment variable.
"""

from __future__ import annotations

from .base import cli
from .crowd_cmds import Ctx, _cents, pass_ctx, provider_group

mturk = provider_group("mturk", environments=("local", "sandbox", "production"), envvar="MTURK_ENVIRONMENT",
                       help="Amazon Mechanical Turk: HITs, sync, ingest, review, balance.")


def _register_simulator() -> None:
    from workbench.devtools.mturk_sim.cli import mturk_sim  # a dev tool: the core never imports it

    cli.add_command(mturk_sim, "mturk-sim")


_register_simulator()

__all__ = ["Ctx", "_cents", "mturk", "pass_ctx"]
