"""HIT types, HITs and assignments: the requester operations and their state rules."""
from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from . import validation as v
from .errors import RequestError, assignment_state, bad_param, hit_state, not_found
from .paging import page_of, paged
from .store import CENT, assignment_to_wire, hit_to_wire

HIT_NOT_FOUND = "AWS.MechanicalTurk.HITDoesNotExist"
ASG_NOT_FOUND = "AWS.MechanicalTurk.AssignmentDoesNotExist"
TOKEN_TTL = 24 * 3600
VISIBLE_ASSIGNMENT_STATUSES = ("Submitted", "Approved", "Rejected")
OPEN_HIT_STATUSES = "Assignable, Unassignable, Reviewable, Reviewing"
# A rejection can be overridden only for work submitted within the previous 30 days
# (API Reference, ApproveAssignment, OverrideRejection).
OVERRIDE_WINDOW = 30 * 86400
# RequesterFeedback may not hold ASCII 0-8, 11, 12 or 14-31 (API Reference,
# ApproveAssignment and RejectAssignment).
FEEDBACK_FORBIDDEN = {chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32))}


def fee_for(reward: Decimal, max_assignments: int, rate: Decimal | None = None) -> Decimal:
    """MTurk's commission: 20%, 40% for HITs with 10 or more assignments, at least $0.01."""
    if rate is None:
        rate = Decimal("0.40") if max_assignments >= 10 else Decimal("0.20")
    return max(CENT, (reward * rate).quantize(CENT, rounding=ROUND_HALF_UP))


