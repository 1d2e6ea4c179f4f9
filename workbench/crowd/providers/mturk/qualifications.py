"""Qualification requirements of a HIT type, and the qualification types behind them.

Builders for MTurk's system qualifications (locale, approval rate, number of approved HITs,
Masters, whose id differs between sandbox and production) and for custom ones. Excluding
past participants uses one "participated" qualification type per project and environment:
ingest grants it to every worker whose work it takes in, and a HIT that excludes the
project requires it ``DoesNotExist``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workbench import events
from workbench.study import projects
from workbench.errors import NotFoundError, ValidationError
from workbench.store.models import QualificationGrant, QualificationType
from workbench.store.types import utcnow
from ..base import Qualifications
from .client import MTurkError, call
from .rows import PROVIDER, dialect_insert

if TYPE_CHECKING:
    from . import MTurkProvider

LOCALE = "00000000000000000071"
PERCENT_APPROVED = "000000000000000000L0"
NUMBER_APPROVED = "00000000000000000040"
MASTERS = {"production": "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "sandbox": "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6",
           "local": "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"}
COMPARATORS = ("LessThan", "LessThanOrEqualTo", "GreaterThan", "GreaterThanOrEqualTo", "EqualTo", "NotEqualTo",
               "Exists", "DoesNotExist", "In", "NotIn")
PARTICIPATED = "participated"


def locale(codes: list[str]) -> dict[str, Any]:
    """Workers in one of these countries (``US``) or subdivisions (``US-NY``)."""
    values = []
    for code in codes:
        country, _, subdivision = str(code).upper().partition("-")
        if len(country) != 2 or not country.isalpha():
            raise ValidationError("qualifications.locales", f"{code!r} is not an ISO country code like US or US-NY")
        values.append({"Country": country, **({"Subdivision": subdivision} if subdivision else {})})
    if len(values) == 1:
        return {"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": values}
    return {"QualificationTypeId": LOCALE, "Comparator": "In", "LocaleValues": values}


def approval_rate(minimum: int) -> dict[str, Any]:
    if isinstance(minimum, bool) or not isinstance(minimum, int) or not 0 <= minimum <= 100:
        raise ValidationError("qualifications.min_approval_rate", "must be a percentage from 0 to 100")
    return {"QualificationTypeId": PERCENT_APPROVED, "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [minimum]}


def hits_approved(minimum: int) -> dict[str, Any]:
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise ValidationError("qualifications.min_approved", "must be a non-negative integer")
    return {"QualificationTypeId": NUMBER_APPROVED, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [minimum]}


def masters(environment: str) -> dict[str, Any]:
    return {"QualificationTypeId": MASTERS[environment], "Comparator": "Exists"}


def custom(qualification_type_id: str, comparator: str = "Exists", values: list[int] | None = None) -> dict[str, Any]:
    if comparator not in COMPARATORS:
        raise ValidationError("qualifications.custom.comparator", f"must be one of {', '.join(COMPARATORS)}")
    values = list(values or [])
    if comparator in ("Exists", "DoesNotExist") and values:
        raise ValidationError("qualifications.custom.values", f"{comparator} takes no values")
    if comparator not in ("Exists", "DoesNotExist") and not values:
        raise ValidationError("qualifications.custom.values", f"{comparator} needs a value")
    req: dict[str, Any] = {"QualificationTypeId": qualification_type_id, "Comparator": comparator}
    if values:
        req["IntegerValues"] = [int(v) for v in values]
    return req


def requirements(mt: "MTurkProvider", project_slug: str, quals: Qualifications) -> list[dict[str, Any]]:
    """The QualificationRequirements for a WorkSpec's qualifications (creating participation types as needed)."""
    reqs: list[dict[str, Any]] = []
    if quals.locales:
        reqs.append(locale(quals.locales))
    if quals.min_approval_rate is not None:
        reqs.append(approval_rate(quals.min_approval_rate))
    if quals.min_approved is not None:
        reqs.append(hits_approved(quals.min_approved))
    if quals.masters:
        reqs.append(masters(mt.environment))
    for item in quals.custom:
        reqs.append(custom(item.qualification_type_id, item.comparator, item.values))
    excluded = ([project_slug] if quals.exclude_past_participants else []) + list(quals.exclude_projects)
    for slug in dict.fromkeys(excluded):
        qual = participation_type(mt, slug)
        reqs.append({"QualificationTypeId": qual.qualification_type_id, "Comparator": "DoesNotExist"})
    return reqs


# -- qualification types and grants ----------------------------------------------------

