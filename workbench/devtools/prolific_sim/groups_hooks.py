"""Participant groups, messages and hooks (secrets, subscriptions, events)."""
from __future__ import annotations

import secrets

from .errors import field_error, not_found
from .store import iso, public

# prolific-openapi.yml, Hooks: "All event types will follow the noun.verb pattern"
EVENT_TYPES = ("study.status.change", "submission.status.change")


def _ids(body: dict) -> list[str]:
    ids = body.get("participant_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise field_error("participant_ids", "A list of participant ids is required.")
    return ids


class GroupsHooksMixin:
    """Participant-group, message and hook operations of the Backend."""

    # -- participant groups --------------------------------------------------------

    def group(self, group_id: str) -> dict:
        doc = self.store.get("group", group_id)
        if doc is None or doc.get("is_deleted"):
            raise not_found("Participant group", group_id)
        return doc

    def group_view(self, doc: dict) -> dict:
        return public(dict(doc, participant_count=len(doc["_members"])))

    def create_group(self, body: dict) -> dict:
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            raise field_error("name", "This field is required.")
        if not body.get("workspace_id") and not body.get("organisation_id"):
            raise field_error("workspace_id", "Either a workspace or organisation ID must be specified.")
        if body.get("workspace_id") and body["workspace_id"] != self.store.workspace_id:
            raise field_error("workspace_id", f"Workspace {body['workspace_id']} not found.")
        ids = _ids(body) if "participant_ids" in body else []
        now = iso(self.clock.now())
        doc = {"id": self.store.new_id(), "name": body["name"], "description": body.get("description", ""),
               "project_id": None, "workspace_id": body.get("workspace_id"),
               "organisation_id": body.get("organisation_id"), "is_deleted": False,
               "feeder_studies": [], "_members": {pid: now for pid in ids}}
        self.store.put("group", doc)
        return self.group_view(doc)

    def list_groups(self, query: dict) -> dict:
        # prolific-openapi.yml, GET /api/v1/participant-groups/: the required `filter` is
        # workspace_id or (deprecated) project_id; `active` is "true" or "false"
        if not query.get("workspace_id") and not query.get("project_id"):
            raise field_error("workspace_id", "Give workspace_id (or project_id) to list participant groups.")
        active = query.get("active")
        if active not in (None, "true", "false"):
            raise field_error("active", f'"{active}" is not a valid choice.')
        docs = self.store.all("group")
        if active is not None:
            docs = [d for d in docs if d["is_deleted"] == (active == "false")]
        if query.get("workspace_id"):
            docs = [d for d in docs if d["workspace_id"] == query["workspace_id"]]
        else:
            docs = [d for d in docs if d["project_id"] == query["project_id"]]
        return self.listing([self.group_view(d) for d in docs], "participant-groups/")

    def update_group(self, group_id: str, body: dict) -> dict:
        with self.store.transaction():
            doc = self.group(group_id)
            if "name" in body:
                if not isinstance(body["name"], str) or not body["name"].strip():
                    raise field_error("name", "This field may not be blank.")
                doc["name"] = body["name"]
            if "participant_ids" in body:
                now = iso(self.clock.now())
                doc["_members"] = {pid: doc["_members"].get(pid, now) for pid in _ids(body)}
            self.store.put("group", doc)
        return self.group_view(doc)

    def delete_group(self, group_id: str) -> None:
        with self.store.transaction():
            doc = self.group(group_id)
            doc["is_deleted"] = True
            self.store.put("group", doc)

    def members(self, group_id: str, body: dict | None = None, add: bool | None = None) -> dict:
        with self.store.transaction():
            doc = self.group(group_id)
            if add is not None:
                now = iso(self.clock.now())
                for pid in _ids(body or {}):
                    if add:
                        doc["_members"].setdefault(pid, now)
                    else:
                        doc["_members"].pop(pid, None)
                self.store.put("group", doc)
        rows = [{"participant_id": p, "datetime_created": t} for p, t in doc["_members"].items()]
        return self.listing(rows, f"participant-groups/{group_id}/participants/")

    # -- messages ------------------------------------------------------------------

    def send_message(self, body: dict) -> None:
        for field in ("recipient_id", "body", "study_id"):  # SendMessage.required
            if not isinstance(body.get(field), str) or not body[field].strip():
                raise field_error(field, "This field is required.")
        self.study(body["study_id"])
        self.store.put("message", {"id": self.store.new_id(), "sender_id": self.store.user_id,
                                   "recipient_id": body["recipient_id"], "body": body["body"],
                                   "study_id": body["study_id"], "datetime_created": iso(self.clock.now())})

    # -- hooks ---------------------------------------------------------------------

    def event_types(self) -> dict:
        return self.listing([{"event_type": e} for e in EVENT_TYPES], "hooks/event-types/")

    def _workspace(self, body_or_query: dict, required: bool = True) -> str | None:
        ws = body_or_query.get("workspace_id")
        if ws is None and not required:
            return None
        if ws != self.store.workspace_id:
            raise field_error("workspace_id", f"Workspace {ws} not found.")
        return ws

    def create_secret(self, body: dict) -> dict:
        ws = self._workspace(body)
        with self.store.transaction():  # one active secret per workspace: a new one replaces it
            for old in self.store.all("secret", workspace_id=ws):
                self.store.delete("secret", old["id"])
            doc = {"id": self.store.new_id(), "value": secrets.token_urlsafe(48), "workspace_id": ws}
            self.store.put("secret", doc)
        return doc

    def list_secrets(self, query: dict) -> dict:
        ws = self._workspace(query)  # prolific-openapi.yml: workspace_id is a required query parameter
        return self.listing(self.store.all("secret", workspace_id=ws), "hooks/secrets/")

    def secret_for(self, workspace_id: str) -> str | None:
        docs = self.store.all("secret", workspace_id=workspace_id)
        return docs[-1]["value"] if docs else None

    def subscription(self, sub_id: str) -> dict:
        doc = self.store.get("subscription", sub_id)
        if doc is None:
            raise not_found("Subscription", sub_id)
        return doc

    def create_subscription(self, body: dict) -> tuple[dict, dict]:
        ws = self._workspace(body)
        if body.get("event_type") not in EVENT_TYPES:
            raise field_error("event_type", f'"{body.get("event_type")}" is not a supported event type.')
        url = body.get("target_url")
        # Prolific wants a public https:// URL; the simulator also takes http:// (it is local)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise field_error("target_url", "Enter a valid URL.")
        if self.secret_for(ws) is None:
            raise field_error("workspace_id", "Create a secret for the workspace before subscribing.")
        doc = {"id": self.store.new_id(), "event_type": body["event_type"], "target_url": url,
               "is_enabled": False, "workspace_id": ws, "_confirm": secrets.token_hex(32)}
        self.store.put("subscription", doc)
        # prolific-openapi.yml, POST /api/v1/hooks/subscriptions/: 201 answers a SubscriptionList
        # ("results" required); the Hooks section says the body includes the subscription's id,
        # so the subscription's own fields sit beside "results".
        view = public(doc)
        return dict(view, results=[view]), {"X-Hook-Secret": doc["_confirm"]}

    def confirm_subscription(self, sub_id: str, body: dict) -> dict:
        with self.store.transaction():
            doc = self.subscription(sub_id)
            if body.get("secret") is not None:
                if body["secret"] != doc["_confirm"]:
                    raise field_error("secret", "The secret does not match the X-Hook-Secret of the subscription.")
                doc["is_enabled"] = True
            else:  # the spec's examples also use this call to update a confirmed subscription
                if not doc["is_enabled"] and body.get("is_enabled"):
                    raise field_error("secret", "Confirm the subscription with its X-Hook-Secret first.")
                for field in ("target_url", "is_enabled"):
                    if field in body:
                        doc[field] = body[field]
            self.store.put("subscription", doc)
        return public(doc)

    def delete_subscription(self, sub_id: str) -> None:
        """No more deliveries to it; events already queued for it are dropped with it."""
        with self.store.transaction():
            self.subscription(sub_id)
            self.store.delete("subscription", sub_id)
            for event in self.store.all("event", subscription_id=sub_id, status="PENDING"):
                self.store.delete("event", event["id"])

    def list_subscriptions(self, query: dict) -> dict:
        ws = self._workspace(query, required=False)
        docs = self.store.all("subscription", **({"workspace_id": ws} if ws else {}))
        if query.get("is_enabled") is not None:
            wanted = query["is_enabled"].lower() == "true"
            docs = [d for d in docs if d["is_enabled"] == wanted]
        return self.listing([public(d) for d in docs], "hooks/subscriptions/")

    def subscription_events(self, sub_id: str) -> dict:
        self.subscription(sub_id)
        rows = [{"id": e["id"], "datetime_created": iso(e["_created"]), "datetime_updated": iso(e["_updated"]),
                 "event_type": e["payload"]["event_type"], "resource_id": e["payload"]["resource_id"],
                 "status": e["status"], "target_url": e["target_url"], "payload": e["payload"]}
                for e in self.store.all("event", subscription_id=sub_id)]
        return self.listing(rows, f"hooks/subscriptions/{sub_id}/events/")

    def emit(self, event_type: str, resource_id: str) -> None:
        """Queue one event per enabled subscription to `event_type`; the deliverer sends them."""
        now = self.clock.now()
        for sub in self.store.all("subscription", event_type=event_type, is_enabled=True):
            self.store.put("event", {
                "id": self.store.new_id(), "subscription_id": sub["id"], "target_url": sub["target_url"],
                "status": "PENDING", "payload": {"resource_id": resource_id, "event_type": event_type},
                "_created": now, "_updated": now, "_due": now + self.faults.late_delivery_seconds,
                "_copies": 1 + self.faults.duplicate_deliveries, "_attempts": 0,
                "_workspace": sub["workspace_id"]})
        self.wake()
