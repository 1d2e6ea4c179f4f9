"""Workers and money: bonuses, blocks, qualifications, notifications and the balance."""
from __future__ import annotations

from decimal import Decimal

from . import validation as v
from .errors import RequestError, bad_param, not_found
from .ops_hits import fee_for
from .paging import page_of, paged
from .store import money

QT_NOT_FOUND = "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
BONUS_FEE_RATE = Decimal("0.20")
# A deleted qualification type's name is free again once the deletion completes, which
# "may take up to 48 hours" (API Reference, DeleteQualificationType).
NAME_RELEASE_DELAY = 48 * 3600


def qual_type_to_wire(r) -> dict:
    out = {
        "QualificationTypeId": r["id"], "CreationTime": r["created"], "Name": r["name"],
        "Description": r["description"], "Keywords": r["keywords"] or "",
        "QualificationTypeStatus": r["status"], "IsRequestable": bool(r["is_requestable"]),
        "AutoGranted": bool(r["auto_granted"]),
    }
    for key, col in (("Test", "test"), ("AnswerKey", "answer_key"),
                     ("TestDurationInSeconds", "test_duration"),
                     ("RetryDelayInSeconds", "retry_delay")):
        if r[col] is not None:
            out[key] = r[col]
    if r["auto_granted"]:
        out["AutoGrantedValue"] = r["auto_granted_value"] if r["auto_granted_value"] is not None else 1
    return out


def qualification_to_wire(r) -> dict:
    return {"QualificationTypeId": r["qual_type_id"], "WorkerId": r["worker_id"],
            "GrantTime": r["grant_time"], "IntegerValue": r["value"], "Status": r["status"]}


