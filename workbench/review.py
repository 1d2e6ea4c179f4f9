"""Reviewing crowd work, in the researcher's words: ``review.approve(provider, assignment_id)``.

The names of ``workbench.crowd.review`` (approve, reject, bonus, block, unblock, notify,
assignments, queue, approve_all, bulk_approve, worker_summary), where the rules live once for every face.
"""

from .crowd.review import (STATUSES, approval_stats, approve, approve_all, assignments, block, bonus, bulk_approve,
                           notify, qualification_types, queue, reject, unblock, worker, worker_summary, workers)

__all__ = ["STATUSES", "approval_stats", "approve", "approve_all", "assignments", "block", "bonus", "bulk_approve",
           "notify", "qualification_types", "queue", "reject", "unblock", "worker", "worker_summary", "workers"]
