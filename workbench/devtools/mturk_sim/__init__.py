"""A local Amazon Mechanical Turk: MTurk's JSON wire protocol for an unmodified boto3 client."""
from .backend import OPERATIONS, Backend
from .clock import VirtualClock
from .faults import Faults
from .simulator import Simulator
from .workers import SimulatedWorker, WorkerOutcome, WorkerPool, run_workers

__all__ = ["OPERATIONS", "Backend", "Faults", "SimulatedWorker", "Simulator", "VirtualClock",
           "WorkerOutcome", "WorkerPool", "run_workers"]
