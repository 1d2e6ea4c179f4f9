"""`python -m workbench.devtools.prolific_sim`: the same as `workbench prolific-sim`."""
from .cli import prolific_sim

prolific_sim(prog_name="python -m workbench.devtools.prolific_sim")
