"""The MTurk routes' request bodies (``/workbench/api/mturk/...``), read like the others (``api_models``).

Every MTurk body may name its environment and, for production, confirm it; unknown fields are
ignored, as they always were on these routes. What only MTurk or the store can say (does the
HIT exist, is the amount within the project's limit) stays the service's to say.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema

from .api_models import MAX_ID, Body, Filled, Id, Int, Object

Environment = Annotated[str, Field(pattern=r"\S", description="local, sandbox or production "
                                                              "(default MTURK_ENVIRONMENT, else local)")]


class MTurkBody(Body):
    """The environment a request acts in; production needs ``confirm_production: true``."""

    environment: Environment = Field(None)
    confirm_production: bool = False


class NewHITs(MTurkBody):
    """HITs for a project's tasks: one per task, or link-out HITs (null entries)."""

    project: Filled
    spec: Annotated[Object, WithJsonSchema({"allOf": [{"$ref": "#/components/schemas/WorkSpec"}]})] = Field(
        description="The offer (checked by WorkSpec.from_dict)")
    task_ids: list[Id | None] = Field(None, min_length=1, description="null entries: one link-out HIT each; "
                                                                      "absent: every pending task not yet on a HIT")
    round: Int = 0
    batch_size: Int = 50


class Extension(MTurkBody):
    """More assignments and/or more time for a HIT."""

    assignments: Int = 0
    seconds: Int = 0


class Association(MTurkBody):
    """A HIT made outside the workbench, taken into a project (and onto a task)."""

    project: Filled
    task_id: Id | None = None


class Approval(MTurkBody):
    """Approve an assignment: ``override`` is needed over a rejection or a wrong or missing link-out code."""

    feedback: str = ""
    override: bool = False


class Rejection(MTurkBody):
    """Reject an assignment, telling the worker why."""

    feedback: Filled


class Bonus(MTurkBody):
    """A bonus, paid once per key (default: derived from the assignment, the amount and the reason)."""

    amount_cents: Annotated[int, Field(ge=1, le=MAX_ID, description="Cents (the project's limit applies)")]
    reason: Filled
    key: str | None = Field(None, min_length=1, max_length=64,
                            description="A new key pays a deliberate second bonus; the same key never pays twice")


class Block(MTurkBody):
    reason: Filled


class Unblock(MTurkBody):
    reason: str = ""


class NewQualificationType(MTurkBody):
    name: Filled
    description: Filled


class Grant(MTurkBody):
    worker_id: Filled
    value: Int = 1


class Revoke(MTurkBody):
    worker_id: Filled
    reason: str = ""


class Reconciliation(MTurkBody):
    """Which project's ledger to hold against MTurk's payments (default: every project's)."""

    project: str | None = None


class Sync(MTurkBody):
    method: str = Field("reviewable", description="reviewable (MTurk's reviewable HITs) or poll (every HIT)")
    sweep: Int = Field(None, description="Seconds of recent HITs to sweep")
    max_unseen: Int = Field(None, description="Seconds a HIT may go unseen")


#: Bodies by action, for the routes that share a handler.
BY_ACTION = {"extend": Extension, "expire": MTurkBody, "associate": Association, "approve": Approval,
             "reject": Rejection, "bonus": Bonus, "block": Block, "unblock": Unblock, "grant": Grant,
             "revoke": Revoke, "sync": Sync, "ingest": MTurkBody}