def create_type(mt: "MTurkProvider", name: str, description: str, *, keywords: str = "", purpose: str = "",
                project_id: int | None = None, actor: str = "") -> QualificationType:
    """Create a qualification type on MTurk and record it; a name MTurk already has is adopted."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ValidationError("name", "must be a non-empty string of at most 200 characters")
    if not isinstance(description, str) or not description.strip():
        raise ValidationError("description", "must be a non-empty string")
    with mt.store.session() as s:
        known = s.scalars(select(QualificationType).where(
            QualificationType.provider == PROVIDER, QualificationType.environment == mt.environment,
            QualificationType.name == name)).first()
        if known is not None:
            return known
    try:
        remote = call(mt.client, "CreateQualificationType", Name=name, Description=description, Keywords=keywords,
                      QualificationTypeStatus="Active")["QualificationType"]
    except MTurkError as exc:
        if exc.turk_code != "AWS.MechanicalTurk.QualificationTypeAlreadyExists":
            raise
        remote = _find_remote_type(mt, name)
    with mt.store.transaction() as s:
        stmt = dialect_insert(s)(QualificationType).values(
            provider=PROVIDER, environment=mt.environment, qualification_type_id=remote["QualificationTypeId"],
            name=name, description=description, status="active", created_at=utcnow(),
            payload={"purpose": purpose, "project_id": project_id, "keywords": keywords})
        s.execute(stmt.on_conflict_do_nothing())
        row = s.scalars(select(QualificationType).where(
            QualificationType.provider == PROVIDER, QualificationType.environment == mt.environment,
            QualificationType.qualification_type_id == remote["QualificationTypeId"])).one()
        events.record(s, "mturk.qualification_type.created", actor=actor, project_id=project_id,
                      qualification_type_id=row.qualification_type_id, name=name, environment=mt.environment)
    return row


def _find_remote_type(mt: "MTurkProvider", name: str) -> dict[str, Any]:
    token = None
    while True:
        args = {"Query": name, "MustBeRequestable": False, "MaxResults": 100, **({"NextToken": token} if token else {})}
        page = call(mt.client, "ListQualificationTypes", **args)
        for item in page.get("QualificationTypes", []):
            if item["Name"] == name:
                return item
        token = page.get("NextToken")
        if not token:
            raise ValidationError("name", f"MTurk says a qualification type named {name!r} exists but lists none")


def participation_type(mt: "MTurkProvider", project_slug: str) -> QualificationType:
    """The project's "participated" qualification type in this environment, created on first use."""
    with mt.store.session() as s:
        project = projects.get(s, project_slug)
    return create_type(mt, f"workbench: took part in {project.slug}",
                       f"Granted to workers who took part in the study {project.name!r}; used to exclude them.",
                       purpose=PARTICIPATED, project_id=project.id)


def participation_types(mt: "MTurkProvider", project_ids: set[int]) -> dict[int, QualificationType]:
    """The participation types that exist for these projects, by project id."""
    if not project_ids:
        return {}
    with mt.store.session() as s:
        rows = s.scalars(select(QualificationType).where(
            QualificationType.provider == PROVIDER, QualificationType.environment == mt.environment))
        return {r.payload.get("project_id"): r for r in rows
                if r.payload.get("purpose") == PARTICIPATED and r.payload.get("project_id") in project_ids}


def get_type(mt: "MTurkProvider", qualification_type_id: str) -> QualificationType:
    with mt.store.session() as s:
        row = s.scalars(select(QualificationType).where(
            QualificationType.provider == PROVIDER, QualificationType.environment == mt.environment,
            QualificationType.qualification_type_id == qualification_type_id)).one_or_none()
    if row is None:
        raise NotFoundError("qualification type", qualification_type_id,
                            hint="create it with the workbench first, so that grants are recorded")
    return row


def grant(mt: "MTurkProvider", qualification_type_id: str, worker_id: str, value: int = 1, *,
          notify: bool = False, actor: str = "") -> QualificationGrant:
    qual = get_type(mt, qualification_type_id)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("value", "must be an integer")
    call(mt.client, "AssociateQualificationWithWorker", QualificationTypeId=qualification_type_id,
         WorkerId=worker_id, IntegerValue=value, SendNotification=notify)
    with mt.store.transaction() as s:
        now = utcnow()
        stmt = dialect_insert(s)(QualificationGrant).values(
            qualification_type_pk=qual.id, worker_id=worker_id, value=value, status="granted", granted_at=now)
        s.execute(stmt.on_conflict_do_update(index_elements=["qualification_type_pk", "worker_id"],
                                             set_={"value": value, "status": "granted", "granted_at": now,
                                                   "revoked_at": None}))
        events.record(s, "mturk.qualification.granted", actor=actor, project_id=qual.payload.get("project_id"),
                      qualification_type_id=qualification_type_id, worker_id=worker_id, value=value)
        return _grant_row(s, qual.id, worker_id)


def revoke(mt: "MTurkProvider", qualification_type_id: str, worker_id: str, *, reason: str = "",
           actor: str = "") -> QualificationGrant:
    qual = get_type(mt, qualification_type_id)
    call(mt.client, "DisassociateQualificationFromWorker", QualificationTypeId=qualification_type_id,
         WorkerId=worker_id, Reason=reason or "")
    with mt.store.transaction() as s:
        row = _grant_row(s, qual.id, worker_id)
        if row is None:
            row = QualificationGrant(qualification_type_pk=qual.id, worker_id=worker_id, value=0)
            s.add(row)
        row.status, row.revoked_at = "revoked", utcnow()
        events.record(s, "mturk.qualification.revoked", actor=actor, project_id=qual.payload.get("project_id"),
                      qualification_type_id=qualification_type_id, worker_id=worker_id, reason=reason)
    return row


def grant_participation(mt: "MTurkProvider", pairs: set[tuple[int, str]], *, actor: str = "") -> int:
    """Grant each (project, worker) its project's participation type, once; returns the grants made."""
    types = participation_types(mt, {p for p, _ in pairs})
    if not types:
        return 0
    with mt.store.session() as s:
        held = set(s.execute(select(QualificationGrant.qualification_type_pk, QualificationGrant.worker_id).where(
            QualificationGrant.qualification_type_pk.in_([t.id for t in types.values()]),
            QualificationGrant.status == "granted")))
    made = 0
    for project_id, worker_id in sorted(pairs):
        qual = types.get(project_id)
        if qual is not None and (qual.id, worker_id) not in held:
            grant(mt, qual.qualification_type_id, worker_id, actor=actor)
            held.add((qual.id, worker_id))
            made += 1
    return made


def _grant_row(s, qual_pk: int, worker_id: str) -> QualificationGrant | None:
    return s.scalars(select(QualificationGrant).where(QualificationGrant.qualification_type_pk == qual_pk,
                                                      QualificationGrant.worker_id == worker_id)).one_or_none()
