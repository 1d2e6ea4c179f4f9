"""The Backend: Prolific's operations over the store, and the route table the server dispatches on.

`OPERATIONS` lists every (method, path) served, with paths exactly as prolific-openapi.yml
writes them; the contract tests check each one against the spec.
"""
from __future__ import annotations

import re
from collections import Counter

from .errors import ApiError
from .groups_hooks import GroupsHooksMixin
from .participants import ParticipantsMixin
from .store import Store, public
from .studies import StudiesMixin
from .submissions import SubmissionsMixin

API = "/api/v1/"


class Backend(StudiesMixin, SubmissionsMixin, ParticipantsMixin, GroupsHooksMixin):
    """All operations; every public method answers the body of one operation."""

    currency = "GBP"

    def __init__(self, store: Store, clock, faults):
        self.store, self.clock, self.faults = store, clock, faults
        self.call_count: Counter = Counter()
        self.deliverer = None  # set by the Simulator

    def wake(self) -> None:
        if self.deliverer is not None:
            self.deliverer.wake()

    def listing(self, results: list, path: str) -> dict:
        """A list the way Prolific answers one: results, _links and meta.count."""
        return {"results": results, "_links": {"self": {"href": f"{API}{path}", "title": "Current"},
                                               "next": {"href": None, "title": "Next"},
                                               "previous": {"href": None, "title": "Previous"},
                                               "last": {"href": f"{API}{path}", "title": "Last"}},
                "meta": {"count": len(results)}}

    # -- user and workspace ----------------------------------------------------------

    def me(self) -> dict:
        return {"id": self.store.user_id, "email": "researcher@sim.invalid", "name": "Sim",
                "first_name": "Sim", "last_name": "Researcher", "user_type": "researcher",
                "currency_code": self.currency, "balance": self.store.balance(),
                "available_balance": self.store.balance(), "current_project_id": None}

    def workspace_short(self) -> dict:
        return {"id": self.store.workspace_id, "title": "Simulated workspace", "owner": self.store.user_id,
                "users": [], "naivety_distribution_rate": None}

    def workspaces(self) -> dict:
        return self.listing([self.workspace_short()], "workspaces/")

    def balance(self, workspace_id: str) -> dict:
        if workspace_id != self.store.workspace_id:
            raise ApiError(404, f"Workspace {workspace_id} not found.")
        cents = self.store.balance()
        return {"currency_code": self.currency, "total_balance": cents,
                "balance_breakdown": {"rewards": cents, "fees": 0, "vat": 0},
                "available_balance": cents,
                "available_balance_breakdown": {"rewards": cents, "fees": 0, "vat": 0}}


def _no_body(fn):
    return lambda b, p, q, body: fn(b, p, q)


