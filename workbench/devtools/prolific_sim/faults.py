"""Fault options of the Prolific simulator: what a real platform does on a bad day."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Faults:
    """Options, all off by default.

    processing_reads: how many reads a just-completed submission shows PROCESSING before its
        status (PROCESSING is real Prolific behaviour that the spec's status enums lack).
    duplicate_deliveries: send every hook event this many extra times (same X-Event-ID).
    late_delivery_seconds: hold every hook event until the virtual clock has moved this far.
    out_of_order: deliver the events that are due together newest first.
    retry_attempts: deliveries answered non-2xx are retried up to this many more times.
    retry_backoff: wall seconds between attempts.
    bonus_pay_delay: wall seconds before a requested bonus payment is paid (advancing the
        clock pays at once).
    """

    processing_reads: int = 0
    duplicate_deliveries: int = 0
    late_delivery_seconds: float = 0.0
    out_of_order: bool = False
    retry_attempts: int = 3
    retry_backoff: float = 0.05
    bonus_pay_delay: float = 0.2

    def as_dict(self) -> dict:
        return asdict(self)
