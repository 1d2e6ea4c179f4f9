"""Submissions: reading, review, returns, auto-approval, time-outs and two-step bonuses."""
from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation

from .errors import ApiError, field_error, not_found
from .store import iso, public
from .studies import fees_for

AUTO_APPROVE_SECONDS = 21 * 24 * 3600  # unreviewed work is approved after 21 days
# prolific-openapi.yml, SubmissionTransition: the rejection categories and the message rule
REJECTION_CATEGORIES = {"TOO_QUICKLY", "TOO_SLOWLY", "FAILED_INSTRUCTIONS", "INCOMP_LONGITUDINAL",
                        "FAILED_CHECK", "LOW_EFFORT", "MALINGERING", "NO_CODE", "BAD_CODE", "NO_DATA",
                        "UNSUPP_DEVICE", "OTHER"}
REJECT_MESSAGE_MIN = 100


class SubmissionsMixin:
    """Submission and bonus operations of the Backend."""

    def submission(self, sub_id: str) -> dict:
        doc = self.store.get("submission", sub_id)
        if doc is None:
            raise not_found("Submission", sub_id)
        return doc

    def read_status(self, doc: dict) -> str:
        """The status a read shows; a just-completed submission shows PROCESSING for a few reads."""
        left = doc.get("_processing_left", 0)
        if left > 0:
            doc["_processing_left"] = left - 1
            self.store.put("submission", doc)
            return "PROCESSING"
        return doc["status"]

    def submission_view(self, doc: dict) -> dict:
        view = public(doc)
        view["status"] = self.read_status(doc)
        return view

    def submission_short(self, doc: dict) -> dict:
        view = self.submission_view(doc)
        # prolific-openapi.yml, SubmissionShort.status spells the time-out "TIME-OUT" (Submission
        # and SubmissionDetail spell it "TIMED-OUT"); each answer follows its own schema
        status = "TIME-OUT" if view["status"] == "TIMED-OUT" else view["status"]
        return {"id": view["id"], "participant_id": view["participant"], "status": status,
                "started_at": view["started_at"], "completed_at": view["completed_at"],
                "has_siblings": False, "study_code": view["entered_code"],
                "return_requested": view["return_requested"]}

    def list_submissions(self, query: dict, study_id: str | None = None) -> dict:
        self.sweep()
        study_id = study_id or query.get("study")
        if study_id:
            self.study(study_id)
        match = {"study_id": study_id} if study_id else {}
        with self.store.transaction():
            docs = [self.submission_short(d) for d in self.store.all("submission", **match)]
        base = f"studies/{study_id}/submissions/" if study_id else "submissions/"
        return self.listing(docs, base)

    def get_submission(self, sub_id: str) -> dict:
        self.sweep()
        with self.store.transaction():
            return self.submission_view(self.submission(sub_id))

    def _reviewable(self, doc: dict) -> None:
        if doc.get("_processing_left", 0) > 0:
            raise ApiError(400, "The submission is still processing; try again shortly.")
        if doc["status"] != "AWAITING REVIEW":
            raise field_error("action", f"A submission whose status is {doc['status']} cannot be reviewed.")

    def transition_submission(self, sub_id: str, body: dict) -> dict:
        action = body.get("action")
        if action not in {"APPROVE", "REJECT"}:
            raise field_error("action", f'"{action}" is not a valid choice.')
        if action == "REJECT":
            message = body.get("message")
            if not isinstance(message, str) or len(message) < REJECT_MESSAGE_MIN:
                raise field_error("message", f"Ensure this field has at least {REJECT_MESSAGE_MIN} characters.")
            if body.get("rejection_category") not in REJECTION_CATEGORIES:
                raise field_error("rejection_category",
                                  f'"{body.get("rejection_category")}" is not a valid choice.')
        self.sweep()
        with self.store.transaction():
            doc = self.submission(sub_id)
            self._reviewable(doc)
            if action == "APPROVE":
                self.approve(doc)
            else:
                doc["_rejection"] = {"message": body["message"], "category": body["rejection_category"]}
                self.set_submission_status(doc, "REJECTED")
            return public(doc)

    def approve(self, doc: dict) -> None:
        reward = int(self.study(doc["study_id"])["reward"])
        fee, vat = fees_for(reward)
        self.store.debit(reward + fee + vat)
        self.set_submission_status(doc, "APPROVED")

    def set_submission_status(self, doc: dict, status: str) -> None:
        with self.store.transaction():
            changed = doc["status"] != status
            doc["status"] = status
            self.store.put("submission", doc)
            if changed:
                self.emit("submission.status.change", doc["id"])
                self.refresh_study(doc["study_id"])

    def bulk_approve(self, body: dict) -> str:
        if "submission_ids" in body:
            ids = body["submission_ids"]
            if not isinstance(ids, list) or not ids:
                raise field_error("submission_ids", "A non-empty list of submission ids is required.")
            with self.store.transaction():
                docs = [self.submission(i) for i in ids]
        elif "study_id" in body and "participant_ids" in body:
            self.study(body["study_id"])
            wanted = body["participant_ids"]
            with self.store.transaction():
                docs = [d for d in self.store.all("submission", study_id=body["study_id"])
                        if d["participant"] in wanted]
            missing = set(wanted) - {d["participant"] for d in docs}
            if missing:
                raise field_error("participant_ids", f"No submission for {', '.join(sorted(missing))}.")
        else:
            raise field_error("submission_ids", "Give submission_ids, or study_id and participant_ids.")
        self.sweep()
        with self.store.transaction():
            for doc in docs:
                self._reviewable(self.submission(doc["id"]))
            for doc in docs:
                self.approve(self.submission(doc["id"]))
        return "The request to bulk approve has been made successfully."

    def request_return(self, sub_id: str, body: dict) -> dict:
        reasons = body.get("request_return_reasons")
        if not isinstance(reasons, list) or not reasons or not all(isinstance(r, str) for r in reasons):
            raise field_error("request_return_reasons", "A non-empty list of reasons is required.")
        with self.store.transaction():
            doc = self.submission(sub_id)
            if doc["status"] not in {"ACTIVE", "AWAITING REVIEW"}:
                raise ApiError(400, f"A submission whose status is {doc['status']} cannot be asked to return.")
            doc["return_requested"] = iso(self.clock.now())
            doc["_return_reasons"] = reasons
            self.store.put("submission", doc)
        return {"id": doc["id"], "status": doc["status"], "participant": doc["participant"],
                "return_requested": doc["return_requested"]}

    def sweep(self, now: float | None = None) -> None:
        """Time out overdue ACTIVE work and auto-approve work unreviewed for 21 days."""
        now = self.clock.now() if now is None else now
        with self.store.transaction():
            for doc in self.store.all("submission", status="ACTIVE"):
                limit = self.study(doc["study_id"])["maximum_allowed_time"] * 60
                if doc["_started"] + limit <= now:
                    self.set_submission_status(doc, "TIMED-OUT")
            for doc in self.store.all("submission", status="AWAITING REVIEW"):
                if doc["_completed"] + AUTO_APPROVE_SECONDS <= now:
                    doc["_processing_left"] = 0
                    self.approve(doc)

    # -- bonuses: set up, then pay (asynchronously, and once per call) ----------------

    def setup_bonuses(self, body: dict) -> dict:
        study_id, csv = body.get("study_id"), body.get("csv_bonuses")
        if not isinstance(study_id, str) or not study_id:
            raise field_error("study_id", "This field is required.")
        if not isinstance(csv, str) or not csv.strip():
            raise field_error("csv_bonuses", "This field is required.")
        self.study(study_id)
        subs = self.store.all("submission", study_id=study_id)
        by_id = {d["id"]: d for d in subs} | {d["participant"]: d for d in subs}
        entries, problems = [], []
        for n, line in enumerate(csv.strip().splitlines(), 1):
            ident, _, amount = (part.strip() for part in line.partition(","))
            if ident not in by_id:
                problems.append(f"line {n}: {ident!r} is not a submission or participant of the study")
                continue
            try:
                value = Decimal(amount)
            except InvalidOperation:
                value = Decimal(-1)
            if value <= 0 or value != value.quantize(Decimal("0.01")) or not value.is_finite():
                problems.append(f"line {n}: {amount!r} is not a positive amount with at most 2 decimals")
                continue
            entries.append({"submission_id": by_id[ident]["id"], "amount": int(value * 100)})
        if problems:
            raise ApiError(400, {"csv_bonuses": problems})
        amount = sum(e["amount"] for e in entries)
        fee, vat = fees_for(amount)
        doc = {"id": self.store.new_id(), "study": study_id, "amount": amount, "fees": fee, "vat": vat,
               "total_amount": amount + fee + vat, "_entries": entries}
        self.store.put("bulk_bonus", doc)
        return public(doc)

    def pay_bonuses(self, bonus_id: str) -> str:
        """Schedule a payment of the bulk bonus; every call schedules one more (not idempotent)."""
        doc = self.store.get("bulk_bonus", bonus_id)
        if doc is None:
            raise not_found("Bulk bonus", bonus_id)
        self.store.put("payout", {"id": self.store.new_id(), "bulk_bonus": bonus_id, "study": doc["study"],
                                  "_entries": doc["_entries"], "_total": doc["total_amount"],
                                  "_paid": False, "_requested": self.clock.now(), "_wall": time.time()})
        self.wake()
        return "The bonuses are being paid."

    def pay_pending(self, ids: set[str] | None = None) -> int:
        """Pay the payouts not yet paid (those of `ids` only if given); returns how many."""
        paid = 0
        with self.store.transaction():
            for payout in self.store.all("payout", _paid=False):
                if ids is not None and payout["id"] not in ids:
                    continue
                for entry in payout["_entries"]:
                    sub = self.submission(entry["submission_id"])
                    sub["bonus_payments"].append(entry["amount"])
                    self.store.put("submission", sub)
                self.store.debit(payout["_total"])
                payout["_paid"] = True
                self.store.put("payout", payout)
                paid += 1
        return paid
