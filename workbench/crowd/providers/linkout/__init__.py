"""A generic link-out panel as a crowd provider: a participant id comes in, a completion code or redirect goes out.

For panels with no API (SONA and other university pools, survey panels, a mailing list): the panel
sends participants to the entry URL of a link with its participant id; they do the study's tasks in
the workbench's own pages and leave with a per-session completion code, or are redirected to the
panel's completion URL with the code filled in. Review is local: approve, reject and bonuses are
recorded in the store and exported as the panel's payment sheet (``payment_sheet``), since there is
nothing to call. ``LinkOutProvider`` delegates to one module per seam: ``client`` (environments, the
entry route), ``links`` (a link per project and round; what the entry route admits), ``sync``
(finished sessions into assignments; ingest), ``review`` (decisions, bonuses owed, blocks), ``settings``
(the id parameter, the completion template), ``sheet`` (payout batches) and ``costs``.

Options of ``create_work``: ``id_param`` (the panel's query name for the participant id;
``LINKOUT_ID_PARAM``, default ``participant_id``), ``completion_url`` (a redirect template with
``{code}``, ``{participant}``, ``{link}``; ``LINKOUT_COMPLETION_URL``; none: the code page), and
``base_url`` (the workbench's public origin, as for every provider: else the provider's ``public_base_url``,
else ``WORKBENCH_PUBLIC_BASE_URL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from workbench.store.models import HIT
from ..base import LINK_OUT_WORDS, CreateResult, CrowdProvider, IngestResult, Progress, SyncResult, WorkSpec
from . import client as _client
from . import costs, links, review, sheet, sync
from .client import ProductionNotConfirmed
from .links import LinkClosed, ParticipantRefused, entry_url


class LinkOutProvider(CrowdProvider):
    """A link-out panel in one environment (local or production), recording into one Store. Nothing is remote."""

    name = "link-out"
    words = LINK_OUT_WORDS
    fees = costs
    #: A bonus is owed only to work that may be paid: the sheet owes a rejected or no-task session nothing.
    bonusable = ("submitted", "approved")

    def __init__(self, store, *, environment: str | None = None, confirm_production: bool = False,
                 public_base_url: str | None = None, **_ignored: Any) -> None:
        self.store = store
        self.environment = _client.environment(environment)
        _client.check_production(self.environment, confirm_production)
        self.public_base_url = public_base_url

    def __repr__(self) -> str:
        return f"<LinkOutProvider {self.environment}>"

    # -- work ---------------------------------------------------------------------
    def create_work(self, project, task_ids: Sequence[int], spec: WorkSpec, *, round: int = 0, batch_size: int = 50,
                    progress: Progress | None = None, actor: str = "", **options: Any) -> CreateResult:
        """One link for the tasks; ``hit_ids`` holds its id, ``entry_url(link)`` the URL for the panel."""
        return links.create_work(self, project, task_ids, spec, round=round, actor=actor, **options)

    def entry_url(self, link: str) -> str:
        """The URL to paste into the panel (``links.entry_url``): it ends in ``<id_param>=``."""
        with self.store.session() as s:
            return (links.get_link(s, link, environment=self.environment).payload or {})["entry_url"]

    def extend(self, hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = "") -> HIT:
        return links.extend(self, hit_id, assignments=assignments, seconds=seconds, actor=actor)

    def expire(self, hit_id: str, *, actor: str = "") -> HIT:
        """Close the link: new participants get a "closed" page (410)."""
        return links.set_status(self, hit_id, "expired", "link-out.link.closed", actor)

    def pause(self, hit_id: str, *, actor: str = "") -> HIT:
        return links.set_status(self, hit_id, "unassignable", "link-out.link.paused", actor)

    def resume(self, hit_id: str, *, actor: str = "") -> HIT:
        return links.set_status(self, hit_id, links.OPEN, "link-out.link.resumed", actor)

    def delete(self, hit_id: str, *, actor: str = "") -> HIT:
        return links.delete(self, hit_id, actor=actor)

    def associate(self, hit_id: str, project, task_id: int | None = None, *, actor: str = ""):
        raise review.no_api("hit_id", "adopt work made elsewhere", "make the link with create_work, and paste its "
                                                                    "entry URL into the panel")

    # -- the entry route (the server's handler calls these in its store session) ---------
    def entry(self, session, link: str) -> dict[str, Any]:
        return links.entry(session, link)

    def admit(self, session, link: str, participant: str, assignment_id: str) -> dict[str, Any]:
        return links.admit(session, link, participant, assignment_id)

    session_id = staticmethod(links.session_id)
    completion_target = staticmethod(links.completion_target)

    # -- data ---------------------------------------------------------------------
    def sync(self, *, actor: str = "", **options: Any) -> SyncResult:
        return sync.sync(self, actor=actor, **options)

    def ingest(self, *, chunk_size: int = 500, actor: str = "", **options: Any) -> IngestResult:
        return sync.ingest(self, chunk_size=chunk_size, actor=actor, **options)

    def payment_sheet(self, project, *, new_only: bool = False) -> list[dict[str, Any]]:
        """One row per finished session of ``project`` (``sheet.COLUMNS``), for the panel's payment sheet;
        ``new_only``: only what no earlier payout batch covered."""
        return sheet.payment_sheet(self, project, new_only=new_only)

    def write_payment_sheet(self, project, out: str | Path, *, new_only: bool = False,
                            record: bool = True) -> dict[str, Any]:
        """The payment sheet as a CSV file, recorded as a payout batch; what was written, with the totals owed."""
        return sheet.write_payment_sheet(self, project, out, new_only=new_only, record=record)

    def payout_batch(self, project, *, new_only: bool = False, where: str = "") -> tuple[list[dict[str, Any]],
                                                                                       dict[str, Any]]:
        """The payment sheet's rows, recorded as a payout batch sent ``where`` (not a file: a REST answer)."""
        return sheet.payout_batch(self, project, new_only=new_only, where=where)

    # -- review -------------------------------------------------------------------
    def approve(self, assignment_id: str, *, feedback: str = "", override: bool = False, actor: str = ""):
        return review.approve(self, assignment_id, feedback=feedback, override=override, actor=actor)

    def reject(self, assignment_id: str, feedback: str, *, actor: str = ""):
        return review.reject(self, assignment_id, feedback, actor=actor)

    def bulk_approve(self, assignment_ids: Sequence[str], *, actor: str = "") -> int:
        return review.bulk_approve(self, assignment_ids, actor=actor)

    def send_bonus(self, worker_id: str, assignment_id: str, amount_cents: int, reason: str, token: str) -> bool:
        return review.send_bonus(self, worker_id, assignment_id, amount_cents, reason, token)

    def bonus_payments(self, *, assignment_id: str | None = None, hit_id: str | None = None) -> list[dict]:
        return review.bonus_payments(self, assignment_id=assignment_id, hit_id=hit_id)

    def block(self, worker_id: str, reason: str, *, actor: str = ""):
        return review.block(self, worker_id, reason, actor=actor)

    def unblock(self, worker_id: str, *, reason: str = "", actor: str = ""):
        return review.unblock(self, worker_id, reason=reason, actor=actor)

    def create_qualification(self, name: str, description: str, *, actor: str = "", **options: Any):
        raise review.no_api("qualification", "keep qualifications",
                            "screen on the panel itself, or keep participants out with block() or the WorkSpec's "
                            "exclude_past_participants / exclude_projects")

    def grant(self, qualification_type_id: str, worker_id: str, value: int = 1, *, actor: str = ""):
        raise review.no_api("qualification_type_id", "grant qualifications", "screen on the panel itself")

    def revoke(self, qualification_type_id: str, worker_id: str, *, reason: str = "", actor: str = ""):
        raise review.no_api("qualification_type_id", "revoke qualifications", "screen on the panel itself")

    def notify(self, worker_ids: Sequence[str], subject: str, message: str, *, actor: str = ""):
        raise review.no_api("worker_ids", "message participants", "write to them through the panel's own messages")

    def balance(self) -> int:
        """No account to draw from (``review.UNLIMITED_CENTS``): the payment sheet is paid on the panel."""
        return review.balance(self)


__all__ = ["LinkClosed", "LinkOutProvider", "ParticipantRefused", "ProductionNotConfirmed", "entry_url"]