# (method, path as in the spec, handler(backend, path params, query, body) -> (status, body[, headers]))
ROUTES = [
    ("GET", "users/me/", lambda b, p, q, body: (200, b.me())),
    ("GET", "workspaces/", lambda b, p, q, body: (200, b.workspaces())),
    ("GET", "workspaces/{workspace_id}/balance/", lambda b, p, q, body: (200, b.balance(p["workspace_id"]))),
    ("GET", "studies/", lambda b, p, q, body: (200, b.list_studies(q))),
    ("POST", "studies/", lambda b, p, q, body: (201, b.create_study(body))),
    ("GET", "studies/{id}/", lambda b, p, q, body: (200, b.study_view(b.study(p["id"])))),
    ("PATCH", "studies/{id}/", lambda b, p, q, body: (200, b.update_study(p["id"], body))),
    ("DELETE", "studies/{id}/", lambda b, p, q, body: (200, b.delete_study(p["id"]))),
    ("POST", "studies/{id}/transition/", lambda b, p, q, body: (200, b.transition_study(p["id"], body))),
    ("GET", "studies/{id}/submissions/", lambda b, p, q, body: (200, b.list_submissions(q, p["id"]))),
    ("GET", "studies/{id}/cost/", lambda b, p, q, body: (200, b.study_cost(p["id"]))),
    ("GET", "submissions/", lambda b, p, q, body: (200, b.list_submissions(q))),
    ("GET", "submissions/{id}/", lambda b, p, q, body: (200, b.get_submission(p["id"]))),
    ("POST", "submissions/{id}/transition/", lambda b, p, q, body: (200, b.transition_submission(p["id"], body))),
    ("POST", "submissions/bulk-approve/", lambda b, p, q, body: (200, b.bulk_approve(body))),
    ("POST", "submissions/{id}/request-return/", lambda b, p, q, body: (200, b.request_return(p["id"], body))),
    ("POST", "submissions/bonus-payments/", lambda b, p, q, body: (201, b.setup_bonuses(body))),
    ("POST", "bulk-bonus-payments/{id}/pay/", lambda b, p, q, body: (202, b.pay_bonuses(p["id"]))),
    ("POST", "messages/", lambda b, p, q, body: (204, b.send_message(body))),
    ("GET", "participant-groups/", lambda b, p, q, body: (200, b.list_groups(q))),
    ("POST", "participant-groups/", lambda b, p, q, body: (201, b.create_group(body))),
    ("GET", "participant-groups/{id}/", lambda b, p, q, body: (200, b.group_view(b.group(p["id"])))),
    ("PATCH", "participant-groups/{id}/", lambda b, p, q, body: (200, b.update_group(p["id"], body))),
    ("DELETE", "participant-groups/{id}/", lambda b, p, q, body: (204, b.delete_group(p["id"]))),
    ("GET", "participant-groups/{id}/participants/", lambda b, p, q, body: (200, b.members(p["id"]))),
    ("POST", "participant-groups/{id}/participants/",
     lambda b, p, q, body: (200, b.members(p["id"], body, add=True))),
    ("DELETE", "participant-groups/{id}/participants/",
     lambda b, p, q, body: (200, b.members(p["id"], body, add=False))),
    ("GET", "hooks/event-types/", lambda b, p, q, body: (200, b.event_types())),
    ("GET", "hooks/secrets/", lambda b, p, q, body: (200, b.list_secrets(q))),
    ("POST", "hooks/secrets/", lambda b, p, q, body: (201, b.create_secret(body))),
    ("GET", "hooks/subscriptions/", lambda b, p, q, body: (200, b.list_subscriptions(q))),
    ("POST", "hooks/subscriptions/", lambda b, p, q, body: (201, *b.create_subscription(body))),
    ("GET", "hooks/subscriptions/{subscription_id}/",
     lambda b, p, q, body: (200, public(b.subscription(p["subscription_id"])))),
    ("POST", "hooks/subscriptions/{subscription_id}/",
     lambda b, p, q, body: (200, b.confirm_subscription(p["subscription_id"], body))),
    ("DELETE", "hooks/subscriptions/{subscription_id}/",
     lambda b, p, q, body: (204, b.delete_subscription(p["subscription_id"]))),
    ("GET", "hooks/subscriptions/{subscription_id}/events/",
     lambda b, p, q, body: (200, b.subscription_events(p["subscription_id"]))),
]

OPERATIONS = [(method, API + path) for method, path, _ in ROUTES]

# prolific-openapi.yml answers the 4XX of these operations with a bare ErrorDetail
# ({status, error_code, title, detail}); every other operation wraps it as Error {"error": ...}.
BARE_ERROR_OPERATIONS = {(m, API + p) for m, p in [
    ("POST", "messages/"), ("GET", "studies/"), ("POST", "studies/"), ("GET", "studies/{id}/cost/"),
    ("GET", "studies/{id}/submissions/"), ("GET", "submissions/"), ("POST", "submissions/bulk-approve/"),
]}


def _compile(path: str) -> re.Pattern:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


# literal paths first, so "submissions/bulk-approve/" is never read as "submissions/{id}/"
_TABLE = sorted(((m, _compile(p), p, fn) for m, p, fn in ROUTES), key=lambda r: r[2].count("{"))


def resolve(method: str, path: str):
    """(handler, path params, spec path) for a request under /api/v1/, or an ApiError."""
    allowed = False
    for m, rx, spec_path, fn in _TABLE:
        match = rx.match(path)
        if match:
            if m == method:
                return fn, match.groupdict(), API + spec_path
            allowed = True
    if allowed:
        raise ApiError(405, f'Method "{method}" not allowed.')
    raise ApiError(404, f"No operation at {API}{path}.")
