"""The crowd-provider interface: what the workbench asks of any platform that brings workers.

MTurk is the first implementation. The interface is written so that Prolific and a plain
"link in, completion code out" provider fit beside it without touching the callers: each
operation's docstring says what those two would do. Money is in integer cents; times are
aware UTC datetimes; provider ids are strings. A provider owns a Store and writes every
change with its Event in one transaction; a call to the platform comes first, with an
idempotency token wherever the platform takes one, so that a retry is answered the same.
"""

from __future__ import annotations

import abc
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from workbench.errors import ValidationError

ENVIRONMENTS = ("local", "sandbox", "production")
MODES = ("external", "link-out")

def resolve_environment(name: str | None, setting: str, known: Sequence[str]) -> str:
    """The environment asked for, or the provider's ``setting`` (``MTURK_ENVIRONMENT``, …), or ``local``; checked."""
    value = (name or os.environ.get(setting) or "local").strip().lower()
    if value not in known:
        raise ValidationError("environment", f"must be one of {', '.join(known)}, not {value!r}")
    return value


#: Called with the number of items just finished; ``tqdm(...).update`` fits.
Progress = Callable[[int], Any]


@dataclass(frozen=True)
class Words:
    """A platform's own words for the workbench's things, for faces to show without branching on its name.

    The workbench's model says HIT, assignment and worker (MTurk's words); a face prints ``words.work`` where
    it would say "HIT", so that a Prolific researcher reads "study" and "submission", as on Prolific."""

    platform: str        # "MTurk"
    work: str            # what workers are offered: "HIT"
    works: str
    attempt: str         # one worker's go at it: "assignment"
    attempts: str
    worker: str          # "worker"
    workers: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


MTURK_WORDS = Words("MTurk", "HIT", "HITs", "assignment", "assignments", "worker", "workers")
PROLIFIC_WORDS = Words("Prolific", "study", "studies", "submission", "submissions", "participant", "participants")
LINK_OUT_WORDS = Words("link-out panel", "link", "links", "session", "sessions", "participant", "participants")


@dataclass
class CustomRequirement:
    """A requirement on a qualification type of the requester's own."""

    qualification_type_id: str
    comparator: str = "Exists"
    values: list[int] = field(default_factory=list)


@dataclass
class Qualifications:
    """Who may take the work, in platform-neutral words.

    Prolific expresses the same with its participant filters (country, approval rate,
    number of approvals, custom allow/block lists); a link-in provider ignores all but the
    exclusions, which the workbench enforces itself at login.
    """

    locales: list[str] = field(default_factory=list)       # "US", "GB", "US-NY"
    min_approval_rate: int | None = None                  # percent, 0..100
    min_approved: int | None = None                       # number of approved HITs
    masters: bool = False
    custom: list[CustomRequirement] = field(default_factory=list)
    exclude_past_participants: bool = False               # of this project
    exclude_projects: list[str] = field(default_factory=list)  # slugs of other projects

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Qualifications":
        data = dict(data or {})
        data["custom"] = [c if isinstance(c, CustomRequirement) else CustomRequirement(**c)
                          for c in data.get("custom", [])]
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValidationError("qualifications", str(exc)) from None


