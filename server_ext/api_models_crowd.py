"""The crowd routes' request bodies (``/workbench/api/{provider}/...``), read like the others (``api_models``).

The same bodies serve every provider (MTurk, Prolific, link-out): each may name its environment
and, for production, confirm it; unknown fields are ignored, as they always were on these
routes. What only the platform or the store can say (does the HIT exist, is the amount within
the project's limit, can this platform pause) stays the service's to say.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema

from .api_models import MAX_ID, Body, Filled, Id, Int, Object

Environment = Annotated[str, Field(pattern=r"\S", description="One of the provider's environments (GET "
                                  "/workbench/api/providers lists them; default: its setting, MTURK_ENVIRONMENT or "
                                  "PROLIFIC_ENVIRONMENT, else local)")]


class CrowdBody(Body):
    """The environment a request acts in; production needs ``confirm_production: true``."""

    environment: Environment = Field(None)
    confirm_production: bool = False


class NewHITs(CrowdBody):
    """HITs for a project's tasks: one per task, or link-out HITs (null entries)."""

    project: Filled
    spec: Annotated[Object, WithJsonSchema({"allOf": [{"$ref": "#/components/schemas/WorkSpec"}]})] = Field(
        description="The offer (checked by WorkSpec.from_dict)")
    task_ids: list[Id | None] = Field(None, min_length=1, description="null entries: one link-out HIT each; "
                                                                      "absent: every pending task not yet on a HIT")
    round: Int = 0
    batch_size: Int = 50


class Extension(CrowdBody):
    """More assignments and/or more time for a HIT."""

    assignments: Int = 0
    seconds: Int = 0


class Association(CrowdBody):
    """A HIT made outside the workbench, taken into a project (and onto a task)."""

    project: Filled
    task_id: Id | None = None


class Approval(CrowdBody):
    """Approve an assignment: ``override`` is needed over a rejection or a wrong or missing link-out code."""

    feedback: str = ""
    override: bool = False


class Rejection(CrowdBody):
    """Reject an assignment, telling the worker why (Prolific: at least 100 characters)."""

    feedback: Filled
    category: str | None = Field(None, min_length=1, max_length=64,
                                 description="One of the provider's rejection_categories (Prolific's; default its "
                                             "own); refused by a provider that has none")


class Bonus(CrowdBody):
    """A bonus, paid once per key (default: derived from the assignment, the amount and the reason)."""

    amount_cents: Annotated[int, Field(ge=1, le=MAX_ID, description="Cents (the project's limit applies)")]
    reason: Filled
    key: str | None = Field(None, min_length=1, max_length=64,
                            description="A new key pays a deliberate second bonus; the same key never pays twice")


class Block(CrowdBody):
    reason: Filled


class Unblock(CrowdBody):
    reason: str = ""


class NewQualificationType(CrowdBody):
    name: Filled
    description: Filled


class Grant(CrowdBody):
    worker_id: Filled
    value: Int = 1


class Revoke(CrowdBody):
    worker_id: Filled
    reason: str = ""


class Reconciliation(CrowdBody):
    """Which project's ledger to hold against the platform's payments (default: every project's)."""

    project: str | None = None


class Sync(CrowdBody):
    method: str = Field(None, description="Where the provider chooses (capability sync_methods, MTurk): reviewable "
                                          "(its reviewable HITs, the default) or poll (every HIT)")
    sweep: Int = Field(None, description="Seconds of recent HITs to sweep")
    max_unseen: Int = Field(None, description="Where the provider chooses (sync_methods): seconds a HIT may go "
                                              "unseen")


class BulkApproval(CrowdBody):
    """Approve in the platform's bulk call (capability bulk_approve), under the rules of one approval."""

    assignment_ids: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]] = Field(
        min_length=1, max_length=1000)


class ReturnRequest(CrowdBody):
    """Ask the worker to return the work (capability request_return): unpaid, and the place opens again."""

    reasons: list[Filled] = Field(min_length=1, max_length=20, description="Why, shown to the worker")


class PaymentSheet(CrowdBody):
    """The payment sheet of a platform that pays from one (capability payment_sheet, link-out), recorded as a
    payout batch; ``new_only``: only what no earlier batch covered."""

    project: Filled
    new_only: bool = False


#: Bodies by action, for the routes that share a handler.
BY_ACTION = {"extend": Extension, "expire": CrowdBody, "associate": Association, "approve": Approval,
             "reject": Rejection, "bonus": Bonus, "block": Block, "unblock": Unblock, "grant": Grant,
             "revoke": Revoke, "sync": Sync, "ingest": CrowdBody, "pause": CrowdBody, "resume": CrowdBody,
             "stop": CrowdBody, "request-return": ReturnRequest, "bulk-approve": BulkApproval,
             "sheet": PaymentSheet}
