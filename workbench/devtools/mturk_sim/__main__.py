"""`python -m workbench.devtools.mturk_sim`: the same as `workbench mturk-sim`."""
from .cli import mturk_sim

mturk_sim(prog_name="python -m workbench.devtools.mturk_sim")
