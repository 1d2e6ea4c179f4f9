"""Webhook set-up: the workspace's secret, and one confirmed subscription per event type to the workbench's hook route.

The steps are Prolific's own (prolific-openapi.yml, the Hooks section): ``POST hooks/secrets/ {workspace_id}``
makes the workspace's one secret, replacing any earlier one; ``POST hooks/subscriptions/ {workspace_id,
event_type, target_url}`` answers with the subscription's id and an ``X-Hook-Secret`` header; ``POST
hooks/subscriptions/{id}/ {secret}`` with that header's value confirms it. Prolific wants the target to be a
public https URL (not localhost); the local simulator also takes http.

``setup`` is safe to run again: an enabled subscription of an event type to the same URL is kept, not made
twice, and the workspace's secret is kept unless ``rotate`` asks for a new one (a new secret makes every
server's ``PROLIFIC_WEBHOOK_SECRET`` stale until it is changed too, so rotating is a deliberate step).
The secret goes back to the caller only: it is never logged, and the Event it records names no secret.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import urlsplit

from workbench import events
from workbench.errors import ValidationError
from .studies import public_base_url

if TYPE_CHECKING:
    from . import ProlificProvider

#: The events the hook route applies: a submission's and a study's status changes. The spec's Hooks section names
#: ``study.status.change`` and says to read the current list from ``GET /api/v1/hooks/event-types/``: ``setup``
#: subscribes to those of these that Prolific lists there.
EVENT_TYPES = ("submission.status.change", "study.status.change")
HOOK_PATH = "/workbench/prolific/hooks"


@dataclass
class HookSetup:
    """What ``setup`` did. ``secret`` is the value for ``PROLIFIC_WEBHOOK_SECRET``; keep it out of logs."""

    target_url: str
    secret: str = field(repr=False, default="")
    secret_created: bool = False
    subscribed: list[str] = field(default_factory=list)     # event types subscribed now
    kept: list[str] = field(default_factory=list)           # already subscribed and enabled
    #: Unconfirmed subscriptions to this URL (a set-up cut short) deleted before subscribing again.
    replaced: list[str] = field(default_factory=list)
    #: Enabled subscriptions of these event types to other URLs (an old origin): reported, left to the operator.
    elsewhere: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("secret")
        return out


def _public_host(host: str) -> bool:
    """Whether Prolific could reach ``host``: not localhost, and not a loopback, private or link-local address."""
    if not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name: Prolific resolves it
    return address.is_global


def target_url(pr: "ProlificProvider", base_url: str | None = None) -> str:
    """The hook route under the workers' origin; outside ``local`` it must be a public https address."""
    url = public_base_url(base_url or pr.public_base_url) + HOOK_PATH
    parts = urlsplit(url)
    if pr.environment != "local" and (parts.scheme != "https" or not _public_host(parts.hostname or "")):
        raise ValidationError("target_url", f"{url!r} is not a public https address; Prolific posts its hooks there",
                              hint="set WORKBENCH_PUBLIC_BASE_URL to the https origin the public server answers at")
    return url


def _secret(pr: "ProlificProvider", workspace: str, rotate: bool) -> tuple[str, bool]:
    if not rotate:
        held = pr.client.get("hooks/secrets/", workspace_id=workspace).get("results") or []
        if held and held[-1].get("value"):
            return held[-1]["value"], False
    # Repeating it is harmless: each call replaces the secret, and the last answer is the one that holds.
    made = pr.client.post("hooks/secrets/", {"workspace_id": workspace}, idempotent=True)
    return made["value"], True


def setup(pr: "ProlificProvider", *, base_url: str | None = None, event_types: Sequence[str] = EVENT_TYPES,
          rotate: bool = False, actor: str = "") -> HookSetup:
    """Subscribe the workbench's hook route to ``event_types`` (confirmed), with the workspace's secret."""
    unknown = [e for e in event_types if e not in EVENT_TYPES]
    if unknown or not event_types:
        raise ValidationError("event_types", f"must be some of {', '.join(EVENT_TYPES)}; the hook route applies "
                                             f"no other" + (f" (not {', '.join(unknown)})" if unknown else ""))
    url = target_url(pr, base_url)
    offered = {row.get("event_type") for row in pr.client.listing("hooks/event-types/")}
    missing = [e for e in event_types if e not in offered]
    if missing:
        raise ValidationError("event_types", f"Prolific does not offer {', '.join(missing)} "
                                             f"(it offers {', '.join(sorted(filter(None, offered)))})")
    workspace = pr.client.workspace_id()
    result = HookSetup(target_url=url)
    result.secret, result.secret_created = _secret(pr, workspace, rotate)
    held = pr.client.listing("hooks/subscriptions/", workspace_id=workspace)
    mine = [sub for sub in held if sub.get("target_url") == url]
    result.elsewhere = [{"id": sub.get("id"), "event_type": sub.get("event_type"), "target_url": sub.get("target_url")}
                        for sub in held if sub.get("target_url") != url and sub.get("is_enabled")
                        and sub.get("event_type") in event_types]
    for event_type in dict.fromkeys(event_types):
        if any(sub.get("event_type") == event_type and sub.get("is_enabled") for sub in mine):
            result.kept.append(event_type)
            continue
        for stale in (sub for sub in mine if sub.get("event_type") == event_type and sub.get("id")):
            pr.client.delete(f"hooks/subscriptions/{stale['id']}/")  # never confirmed: it would never deliver
            result.replaced.append(stale["id"])
        headers: dict[str, str] = {}
        made = pr.client.request("POST", "hooks/subscriptions/", json={
            "workspace_id": workspace, "event_type": event_type, "target_url": url}, response_headers=headers)
        # The spec answers a SubscriptionList; its Hooks section reads the id off the body: take either.
        sub_id = made.get("id") or ((made.get("results") or [{}])[0]).get("id")
        confirm = headers.get("x-hook-secret")
        if not sub_id or not confirm:
            raise ValidationError("hooks/subscriptions", "Prolific's answer had no subscription id or X-Hook-Secret")
        pr.client.post(f"hooks/subscriptions/{sub_id}/", {"secret": confirm}, idempotent=True)
        result.subscribed.append(event_type)
    with pr.store.transaction() as s:
        events.record(s, "prolific.hooks.setup", actor=actor, environment=pr.environment, target_url=url,
                      subscribed=result.subscribed, kept=result.kept, replaced=result.replaced,
                      elsewhere=[sub["target_url"] for sub in result.elsewhere], secret_created=result.secret_created)
    return result