class PeopleOps:
    """Operations about workers and payments (mixed into Backend)."""

    # -- money -------------------------------------------------------------------

    def GetAccountBalance(self, p):
        return {"AvailableBalance": money(self.store.balance()), "OnHoldBalance": "0.00"}

    def SendBonus(self, p):
        v.require(p, "WorkerId", "BonusAmount", "AssignmentId", "Reason")
        v.worker_id(p)
        bonus = v.amount(p["BonusAmount"])
        reason = v.text(p, "Reason", 4096, required=True, min_len=1)
        token = v.text(p, "UniqueRequestToken", 64, min_len=1)
        now = self.clock.now()
        with self.store.transaction() as s:
            a = s.q1("SELECT * FROM assignments WHERE id=?", (p["AssignmentId"],))
            if a is None or a["status"] not in ("Submitted", "Approved", "Rejected"):
                raise not_found("Assignment", p["AssignmentId"], "AWS.MechanicalTurk.AssignmentDoesNotExist")
            if a["worker_id"] != p["WorkerId"]:
                raise RequestError(f"Assignment {a['id']} was not done by worker {p['WorkerId']}.",
                                   "AWS.MechanicalTurk.InvalidParameterValue")
            self._use_token(s, "bonus", token, a["id"], now)
            cost = bonus + fee_for(bonus, 1, BONUS_FEE_RATE)
            balance = s.balance()
            if cost > balance:
                raise RequestError(f"You do not have enough funds to pay this bonus: it costs "
                                   f"${money(cost)} with fees and your balance is "
                                   f"${money(balance)}.", "AWS.MechanicalTurk.InsufficientFunds")
            s.set_balance(balance - cost)
            s.conn.execute("INSERT INTO bonuses (worker_id, assignment_id, hit_id, amount, reason,"
                           " grant_time) VALUES (?,?,?,?,?,?)",
                           (a["worker_id"], a["id"], a["hit_id"], money(bonus), reason, now))
        return {}

    def ListBonusPayments(self, p):
        if bool(p.get("HITId")) == bool(p.get("AssignmentId")):
            raise bad_param("Provide exactly one of HITId and AssignmentId.")
        after, limit = page_of(p)
        col, value = ("hit_id", p["HITId"]) if p.get("HITId") else ("assignment_id", p["AssignmentId"])
        rows = self.store.q(f"SELECT * FROM bonuses WHERE {col}=? AND seq>? ORDER BY seq LIMIT ?",
                            (value, after, limit + 1))
        return paged(rows, limit, "BonusPayments", lambda r: {
            "WorkerId": r["worker_id"], "BonusAmount": r["amount"], "AssignmentId": r["assignment_id"],
            "Reason": r["reason"], "GrantTime": r["grant_time"]})

    # -- blocks ------------------------------------------------------------------

    def CreateWorkerBlock(self, p):
        v.require(p, "WorkerId", "Reason")
        v.worker_id(p)
        with self.store.transaction() as s:
            s.conn.execute("INSERT INTO blocks (worker_id, reason) VALUES (?,?) ON CONFLICT"
                           "(worker_id) DO UPDATE SET reason=excluded.reason",
                           (p["WorkerId"], p["Reason"]))
        return {}

    def DeleteWorkerBlock(self, p):
        # "If the Worker ID is missing or invalid, this operation fails and returns the message
        # 'WorkerId is invalid.'" (botocore's MTurk model, DeleteWorkerBlock).
        v.worker_id(p, "WorkerId is invalid.")
        with self.store.transaction() as s:
            s.conn.execute("DELETE FROM blocks WHERE worker_id=?", (p["WorkerId"],))
        return {}

    def ListWorkerBlocks(self, p):
        after, limit = page_of(p)
        rows = self.store.q("SELECT * FROM blocks WHERE seq>? ORDER BY seq LIMIT ?", (after, limit + 1))
        return paged(rows, limit, "WorkerBlocks",
                     lambda r: {"WorkerId": r["worker_id"], "Reason": r["reason"]})

    # -- qualifications ----------------------------------------------------------

    def _qual_type_exists(self, qual_id: str) -> bool:
        return self.store.q1("SELECT 1 FROM qual_types WHERE id=? AND disposed_at IS NULL",
                             (qual_id,)) is not None

    def _qual_type(self, qual_id: str):
        row = self.store.q1("SELECT * FROM qual_types WHERE id=? AND disposed_at IS NULL",
                            (qual_id,))
        if row is None:
            raise not_found("QualificationType", qual_id, QT_NOT_FOUND)
        return row

    def CreateQualificationType(self, p):
        v.require(p, "Name", "Description", "QualificationTypeStatus")
        name = v.text(p, "Name", 200, required=True, min_len=1)
        description = v.text(p, "Description", 2000, required=True, min_len=1)
        keywords = v.text(p, "Keywords", 1000)
        status = p["QualificationTypeStatus"]
        if status not in ("Active", "Inactive"):
            raise bad_param("QualificationTypeStatus must be Active or Inactive.")
        if p.get("Test") and p.get("AutoGranted"):
            raise bad_param("A QualificationType cannot have both a Test and AutoGranted.")
        if p.get("AnswerKey") and not p.get("Test"):
            raise bad_param("An AnswerKey needs a Test.")
        now = self.clock.now()
        with self.store.transaction() as s:
            s.conn.execute("DELETE FROM qual_types WHERE name=? AND disposed_at<=?",
                           (name, now - NAME_RELEASE_DELAY))
            if s.q1("SELECT 1 FROM qual_types WHERE name=?", (name,)):
                raise RequestError("You have already created a QualificationType with this name. "
                                   "A QualificationType's name must be unique among all of the "
                                   "QualificationTypes created by the same user.",
                                   "AWS.MechanicalTurk.QualificationTypeAlreadyExists")
            qid = s.new_id()
            s.conn.execute(
                "INSERT INTO qual_types (id, name, description, keywords, status, test, answer_key,"
                " test_duration, retry_delay, is_requestable, auto_granted, auto_granted_value,"
                " created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (qid, name, description, keywords, status, p.get("Test"), p.get("AnswerKey"),
                 p.get("TestDurationInSeconds"), p.get("RetryDelayInSeconds"),
                 int(p.get("RetryDelayInSeconds") is not None or bool(p.get("Test"))),
                 int(bool(p.get("AutoGranted"))), p.get("AutoGrantedValue"), now))
            return {"QualificationType": qual_type_to_wire(self._qual_type(qid))}

    def GetQualificationType(self, p):
        v.require(p, "QualificationTypeId")
        qid = p["QualificationTypeId"]
        if qid in v.SYSTEM_QUALIFICATIONS:
            return {"QualificationType": {
                "QualificationTypeId": qid, "CreationTime": 1104537600.0,
                "Name": v.SYSTEM_QUALIFICATIONS[qid], "Description": "A system qualification.",
                "Keywords": "", "QualificationTypeStatus": "Active", "IsRequestable": False,
                "AutoGranted": False}}
        return {"QualificationType": qual_type_to_wire(self._qual_type(qid))}

    def ListQualificationTypes(self, p):
        if p.get("MustBeRequestable") is None:
            v.require(p, "MustBeRequestable")
        after, limit = page_of(p)
        sql, args = "SELECT * FROM qual_types WHERE seq>? AND disposed_at IS NULL", [after]
        if p["MustBeRequestable"]:
            sql += " AND is_requestable=1"
        if p.get("Query"):
            like = f"%{p['Query'].lower()}%"
            sql += " AND (lower(name) LIKE ? OR lower(description) LIKE ? OR lower(keywords) LIKE ?)"
            args += [like, like, like]
        rows = self.store.q(sql + " ORDER BY seq LIMIT ?", (*args, limit + 1))
        return paged(rows, limit, "QualificationTypes", qual_type_to_wire)

    def DeleteQualificationType(self, p):
        v.require(p, "QualificationTypeId")
        # Granted qualifications stay: MTurk does not revoke them, active HITs may need them
        # (API Reference, DeleteQualificationType). The type can no longer be used or listed.
        with self.store.transaction() as s:
            self._qual_type(p["QualificationTypeId"])
            s.conn.execute("UPDATE qual_types SET disposed_at=? WHERE id=?",
                           (self.clock.now(), p["QualificationTypeId"]))
        return {}

    def AssociateQualificationWithWorker(self, p):
        v.require(p, "QualificationTypeId", "WorkerId")
        v.worker_id(p)
        value = p.get("IntegerValue", 1)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_param("IntegerValue must be an integer.")
        with self.store.transaction() as s:
            self._qual_type(p["QualificationTypeId"])
            s.conn.execute(
                "INSERT INTO qualifications (qual_type_id, worker_id, value, grant_time, status)"
                " VALUES (?,?,?,?,'Granted') ON CONFLICT(qual_type_id, worker_id) DO UPDATE SET"
                " value=excluded.value, grant_time=excluded.grant_time, status='Granted'",
                (p["QualificationTypeId"], p["WorkerId"], value, self.clock.now()))
        return {}

    def DisassociateQualificationFromWorker(self, p):
        v.require(p, "QualificationTypeId", "WorkerId")
        v.worker_id(p)
        with self.store.transaction() as s:
            self._qual_type(p["QualificationTypeId"])
            cur = s.conn.execute("UPDATE qualifications SET status='Revoked' WHERE qual_type_id=?"
                                 " AND worker_id=? AND status='Granted'",
                                 (p["QualificationTypeId"], p["WorkerId"]))
            if cur.rowcount == 0:
                raise no_qualification()
        return {}

    def GetQualificationScore(self, p):
        v.require(p, "QualificationTypeId", "WorkerId")
        v.worker_id(p)
        row = self.store.q1("SELECT * FROM qualifications WHERE qual_type_id=? AND worker_id=?",
                            (p["QualificationTypeId"], p["WorkerId"]))
        if row is None:
            raise no_qualification()
        return {"Qualification": qualification_to_wire(row)}

    def ListWorkersWithQualificationType(self, p):
        v.require(p, "QualificationTypeId")
        self._qual_type(p["QualificationTypeId"])
        status = p.get("Status")
        if status not in (None, "Granted", "Revoked"):
            raise bad_param("Status must be Granted or Revoked.")
        after, limit = page_of(p)
        sql, args = "SELECT * FROM qualifications WHERE qual_type_id=? AND seq>?", [p["QualificationTypeId"], after]
        if status:
            sql += " AND status=?"
            args.append(status)
        rows = self.store.q(sql + " ORDER BY seq LIMIT ?", (*args, limit + 1))
        return paged(rows, limit, "Qualifications", qualification_to_wire)

    # -- notifications -----------------------------------------------------------

    def NotifyWorkers(self, p):
        v.require(p, "Subject", "MessageText", "WorkerIds")
        subject = v.text(p, "Subject", 200, required=True, min_len=1)
        message = v.text(p, "MessageText", 4096, required=True, min_len=1)
        ids = p["WorkerIds"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_param("WorkerIds must hold between 1 and 100 worker ids.")
        failures = []
        now = self.clock.now()
        # MTurk mails a worker only if you approved or rejected work of theirs (API Reference,
        # NotifyWorkers); submitted work not yet reviewed does not count.
        with self.store.transaction() as s:
            for wid in ids:
                if s.q1("SELECT 1 FROM assignments WHERE worker_id=? AND status IN"
                        " ('Approved','Rejected') LIMIT 1", (wid,)) is None:
                    failures.append({"NotifyWorkersFailureCode": "HardFailure", "WorkerId": wid,
                                     "NotifyWorkersFailureMessage":
                                         f"Cannot send a message to {wid}: you have not approved "
                                         f"or rejected work of this worker."})
                    continue
                s.conn.execute("INSERT INTO notifications (worker_id, subject, message, sent)"
                               " VALUES (?,?,?,?)", (wid, subject, message, now))
        return {"NotifyWorkersFailureStatuses": failures}


def no_qualification() -> RequestError:
    """As MTurk answers it (https://github.com/Dallinger/Dallinger/issues/3331)."""
    return RequestError("You requested a Qualification that does not exist.",
                        "AWS.MechanicalTurk.QualificationDoesNotExist")
