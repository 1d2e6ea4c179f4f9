"""`workbench prolific-sim`: the local Prolific simulator (a dev tool)."""
from __future__ import annotations

from .base import cli


def _register_simulator() -> None:
    from workbench.devtools.prolific_sim.cli import prolific_sim  # a dev tool: the core never imports it

    cli.add_command(prolific_sim, "prolific-sim")


_register_simulator()