class HitOps:
    """Operations on HIT types, HITs and assignments (mixed into Backend)."""

    # -- HIT types ------------------------------------------------------------

    def _ensure_hit_type(self, p: dict) -> str:
        title = v.text(p, "Title", 128, required=True, min_len=1)
        description = v.text(p, "Description", 2000, required=True, min_len=1)
        keywords = v.text(p, "Keywords", 1000) or ""
        reward = v.reward(p.get("Reward") if p.get("Reward") is not None else v.require(p, "Reward"))
        duration = v.integer(p, "AssignmentDurationInSeconds", 30, 31536000, required=True)
        delay = v.integer(p, "AutoApprovalDelayInSeconds", 0, 2592000, default=2592000)
        reqs = v.qualification_requirements(p.get("QualificationRequirements"),
                                            self._qual_type_exists)
        fields = [title, description, keywords, reward, duration, delay, reqs]
        fingerprint = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
        with self.store.transaction() as s:
            row = s.q1("SELECT id FROM hit_types WHERE fingerprint=?", (fingerprint,))
            if row:
                return row["id"]
            type_id = s.new_id()
            s.conn.execute(
                "INSERT INTO hit_types VALUES (?,?,?,?,?,?,?,?,?,?)",
                (type_id, fingerprint, title, description, keywords, reward, duration, delay,
                 json.dumps(reqs), self.clock.now()))
            return type_id

    def _hit_type(self, type_id: str):
        row = self._types.get(type_id)
        if row is None:
            row = self.store.q1("SELECT * FROM hit_types WHERE id=?", (type_id,))
            if row is None:
                raise RequestError(f"HITType {type_id} does not exist.",
                                   "AWS.MechanicalTurk.HITTypeDoesNotExist")
            self._types[type_id] = row
        return row

    def CreateHITType(self, p):
        return {"HITTypeId": self._ensure_hit_type(p)}

    # -- HITs -----------------------------------------------------------------

    def CreateHIT(self, p):
        v.require(p, "LifetimeInSeconds")
        return self._create_hit(self._ensure_hit_type(p), p)

    def CreateHITWithHITType(self, p):
        v.require(p, "HITTypeId", "LifetimeInSeconds")
        self._hit_type(p["HITTypeId"])
        return self._create_hit(p["HITTypeId"], p)

    def _create_hit(self, type_id: str, p: dict) -> dict:
        if p.get("HITLayoutId") and not p.get("Question"):
            raise bad_param("HITLayoutId is not supported by the local simulator; send a Question.")
        lifetime = v.integer(p, "LifetimeInSeconds", 30, 31536000, required=True)
        max_a = v.integer(p, "MaxAssignments", 1, 1000000000, default=1)
        question = v.question(p.get("Question"))
        annotation = v.text(p, "RequesterAnnotation", 255)
        token = v.text(p, "UniqueRequestToken", 64, min_len=1)
        htype = self._hit_type(type_id)
        now = self.clock.now()
        with self.store.transaction() as s:
            if token:
                prior = s.q1("SELECT ref, created FROM tokens WHERE op='hit' AND token=?", (token,))
                if prior and prior["created"] > now - TOKEN_TTL:
                    raise RequestError(f"The HIT with ID {prior['ref']} already exists.",
                                       "AWS.MechanicalTurk.HitAlreadyExists")
            reward = Decimal(htype["reward"])
            cost = (reward + fee_for(reward, max_a)) * max_a
            if cost > s.balance():
                raise RequestError("You do not have enough funds to create this HIT.",
                                   "AWS.MechanicalTurk.InsufficientFunds")
            hit_id = s.new_id()
            s.conn.execute(
                "INSERT INTO hits (id, hit_type_id, question, question_kind, external_url,"
                " max_assignments, created, expiration, requester_annotation, status, available,"
                " initial_max) VALUES (?,?,?,?,?,?,?,?,?,'Assignable',?,?)",
                (hit_id, type_id, p["Question"], question.kind, question.external_url, max_a,
                 now, now + lifetime, annotation, max_a, max_a))
            if token:
                s.conn.execute("INSERT OR REPLACE INTO tokens VALUES ('hit',?,?,?)",
                               (token, hit_id, now))
            return {"HIT": self._hit_wire(self._hit_row(hit_id))}

    def _hit_row(self, hit_id: str):
        if not hit_id:
            v.require({}, "HITId")
        row = self.store.q1("SELECT * FROM hits WHERE id=?", (hit_id,))
        if row is None:
            raise not_found("Hit", hit_id, HIT_NOT_FOUND)
        return row

    def _hit_wire(self, row) -> dict:
        return hit_to_wire(row, self._hit_type(row["hit_type_id"]))

    def GetHIT(self, p):
        v.require(p, "HITId")
        return {"HIT": self._hit_wire(self._hit_row(p["HITId"]))}

    def ListHITs(self, p):
        after, limit = page_of(p)
        rows = self.store.q("SELECT * FROM hits WHERE seq>? AND status!='Disposed' ORDER BY seq"
                            " LIMIT ?", (after, limit + 1))
        return paged(rows, limit, "HITs", self._hit_wire)

    def ListReviewableHITs(self, p):
        status = p.get("Status") or "Reviewable"
        if status not in ("Reviewable", "Reviewing"):
            raise bad_param(f"Status must be Reviewable or Reviewing, not {status!r}.")
        after, limit = page_of(p)
        if p.get("HITTypeId"):
            rows = self.store.q("SELECT * FROM hits WHERE hit_type_id=? AND status=? AND seq>?"
                                " ORDER BY seq LIMIT ?", (p["HITTypeId"], status, after, limit + 1))
        else:
            rows = self.store.q("SELECT * FROM hits WHERE status=? AND seq>? ORDER BY seq LIMIT ?",
                                (status, after, limit + 1))
        # Only the ids: "ListReviewableHITs operation only returns the IDs of HITs" (a real answer:
        # {"HITs": [{"HITId": "388FBO7JZT48TG61MZMH91GBEYPYNF"}]}, https://github.com/aws/aws-sdk-js/issues/2522).
        return paged(rows, limit, "HITs", lambda row: {"HITId": row["id"]})

    def UpdateExpirationForHIT(self, p):
        v.require(p, "HITId", "ExpireAt")
        expire_at = v.timestamp(p["ExpireAt"], "ExpireAt")
        now = self.clock.now()
        with self.store.transaction() as s:
            hit = self._hit_row(p["HITId"])
            if hit["status"] == "Disposed":
                raise hit_state("Disposed", OPEN_HIT_STATUSES)
            # An instant in the past expires the HIT now, as MTurk does.
            s.conn.execute("UPDATE hits SET expiration=? WHERE id=?",
                           (max(now, min(expire_at, now + 31536000)), hit["id"]))
            self._recount(hit["id"], now)
        return {}

    def CreateAdditionalAssignmentsForHIT(self, p):
        v.require(p, "HITId", "NumberOfAdditionalAssignments")
        extra = v.integer(p, "NumberOfAdditionalAssignments", 1, 1000000, required=True)
        token = v.text(p, "UniqueRequestToken", 64, min_len=1)
        now = self.clock.now()
        with self.store.transaction() as s:
            hit = self._hit_row(p["HITId"])
            self._use_token(s, "extend", token, hit["id"], now)
            if hit["status"] == "Disposed":
                raise hit_state("Disposed", OPEN_HIT_STATUSES)
            if hit["max_assignments"] < 10 <= hit["max_assignments"] + extra:
                raise RequestError("HITs created with fewer than 10 assignments cannot be "
                                   "extended to have 10 or more assignments.",
                                   "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease")
            s.conn.execute("UPDATE hits SET max_assignments=max_assignments+? WHERE id=?",
                           (extra, hit["id"]))
            self._recount(hit["id"], now)
        return {}

    def _use_token(self, s, op: str, token: str | None, ref: str, now: float) -> None:
        if not token:
            return
        prior = s.q1("SELECT created FROM tokens WHERE op=? AND token=?", (op, token))
        if prior and prior["created"] > now - TOKEN_TTL:
            raise RequestError(f'The idempotency token "{token}" has already been processed.',
                               "AWS.MechanicalTurk.DuplicateRequest")
        s.conn.execute("INSERT OR REPLACE INTO tokens VALUES (?,?,?,?)", (op, token, ref, now))

    def DeleteHIT(self, p):
        v.require(p, "HITId")
        with self.store.transaction() as s:
            hit = self._hit_row(p["HITId"])
            # MTurk answers a HIT with unreviewed work with the same words as a HIT in the
            # wrong status (boto3 issue #2107: a Reviewable HIT, refused as 'Reviewable').
            if hit["status"] not in ("Reviewable", "Reviewing") or hit["submitted"] or hit["pending"]:
                raise hit_state(hit["status"], "Reviewing, Reviewable")
            s.conn.execute("UPDATE hits SET status='Disposed' WHERE id=?", (hit["id"],))
        return {}

    def UpdateHITReviewStatus(self, p):
        v.require(p, "HITId")
        revert = bool(p.get("Revert", False))
        with self.store.transaction() as s:
            hit = self._hit_row(p["HITId"])
            want_from, to = ("Reviewing", "Reviewable") if revert else ("Reviewable", "Reviewing")
            if hit["status"] != want_from:
                raise hit_state(hit["status"], want_from)
            s.conn.execute("UPDATE hits SET status=? WHERE id=?", (to, hit["id"]))
        return {}

    def _recount(self, hit_id: str, now: float) -> None:
        """Recompute a HIT's counts and status from its assignments (inside a transaction)."""
        hit = self.store.q1("SELECT * FROM hits WHERE id=?", (hit_id,))
        counts = dict(self.store.q("SELECT status, COUNT(*) FROM assignments WHERE hit_id=?"
                                   " GROUP BY status", (hit_id,)))
        pending = counts.get("Accepted", 0)
        submitted = counts.get("Submitted", 0)
        completed = counts.get("Approved", 0) + counts.get("Rejected", 0)
        available = max(0, hit["max_assignments"] - pending - submitted - completed)
        status = hit["status"]
        if status != "Disposed":
            if hit["expiration"] > now and available > 0:
                status = "Assignable"
            elif pending > 0:
                status = "Unassignable"
            elif status != "Reviewing":
                status = "Reviewable"
        self.store.conn.execute(
            "UPDATE hits SET pending=?, available=?, completed=?, submitted=?, status=? WHERE id=?",
            (pending, available, completed, submitted, status, hit_id))

    # -- assignments ------------------------------------------------------------

    def _assignment(self, assignment_id: str, allowed: str = "Submitted, Approved, Rejected"):
        """An assignment the requester may see: not of a disposed HIT (API Reference,
        GetAssignment); one never submitted is in the wrong state, as MTurk has it."""
        row = self.store.q1("SELECT a.*, h.status AS hit_status FROM assignments a JOIN hits h"
                            " ON h.id=a.hit_id WHERE a.id=?", (assignment_id,))
        if row is None or row["hit_status"] == "Disposed":
            raise not_found("Assignment", assignment_id, ASG_NOT_FOUND)
        if row["status"] not in VISIBLE_ASSIGNMENT_STATUSES:
            raise assignment_state(allowed)
        return row

    def ListAssignmentsForHIT(self, p):
        v.require(p, "HITId")
        self._hit_row(p["HITId"])
        statuses = p.get("AssignmentStatuses") or list(VISIBLE_ASSIGNMENT_STATUSES)
        if not isinstance(statuses, list) or any(
                st not in VISIBLE_ASSIGNMENT_STATUSES for st in statuses):
            raise bad_param("AssignmentStatuses may hold Submitted, Approved and Rejected only.")
        after, limit = page_of(p)
        marks = ",".join("?" * len(statuses))
        rows = self.store.q(f"SELECT * FROM assignments WHERE hit_id=? AND status IN ({marks})"
                            f" AND seq>? ORDER BY seq LIMIT ?",
                            (p["HITId"], *statuses, after, limit + 1))
        return paged(rows, limit, "Assignments", assignment_to_wire)

    def GetAssignment(self, p):
        v.require(p, "AssignmentId")
        a = self._assignment(p["AssignmentId"])
        return {"Assignment": assignment_to_wire(a), "HIT": self._hit_wire(self._hit_row(a["hit_id"]))}

    def ApproveAssignment(self, p):
        v.require(p, "AssignmentId")
        feedback = _feedback(p, required=False)
        override = bool(p.get("OverrideRejection", False))
        now = self.clock.now()
        with self.store.transaction():
            allowed = "Submitted, Rejected" if override else "Submitted"
            a = self._assignment(p["AssignmentId"], allowed)
            if a["status"] not in allowed.split(", "):
                raise assignment_state(allowed)
            if a["status"] == "Rejected" and a["submit_time"] < now - OVERRIDE_WINDOW:
                raise RequestError(f"Assignment {a['id']} was submitted more than 30 days ago; "
                                   f"its rejection can no longer be overridden.",
                                   "AWS.MechanicalTurk.InvalidAssignmentState")
            self._approve(a, now, feedback)
            self._recount(a["hit_id"], now)
        return {}

    def _approve(self, a, now: float, feedback: str | None) -> None:
        hit = self.store.q1("SELECT hit_type_id, max_assignments, initial_max FROM hits WHERE id=?",
                            (a["hit_id"],))
        reward = Decimal(self._hit_type(hit["hit_type_id"])["reward"])
        cost = reward + fee_for(reward, hit["initial_max"])
        self.store.set_balance(self.store.balance() - cost)
        self.store.conn.execute(
            "UPDATE assignments SET status='Approved', approval_time=?,"
            " feedback=COALESCE(?, feedback) WHERE id=?", (now, feedback, a["id"]))

    def RejectAssignment(self, p):
        v.require(p, "AssignmentId", "RequesterFeedback")
        feedback = _feedback(p, required=True)
        now = self.clock.now()
        with self.store.transaction():
            a = self._assignment(p["AssignmentId"], "Submitted")
            if a["status"] != "Submitted":
                raise assignment_state("Submitted")
            self.store.conn.execute("UPDATE assignments SET status='Rejected', rejection_time=?,"
                                    " feedback=? WHERE id=?", (now, feedback, a["id"]))
            self._recount(a["hit_id"], now)
        return {}

    # -- the clock --------------------------------------------------------------

    def sweep(self, now: float | None = None) -> None:
        """Apply what time did: HIT expiry, abandoned assignments, auto-approval."""
        now = self.clock.now() if now is None else now
        with self.store.transaction() as s:
            touched = {r[0] for r in s.q("SELECT id FROM hits WHERE status IN"
                                         " ('Assignable','Unassignable') AND expiration<=?", (now,))}
            late = s.q("SELECT id, hit_id FROM assignments WHERE status='Accepted' AND deadline<=?",
                       (now,))
            s.conn.executemany("UPDATE assignments SET status='Abandoned' WHERE id=?",
                               [(r["id"],) for r in late])
            touched.update(r["hit_id"] for r in late)
            for a in s.q("SELECT * FROM assignments WHERE status='Submitted'"
                         " AND auto_approval_time<=?", (now,)):
                self._approve(a, a["auto_approval_time"], None)
                touched.add(a["hit_id"])
            for hit_id in touched:
                self._recount(hit_id, now)


def _feedback(p: dict, required: bool) -> str | None:
    """RequesterFeedback: up to 1024 characters, none of the control characters MTurk refuses."""
    feedback = v.text(p, "RequesterFeedback", 1024, required=required)
    if feedback and not FEEDBACK_FORBIDDEN.isdisjoint(feedback):
        raise RequestError("RequesterFeedback cannot contain ASCII characters 0-8, 11, 12 or 14-31.",
                           "AWS.MechanicalTurk.InvalidParameterValue")
    return feedback
