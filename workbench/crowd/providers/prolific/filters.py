"""A WorkSpec's qualifications as Prolific study filters, or a refusal naming what Prolific cannot say.

Prolific restricts a study with ``filters``: a select filter ``{"filter_id", "selected_values": [str]}``
or a range filter ``{"filter_id", "selected_range": {"lower", "upper"}}`` (prolific-openapi.yml,
components SelectFilter and RangeFilter). Only filter ids the spec itself names are used:

- ``min_approval_rate`` → ``approval_rate``, a range (the spec's GetEligibleCount example:
  ``{"filter_id": "approval_rate", "selected_range": {"lower": 10, "upper": 80}}``);
- ``exclude_past_participants`` / ``exclude_projects`` → ``previous_studies_blocklist`` with the ids of
  those projects' studies in this environment (the spec's ``study_with_blocked_studies`` example: "not
  accessible to participants of studies …"); Prolific knows who took them, including participants the
  store has not synced yet;
- ``custom`` (``Exists`` on a qualification made by ``create_qualification``, an allow-list group) →
  ``participant_group_allowlist`` (the spec's ``multiple_participant_groups_exclusive_to_both`` example:
  one filter per group, all required, as MTurk requires every qualification).

The spec gives no filter id for a country (``locales``) or a number of approvals (``min_approved``; only the
deprecated ``ApprovalNumbersEligibilityRequirement``), and Prolific has no Masters; those are refused with
the field named rather than sent under a guessed id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.errors import ValidationError
from workbench.store.models import CREATING, HIT, Project, QualificationType
from ..base import Qualifications

PROVIDER = "prolific"

#: What cannot be said to Prolific, and why (the reason each refusal gives).
UNSUPPORTED = {
    "locales": "Prolific's API spec names no country filter id; leave it empty, or restrict the country in "
               "Prolific's own study settings",
    "min_approved": "Prolific's API spec names no filter id for a number of approvals (only a deprecated "
                    "eligibility requirement)",
    "masters": "Prolific has no Masters qualification",
}


def study_filters(session: Session, environment: str, project: Project, quals: Qualifications) -> list[dict[str, Any]]:
    """The ``filters`` of a new study for ``quals``; ValidationError naming ``qualifications.<field>`` for what
    Prolific cannot express or what is malformed. Reads the store only: nothing is asked of Prolific."""
    for name, reason in UNSUPPORTED.items():
        if getattr(quals, name):
            raise ValidationError(f"qualifications.{name}", reason)
    out: list[dict[str, Any]] = []
    if quals.min_approval_rate is not None:
        rate = quals.min_approval_rate
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= 100:
            raise ValidationError("qualifications.min_approval_rate", "must be a percentage from 0 to 100")
        out.append({"filter_id": "approval_rate", "selected_range": {"lower": rate, "upper": 100}})
    for i, item in enumerate(quals.custom):
        field = f"qualifications.custom[{i}]"
        if item.comparator != "Exists" or item.values:
            raise ValidationError(f"{field}.comparator", "Prolific's allow lists (participant groups) take only "
                                                         "'Exists' without values")
        known = session.scalars(select(QualificationType.id).where(
            QualificationType.provider == PROVIDER, QualificationType.environment == environment,
            QualificationType.qualification_type_id == item.qualification_type_id)).first()
        if known is None:
            raise ValidationError(f"{field}.qualification_type_id",
                                  f"{item.qualification_type_id!r} is not a Prolific qualification of this workbench",
                                  hint="make one with create_qualification")
        out.append({"filter_id": "participant_group_allowlist", "selected_values": [item.qualification_type_id]})
    studies = _studies_of(session, environment, project, quals)
    if studies:
        out.append({"filter_id": "previous_studies_blocklist", "selected_values": studies})
    return out


def _studies_of(session: Session, environment: str, project: Project, quals: Qualifications) -> list[str]:
    """The Prolific studies of the excluded projects (this one when ``exclude_past_participants``)."""
    slugs = list(quals.exclude_projects or [])
    if not all(isinstance(slug, str) and slug for slug in slugs):
        raise ValidationError("qualifications.exclude_projects", "must be a list of project slugs")
    ids = {project.id} if quals.exclude_past_participants else set()
    for slug in dict.fromkeys(slugs):
        found = session.scalars(select(Project.id).where(Project.slug == slug)).first()
        if found is None:
            raise ValidationError("qualifications.exclude_projects", f"there is no project {slug!r}")
        ids.add(found)
    if not ids:
        return []
    return list(session.scalars(select(HIT.hit_id).where(
        HIT.provider == PROVIDER, HIT.environment == environment, HIT.project_id.in_(ids),
        HIT.status != CREATING).order_by(HIT.id)))
