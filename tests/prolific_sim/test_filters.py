"""Study filters in the simulator: the spec's select and range shapes accepted and applied, malformed ones refused.

Every answer is validated against the spec's response schema by the ``api`` client (``SpecClient``)."""
from __future__ import annotations

from .helpers import LONG_MESSAGE, participant, published


def _start(sim, pid: str, study_id: str) -> int:
    with participant(sim) as browser:
        return browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id}).status_code


def _take_part(sim, pid: str, study_id: str) -> None:
    with participant(sim) as browser:
        start = browser.get(f"/_sim/participants/{pid}/start", params={"study_id": study_id})
        assert start.status_code == 302, start.text
        assert browser.get("/submissions/complete", params={"cc": "DONE1"}).status_code == 200


def test_previous_studies_blocklist_and_approval_rate_are_applied(prolific, api):
    first = published(api)
    _take_part(prolific, "P-PAST", first["id"])
    _take_part(prolific, "P-REJECTED", first["id"])
    subs = {s["participant_id"]: s["id"] for s in api.get(f"studies/{first['id']}/submissions/")["results"]}
    api.post(f"submissions/{subs['P-REJECTED']}/transition/", 200,
             json={"action": "REJECT", "message": LONG_MESSAGE, "rejection_category": "LOW_EFFORT"})
    # prolific-openapi.yml: study_with_blocked_studies (previous_studies_blocklist, SelectFilter) and the
    # GetEligibleCount example's approval_rate (RangeFilter: selected_range lower/upper)
    second = published(api, filters=[{"filter_id": "previous_studies_blocklist", "selected_values": [first["id"]]},
                                     {"filter_id": "approval_rate", "selected_range": {"lower": 90}}])
    assert api.get(f"studies/{second['id']}/")["filters"][1] == {"filter_id": "approval_rate",
                                                                  "selected_range": {"lower": 90}}
    assert _start(prolific, "P-PAST", second["id"]) == 403
    third = published(api, filters=[{"filter_id": "approval_rate", "selected_range": {"lower": 90, "upper": 100}}])
    assert _start(prolific, "P-REJECTED", third["id"]) == 403          # 0% approved of their reviewed work
    assert _start(prolific, "P-NEW", third["id"]) == 302


def test_malformed_filters_are_refused_naming_filters(api):
    for filters in ([{"filter_id": "approval_rate", "selected_range": {}}],
                    [{"filter_id": "approval_rate", "selected_range": {"lower": None, "upper": None}}],
                    [{"filter_id": "custom_allowlist", "selected_values": "P1"}],
                    [{"filter_id": "custom_allowlist", "selected_values": [1]}],
                    [{"filter_id": "age"}],
                    [{"selected_values": ["x"]}],
                    {"filter_id": "age"}):
        body = {"name": "n", "description": "d", "external_study_url": "http://x.invalid/",
                "prolific_id_option": "url_parameters", "estimated_completion_time": 1, "reward": 10,
                "total_available_places": 1, "filters": filters,
                "completion_codes": [{"code": "C", "code_type": "COMPLETED", "actions": []}]}
        assert "filters" in api.post("studies/", 400, json=body)["detail"], filters
