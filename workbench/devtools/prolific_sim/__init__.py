"""A local Prolific: the researcher API of prolific-openapi.yml, the participant's side, hooks."""
from .backend import OPERATIONS, Backend
from .crowd import Participant, Recruitment, run_participants
from .faults import Faults
from .simulator import Simulator

__all__ = ["OPERATIONS", "Backend", "Faults", "Participant", "Recruitment", "Simulator", "run_participants"]
