"""The participant's side (what app.prolific.com does): start, complete with a code, return."""
from __future__ import annotations

from urllib.parse import quote

from .errors import ApiError
from .store import iso

PLACEHOLDERS = ("{{%PROLIFIC_PID%}}", "{{%STUDY_ID%}}", "{{%SESSION_ID%}}")


class Refused(Exception):
    """The participant may not do this; `status` is the HTTP status of the page shown."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


def in_group(store, group_id: str, pid: str) -> bool:
    group = store.get("group", group_id)
    return bool(group) and not group.get("is_deleted") and pid in group["_members"]


def approval_rate(store, pid: str) -> int:
    """The participant's approval rate in percent: approved of their reviewed submissions here (100 before any)."""
    reviewed = [s["status"] for s in store.all("submission", participant=pid) if s["status"] in ("APPROVED", "REJECTED")]
    return 100 if not reviewed else round(100 * reviewed.count("APPROVED") / len(reviewed))


def in_range(value: int, bounds: dict) -> bool:
    lower, upper = bounds.get("lower"), bounds.get("upper")
    return (lower is None or value >= int(lower)) and (upper is None or value <= int(upper))


def eligibility_problem(store, study: dict, pid: str) -> str | None:
    """Why `pid` may not take `study` under its filters, or None.

    participant_group_allowlist (in the spec's examples): in at least one of the groups;
    participant_group_blocklist: in none of them; custom_allowlist / custom_blocklist: the
    selected values are participant ids; previous_studies_blocklist (the spec's
    study_with_blocked_studies example): no submission in the selected studies; approval_rate
    (the spec's GetEligibleCount example, a range): the participant's rate within it. Other
    filter ids are accepted and not applied (the simulator has no demographics)."""
    for f in study.get("filters") or []:
        values = f.get("selected_values") or []
        kind = f.get("filter_id")
        if kind == "previous_studies_blocklist" and any(store.all("submission", study_id=s, participant=pid)
                                                        for s in values):
            return "You took part in a study this one excludes."
        if kind == "approval_rate" and not in_range(approval_rate(store, pid), f.get("selected_range") or {}):
            return "Your approval rate is outside this study's range."
        if kind == "participant_group_allowlist" and not any(in_group(store, g, pid) for g in values):
            return "You are not in a participant group this study is open to."
        if kind == "participant_group_blocklist" and any(in_group(store, g, pid) for g in values):
            return "You are in a participant group this study excludes."
        if kind == "custom_allowlist" and pid not in values:
            return "This study is open to invited participants only."
        if kind == "custom_blocklist" and pid in values:
            return "You are excluded from this study."
    return None


class ParticipantsMixin:
    """Participant actions of the Backend."""

    def start(self, pid: str, study_id: str) -> tuple[dict, str]:
        """Create an ACTIVE submission; returns it and the study URL to redirect to."""
        if not pid or not study_id:
            raise Refused("A participant id and a study_id are required.", 400)
        self.sweep()
        with self.store.transaction():
            study = self.store.get("study", study_id)
            if study is None:
                raise Refused("No such study.", 404)
            if study["status"] != "ACTIVE":
                raise Refused(f"This study is not available (status {study['status']}).")
            mine = self.store.all("submission", study_id=study_id, participant=pid)
            if any(s["status"] == "ACTIVE" for s in mine):
                raise Refused("You already have this study in progress.", 409)
            limit = (study.get("submissions_config") or {}).get("max_submissions_per_participant") or 1
            if limit != -1 and len(mine) >= limit:
                raise Refused("You have already taken part in this study.")
            problem = eligibility_problem(self.store, study, pid)
            if problem:
                raise Refused(problem)
            if self.study_view(study)["places_taken"] >= study["total_available_places"]:
                raise Refused("This study is full.")
            now = self.clock.now()
            sub = {"id": self.store.new_id(), "study_id": study_id, "participant": pid,
                   "status": "ACTIVE", "started_at": iso(now), "completed_at": None,
                   "entered_code": None, "bonus_payments": [], "return_requested": None,
                   "_started": now, "_completed": None, "_processing_left": 0}
            self.store.put("submission", sub)
            self.emit("submission.status.change", sub["id"])
            self.refresh_study(study_id)
        url = study["external_study_url"]
        for placeholder, value in zip(PLACEHOLDERS, (pid, study_id, sub["id"])):
            url = url.replace(placeholder, quote(value, safe=""))
        return sub, url

    def complete(self, sub_id: str | None, code: str) -> dict:
        """Complete the session's ACTIVE submission with `code` and apply the code's actions."""
        if not sub_id:
            raise Refused("There is no study in progress in this browser.", 400)
        self.sweep()
        with self.store.transaction():
            sub = self.store.get("submission", sub_id)
            if sub is None or sub["status"] != "ACTIVE":
                raise Refused("There is no study in progress in this browser.", 400)
            study = self.study(sub["study_id"])
            entry = next((c for c in study["completion_codes"] if c["code"] == code), None)
            if entry is None:
                raise Refused(f"The completion code {code!r} is not valid for this study.", 400)
            now = self.clock.now()
            sub.update(completed_at=iso(now), entered_code=code, _completed=now,
                       _processing_left=self.faults.processing_reads)
            target = "AWAITING REVIEW"
            for action in entry["actions"]:
                name = action["action"]
                if name == "AUTOMATICALLY_APPROVE":
                    target = "APPROVED"
                elif name == "REQUEST_RETURN":
                    sub["return_requested"] = iso(now)
                    sub["_return_reasons"] = [action.get("return_reason", "")]
                elif name in {"ADD_TO_PARTICIPANT_GROUP", "REMOVE_FROM_PARTICIPANT_GROUP"}:
                    self._change_membership(action["participant_group"], sub["participant"],
                                            add=name == "ADD_TO_PARTICIPANT_GROUP")
            self.store.put("submission", sub)
            if target == "APPROVED":
                self.approve(sub)
            else:
                self.set_submission_status(sub, target)
        return sub

    def give_back(self, pid: str, study_id: str) -> dict:
        """The participant returns the study: their ACTIVE submission becomes RETURNED."""
        with self.store.transaction():
            mine = [s for s in self.store.all("submission", study_id=study_id, participant=pid)
                    if s["status"] in {"ACTIVE", "AWAITING REVIEW"}]
            if not mine:
                raise Refused("You have no submission of this study to return.", 400)
            self.set_submission_status(mine[-1], "RETURNED")
            return mine[-1]

    def _change_membership(self, group_id: str, pid: str, add: bool) -> None:
        group = self.store.get("group", group_id)
        if group is None:
            raise ApiError(400, f"Participant group {group_id} not found.")
        if add:
            group["_members"].setdefault(pid, iso(self.clock.now()))
        else:
            group["_members"].pop(pid, None)
        self.store.put("group", group)