@dataclass
class WorkSpec:
    """One kind of work offered to workers (an MTurk HIT type plus its per-HIT settings).

    ``mode="external"`` shows the worker page inside the platform's frame; ``"link-out"``
    sends the worker to the workbench's login URL and takes a completion code back. Prolific
    is always link-out (its "study URL" and "completion code"); so is a link-in provider.
    """

    title: str
    description: str
    reward_cents: int
    keywords: list[str] = field(default_factory=list)
    duration: int = 3600                 # seconds a worker has once they accept
    lifetime: int = 7 * 86400            # seconds the work stays on offer
    auto_approval_delay: int = 3 * 86400
    max_assignments: int = 1
    qualifications: Qualifications = field(default_factory=Qualifications)
    frame_height: int = 0                # 0: the frame fills the window
    mode: str = "external"

    def __post_init__(self) -> None:
        if isinstance(self.qualifications, dict):
            self.qualifications = Qualifications.from_dict(self.qualifications)
        if isinstance(self.keywords, str):
            self.keywords = [k.strip() for k in self.keywords.split(",") if k.strip()]
        self.check()

    def check(self) -> None:
        for name in ("title", "description"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(name, "must be a non-empty string")
        if len(self.title) > 128:
            raise ValidationError("title", "must be at most 128 characters")
        if len(self.description) > 2000:
            raise ValidationError("description", "must be at most 2000 characters")
        for name, low, high in (("reward_cents", 1, 1_000_000), ("duration", 30, 31_536_000),
                                ("lifetime", 30, 31_536_000), ("auto_approval_delay", 0, 2_592_000),
                                ("max_assignments", 1, 1_000_000), ("frame_height", 0, 10_000)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(name, f"must be an integer from {low} to {high}")
        if self.mode not in MODES:
            raise ValidationError("mode", f"must be one of {', '.join(MODES)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WorkSpec":
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValidationError("spec", str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RemoteAssignment:
    """A worker's attempt as the platform reports it, in the workbench's vocabulary."""

    assignment_id: str
    hit_id: str
    worker_id: str
    status: str
    accept_time: datetime | None = None
    submit_time: datetime | None = None
    approval_time: datetime | None = None
    rejection_time: datetime | None = None
    auto_approval_time: datetime | None = None
    answer_raw: str = ""
    answer: dict[str, Any] = field(default_factory=dict)
    feedback: str = ""


@dataclass
class Outcome:
    """What a bulk operation did, counted; ``to_dict`` is what faces print."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CreateResult(Outcome):
    created: int = 0
    recovered: int = 0          # the platform already had it (a retried batch)
    existing: int = 0           # already recorded here; nothing asked of the platform
    hit_ids: list[str] = field(default_factory=list)
    #: HITs the platform returned whose ids the store already holds for other tasks: not recorded.
    conflicts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SyncResult(Outcome):
    changed_hits: int = 0       # asked for their assignments
    active_hits: int = 0        # of those, asked because of worker-page or link-out activity
    swept_hits: int = 0         # open HITs read because nobody had looked at them for a while
    hits_inserted: int = 0
    assignments_new: int = 0
    assignments_updated: int = 0
    workers_new: int = 0
    api_calls: int = 0
    skipped: bool = False       # another sync held the lock
    #: Work the platform names under a HIT while the store holds it under another: reported, never merged.
    conflicts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IngestResult(Outcome):
    ingested: int = 0
    duplicates: int = 0         # an annotation with this assignment id was already stored
    invalid: int = 0            # the answer broke the definition's schema
    unmatched: int = 0          # no task to attach the answer to
    link_out: int = 0           # link-out assignments: code checked, data came through the page
    skipped: bool = False


class CrowdProvider(abc.ABC):
    """The operations every crowd platform offers, as the workbench uses them."""

    name: str = ""
    environment: str = "local"
    #: The platform's words for HIT, assignment and worker (``Words``), which faces print.
    words: Words = MTURK_WORDS
    #: What the platform can do beyond this interface that no method of its own says
    #: (``workbench.crowd.capabilities``); a method such as ``pause`` speaks for itself.
    capabilities: frozenset[str] = frozenset()
    #: The answer field a link-out assignment's completion code comes back in.
    code_field: str = "completion_code"
    #: The workbench Store the provider records into.
    store: Any = None

    # -- work ---------------------------------------------------------------------
    @abc.abstractmethod
    def create_work(self, project: int | str, task_ids: Sequence[int], spec: WorkSpec, *, round: int = 0,
                    batch_size: int = 50, progress: Progress | None = None, actor: str = "") -> CreateResult:
        """Offer tasks to workers, idempotently per (project, task, round, environment).

        MTurk: one HIT per task. Prolific: one study whose places equal the tasks, the tasks
        handed out at login. Link-in: nothing remote; the workbench prints the login link.
        """

    @abc.abstractmethod
    def extend(self, hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = "") -> Any:
        """More assignments and/or a later expiry. Prolific: more places; link-in: a later close."""

    @abc.abstractmethod
    def expire(self, hit_id: str, *, actor: str = "") -> Any:
        """Stop offering the work now. Prolific: pause/stop the study."""

    @abc.abstractmethod
    def delete(self, hit_id: str, *, actor: str = "") -> Any:
        """Remove finished work from the platform (it must have no open review)."""

    @abc.abstractmethod
    def associate(self, hit_id: str, project: int | str, task_id: int | None = None, *, actor: str = "") -> Any:
        """Adopt work created elsewhere (by its platform id) into a project and task."""

    # -- data ---------------------------------------------------------------------
    @abc.abstractmethod
    def sync(self, *, actor: str = "") -> SyncResult:
        """Bring the store up to date with what changed on the platform.

        Prolific: list the study's submissions; link-in: nothing (the page is the source).
        """

    @abc.abstractmethod
    def ingest(self, *, chunk_size: int = 500, actor: str = "") -> IngestResult:
        """Turn submitted work into Annotations, once per assignment, whatever happens mid-way."""

    # -- review -------------------------------------------------------------------
    @abc.abstractmethod
    def approve(self, assignment_id: str, *, feedback: str = "", override: bool = False, actor: str = "") -> Any:
        """Pay for the work. ``override`` turns an earlier rejection into an approval."""

    @abc.abstractmethod
    def reject(self, assignment_id: str, feedback: str, *, actor: str = "") -> Any:
        """Refuse the work, saying why (the feedback is required, and shown to the worker)."""

    # -- payments: the ledger (``workbench.crowd.payments``) is the only caller --------
    #: The reasons a rejection may be filed under (Prolific's ``rejection_category``); empty: the platform has none.
    rejection_categories: tuple[str, ...] = ()

    #: Length limits of the texts the platform takes.
    limits: dict[str, int] = {"bonus_reason": 4096, "feedback": 1024, "block_reason": 1024}

    @abc.abstractmethod
    def send_bonus(self, worker_id: str, assignment_id: str, amount_cents: int, reason: str, token: str) -> bool:
        """Ask the platform to pay one ledger intent, with its idempotency ``token``.

        True when the platform answers that this token already paid. Prolific: set up and pay a
        bulk bonus; link-in: nothing remote (recorded here, paid by hand).
        """

    @abc.abstractmethod
    def bonus_payments(self, *, assignment_id: str | None = None, hit_id: str | None = None) -> list[dict[str, Any]]:
        """The platform's own list of bonuses paid for one assignment or one HIT, each a dict of
        ``worker_id``, ``assignment_id``, ``amount_cents``, ``reason`` and ``granted_at``."""

    #: The provider's fee schedule and spending: a module with ``bonus_fee(cents)``,
    #: ``reward_fee(reward_cents, max_assignments)`` and ``cost(session, environment, project=)``.
    fees: Any = None

    def bonus_fee(self, amount_cents: int) -> int:
        """The platform's fee on a bonus of ``amount_cents``, in cents."""
        return self.fees.bonus_fee(amount_cents)

    def reward_fee(self, reward_cents: int, max_assignments: int) -> int:
        """The platform's fee on one assignment's reward, for work offered to ``max_assignments`` workers."""
        return self.fees.reward_fee(reward_cents, max_assignments)

    def cost(self, *, project: int | str | None = None) -> dict[str, Any]:
        """Rewards, bonuses and fees spent and committed on this platform, for one project or all."""
        with self.store.session() as s:
            return self.fees.cost(s, self.environment, project=project)

    @abc.abstractmethod
    def block(self, worker_id: str, reason: str, *, actor: str = "") -> Any:
        """Keep a worker out of all future work. Prolific: a block list; link-in: refused at login."""

    @abc.abstractmethod
    def unblock(self, worker_id: str, *, reason: str = "", actor: str = "") -> Any:
        """Lift a block."""

    @abc.abstractmethod
    def create_qualification(self, name: str, description: str, *, actor: str = "") -> Any:
        """A named, grantable mark on workers. Prolific: a custom allow list."""

    @abc.abstractmethod
    def grant(self, qualification_type_id: str, worker_id: str, value: int = 1, *, actor: str = "") -> Any:
        """Give a worker a qualification (``qualify``)."""

    @abc.abstractmethod
    def revoke(self, qualification_type_id: str, worker_id: str, *, reason: str = "", actor: str = "") -> Any:
        """Take a qualification back."""

    @abc.abstractmethod
    def notify(self, worker_ids: Sequence[str], subject: str, message: str, *, actor: str = "") -> Any:
        """Message workers who worked for the requester. Prolific: its messaging API."""

    @abc.abstractmethod
    def balance(self) -> int:
        """The requester's available balance, in cents."""
