"""What a worker does on MTurk's site: accept a HIT, submit the form, return the HIT."""
from __future__ import annotations

import json

from .answers import to_answer_xml
from .errors import RequestError, not_found
from .validation import SYSTEM_QUALIFICATIONS, compare

# What MTurk would know of a simulated worker for the system qualifications.
SIMULATED_PROFILE = {
    "00000000000000000071": "US",
    "00000000000000000040": 5000,
    "000000000000000000L0": 99,
    "00000000000000000060": 1,
}


class SubmitRefused(RequestError):
    """externalSubmit refused: unknown assignment, double submit, too late."""

    def __init__(self, message: str, turk_code: str, status: int):
        super().__init__(message, turk_code)
        self.status = status


class WorkerSide:
    """Worker actions (mixed into Backend); not part of the requester API."""

    def accept(self, hit_id: str, worker_id: str) -> dict:
        """A worker accepts a HIT: a new assignment with its deadline."""
        now = self.clock.now()
        with self.store.transaction() as s:
            hit = self._hit_row(hit_id)
            if hit["status"] != "Assignable" or hit["expiration"] <= now:
                raise RequestError(f"Hit {hit_id} is no longer available (status "
                                   f"{hit['status']}).", "AWS.MechanicalTurk.HITNotAssignable")
            if s.q1("SELECT 1 FROM blocks WHERE worker_id=?", (worker_id,)):
                raise RequestError(f"Worker {worker_id} is blocked.",
                                   "AWS.MechanicalTurk.WorkerBlocked")
            if s.q1("SELECT 1 FROM assignments WHERE hit_id=? AND worker_id=? AND"
                    " status!='Abandoned'", (hit_id, worker_id)):
                raise RequestError(f"Worker {worker_id} already has an assignment for HIT "
                                   f"{hit_id}.", "AWS.MechanicalTurk.AlreadyAccepted")
            htype = self._hit_type(hit["hit_type_id"])
            self._check_qualified(worker_id, json.loads(htype["qual_reqs"]))
            assignment_id = s.new_id()
            deadline = now + htype["assignment_duration"]
            s.conn.execute("INSERT INTO assignments (id, hit_id, worker_id, status, accept_time,"
                           " deadline) VALUES (?,?,?,'Accepted',?,?)",
                           (assignment_id, hit_id, worker_id, now, deadline))
            s.conn.execute("INSERT OR IGNORE INTO workers VALUES (?,?)", (worker_id, now))
            self._recount(hit_id, now)
        return {"AssignmentId": assignment_id, "HITId": hit_id, "WorkerId": worker_id,
                "Deadline": deadline, "QuestionKind": hit["question_kind"],
                "ExternalURL": hit["external_url"], "Question": hit["question"]}

    def _check_qualified(self, worker_id: str, reqs: list[dict]) -> None:
        for req in reqs:
            qid = req["QualificationTypeId"]
            if qid in SYSTEM_QUALIFICATIONS:
                have = SIMULATED_PROFILE.get(qid)
                if qid == "00000000000000000071":
                    countries = [loc.get("Country") for loc in req.get("LocaleValues", [])]
                    ok = {"Exists": True, "DoesNotExist": False}.get(
                        req["Comparator"],
                        (have in countries) != (req["Comparator"] in ("NotEqualTo", "NotIn")))
                else:
                    ok = compare(req["Comparator"], have, req.get("IntegerValues", []))
            else:
                row = self.store.q1("SELECT value FROM qualifications WHERE qual_type_id=? AND"
                                    " worker_id=? AND status='Granted'", (qid, worker_id))
                ok = compare(req["Comparator"], row["value"] if row else None,
                             req.get("IntegerValues", []))
            if not ok:
                raise RequestError(f"Worker {worker_id} does not meet the qualification "
                                   f"requirement on {qid}.",
                                   "AWS.MechanicalTurk.QualificationRequirementNotMet")

    def submit(self, assignment_id: str, fields: dict[str, str]) -> dict:
        """The worker's form reaches MTurk: the assignment becomes Submitted."""
        now = self.clock.now()
        with self.store.transaction() as s:
            a = s.q1("SELECT * FROM assignments WHERE id=?", (assignment_id or "",))
            if a is None:
                raise SubmitRefused(f"Assignment {assignment_id} does not exist.",
                                    "AWS.MechanicalTurk.AssignmentDoesNotExist", 404)
            if a["status"] == "Abandoned" or a["deadline"] <= now:
                raise SubmitRefused(f"Assignment {assignment_id} passed its deadline.",
                                    "AWS.MechanicalTurk.AssignmentDeadlinePassed", 409)
            if a["status"] != "Accepted":
                raise SubmitRefused(f"Assignment {assignment_id} was already submitted.",
                                    "AWS.MechanicalTurk.AssignmentAlreadySubmitted", 409)
            hit = self._hit_row(a["hit_id"])
            delay = self._hit_type(hit["hit_type_id"])["auto_approval_delay"]
            s.conn.execute("UPDATE assignments SET status='Submitted', submit_time=?,"
                           " auto_approval_time=?, answer=? WHERE id=?",
                           (now, now + delay, to_answer_xml(fields), assignment_id))
            self._recount(a["hit_id"], now)
        return {"AssignmentId": assignment_id, "HITId": a["hit_id"], "WorkerId": a["worker_id"]}

    def return_assignment(self, assignment_id: str) -> None:
        """The worker gives the HIT back before submitting; the slot opens again."""
        now = self.clock.now()
        with self.store.transaction() as s:
            a = s.q1("SELECT * FROM assignments WHERE id=?", (assignment_id,))
            if a is None or a["status"] != "Accepted":
                raise not_found("Assignment", assignment_id,
                                "AWS.MechanicalTurk.AssignmentDoesNotExist")
            s.conn.execute("UPDATE assignments SET status='Abandoned' WHERE id=?", (assignment_id,))
            self._recount(a["hit_id"], now)

    def assignable_hits(self, limit: int = 10000, hit_type_id: str | None = None) -> list[dict]:
        """HITs a worker could accept now, with their open slots, oldest first."""
        self.sweep()
        sql = "SELECT id, available, external_url, question_kind FROM hits WHERE status='Assignable'"
        args: list = []
        if hit_type_id:
            sql += " AND hit_type_id=?"
            args.append(hit_type_id)
        rows = self.store.q(sql + " ORDER BY seq LIMIT ?", (*args, limit))
        return [{"HITId": r["id"], "Available": r["available"], "ExternalURL": r["external_url"],
                 "QuestionKind": r["question_kind"]} for r in rows]
