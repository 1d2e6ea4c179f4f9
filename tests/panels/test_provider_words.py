"""The panels on a Prolific provider (against the local Prolific simulator): Prolific's words, never MTurk's,
and Prolific's own actions (pause and resume, bulk approval, return requests) because the provider can do them."""

from __future__ import annotations

import httpx
import ipywidgets as w
import pytest
from sqlalchemy import select

from workbench.panels import HITManager, MTurkPanel, ProjectOverview, ProviderPanel, ReviewQueue, WorkManager
from workbench.store.models import HIT, Assignment
from tests.prolific.conftest import provider, sim, sim_faults, study, take_part  # noqa: F401 (fixtures)
from tests.prolific.conftest import remote_study
from tests.prolific_visits import answered


def texts(widget: w.Widget) -> list[str]:
    """Every text a person can read in a widget tree: values, descriptions, placeholders, options."""
    found = []
    for name in ("value", "description", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str) and value:
            found.append(value)
    found += [str(o) for o in getattr(widget, "options", ()) or ()]
    for child in getattr(widget, "children", ()) or ():
        found += texts(child)
    return found


def mturk_words_in(widget: w.Widget) -> list[str]:
    return [t for t in texts(widget) if "HIT" in t or "MTurk" in t or "assignment" in t.lower()]


@pytest.fixture
def submitted(provider, sim, store, study):
    """A published study with two participants' submissions awaiting review, synced."""
    study_id = WorkManager(provider, "cats").create().hit_ids[0]
    with store.session() as s:
        code = s.scalars(select(HIT).where(HIT.hit_id == study_id)).one().payload["completion_codes"]["complete"]
    subs = []
    for pid in ("PPANEL1", "PPANEL2"):
        start = take_part(sim, pid, study_id, code)
        subs.append(httpx.URL(start.headers["location"]).params["SESSION_ID"])
    provider.sync()
    provider.sync()  # past the transient PROCESSING status, should the simulator inject it
    return study_id, subs


def _remote_submission(sim, sub_id: str) -> dict:
    with httpx.Client(base_url=sim.url + "/api/v1/", headers={"Authorization": "Token t"}) as c:
        return c.get(f"submissions/{sub_id}/").json()


def _count(calls: dict[str, int], path: str) -> int:
    """POST calls the simulator took on paths ending with ``path``."""
    return sum(n for key, n in calls.items() if key.startswith("POST ") and key.endswith(path))


def test_the_old_names_are_the_new_panels():
    assert HITManager is WorkManager and MTurkPanel is ProviderPanel


def test_work_manager_says_study_offers_pause_and_no_mturk_requirements(provider, sim, store, study):
    panel = WorkManager(provider, "cats")
    assert panel.title == "Study manager" and panel.create_button.description == "Create studies"
    assert panel.hit_id.description == "study" and panel.assignments.description == "submissions"
    assert panel.status_text.startswith("✔ 4 tasks × 1 submissions would cost $")
    made = panel.create()
    assert panel.status_text == "✔ created 1 studies (0 already existed)"
    study_id = made.hit_ids[0]
    assert "study id" in panel.hit_list.value and "hit_id" not in panel.hit_list.value
    on_screen = texts(panel.widget)
    assert panel.pause_button.description in on_screen and panel.resume_button.description in on_screen
    assert panel.min_approval.description not in on_screen  # MTurk's qualification requirements: not Prolific's
    assert not mturk_words_in(panel.widget)

    panel.hit_id.value = study_id
    panel.pause_button.click()
    assert panel.status_text == f"✔ paused study {study_id}"
    assert remote_study(sim, study_id)["status"] == "PAUSED"      # the spec's study status enum
    panel.resume_button.click()
    assert panel.status_text == f"✔ resumed study {study_id}"
    assert remote_study(sim, study_id)["status"] == "ACTIVE"


def test_review_queue_says_submission_and_participant_and_approves_in_bulk(provider, sim, store, study, submitted):
    study_id, subs = submitted
    panel = ReviewQueue(provider, "cats")
    assert panel.status_text == "✔ 2 submitted submissions"
    card = panel.cards[0]
    assert f"participant {card.item['worker_id']}" in card.head.value and f"study {study_id}" in card.head.value
    assert card.block_button.description == "Block participant"
    assert card.history_button.description == "Participant history"
    card.history_button.click()
    assert panel.status_text.startswith(f"✔ participant {card.item['worker_id']}: 1 submissions")
    assert "<h4>Participant " in panel.worker_box.value and "submission id" in panel.worker_box.value
    assert card.return_button.description in texts(card.widget)
    assert not mturk_words_in(panel.widget)

    # "Approve all shown" goes through Prolific's bulk call, under the same rules as one approval: these
    # participants never came through the workbench's study URL (no completion code of a visit), so nothing is
    # approved and Prolific is not asked.
    before = sim.status()["calls"]
    panel.bulk_button.click()
    assert panel.status_text.startswith("✖ approved 0; 2 failed:") and "completion code is" in panel.status_text
    assert sim.status()["calls"] == before
    assert {_remote_submission(sim, s)["status"] for s in subs} == {"AWAITING REVIEW"}
    with store.session() as s:
        assert set(s.scalars(select(Assignment.status).where(Assignment.assignment_id.in_(subs)))) == {"submitted"}


def test_review_queue_asks_a_participant_to_return(provider, sim, store, study, submitted):
    _, subs = submitted
    panel = ReviewQueue(provider, "cats")
    card = next(c for c in panel.cards if c.assignment_id == subs[0])
    card.return_button.click()  # no reason: refused before any call
    assert panel.status_text.startswith("✖ reasons:")
    assert _remote_submission(sim, subs[0])["return_requested"] is None
    card.return_reason.value = "You opened the study twice."
    card.return_button.click()
    assert panel.status_text == f"✔ asked for the return of {subs[0]}"
    assert _remote_submission(sim, subs[0])["return_requested"]


def test_provider_panel_and_overview_say_prolific_study_submissions(provider, sim, store, study, submitted):
    study_id, subs = submitted
    panel = ProviderPanel(provider)
    assert panel.title == "Prolific" and panel.sync_first.description == "sync with Prolific first"
    assert panel.load_button.description == "Show submissions"
    panel.load_button.click()
    assert panel.status_text == "✖ hit_id: enter the id of a study"
    panel.hit_id.value = study_id
    panel.load_button.click()
    assert panel.status_text == f"✔ study {study_id}: 2 submissions"
    assert set(panel.buttons) == set(subs)
    assert not mturk_words_in(panel.widget)
    overview = ProjectOverview(store, "cats", provider=provider)
    assert "submissions" in overview.summary.value and not mturk_words_in(overview.widget)


def test_approve_all_shown_is_one_bulk_call_on_prolific(provider, sim, store, study):
    """Participants who came through the study URL and answered: "Approve all shown" approves both in Prolific's
    one bulk call for the study (POST /api/v1/submissions/bulk-approve/ in the spec), no single transition."""
    study_id = WorkManager(provider, "cats").create().hit_ids[0]
    subs = [answered(store, sim, study_id, pid, "cats", {"label": "cat"}) for pid in ("PBULK1", "PBULK2")]
    provider.sync()
    provider.sync()
    panel = ReviewQueue(provider, "cats")
    assert {c.assignment_id for c in panel.cards} == set(subs)
    before = sim.status()["calls"]
    panel.bulk_button.click()
    assert panel.status_text == "✔ approved 2" and panel.bulk_progress.value == 2
    after = sim.status()["calls"]
    assert _count(after, "submissions/bulk-approve/") - _count(before, "submissions/bulk-approve/") == 1
    assert _count(after, "/transition/") == _count(before, "/transition/")
    assert {_remote_submission(sim, s)["status"] for s in subs} == {"APPROVED"}
    with store.session() as s:
        assert set(s.scalars(select(Assignment.status).where(Assignment.assignment_id.in_(subs)))) == {"approved"}


def test_review_card_files_a_rejection_under_prolifics_category(provider, sim, store, study, submitted):
    from workbench.store.models import Event

    _, subs = submitted
    panel = ReviewQueue(provider, "cats")
    card = next(c for c in panel.cards if c.assignment_id == subs[0])
    # prolific-openapi.yml, the submission transition's rejection_category enum
    assert {"LOW_EFFORT", "FAILED_CHECK", "NO_CODE", "OTHER"} <= set(card.category.options)
    card.feedback.value = ("Your answers did not match the pictures: every picture was given the same label, "
                           "whatever it showed, so we cannot use them.")
    card.category.value = "LOW_EFFORT"
    card.reject_button.click()
    assert panel.status_text == f"✔ rejected {subs[0]}"
    assert _remote_submission(sim, subs[0])["status"] == "REJECTED"
    with store.session() as s:
        filed = [e.payload.get("category") for e in s.scalars(select(Event).where(
            Event.type == "prolific.submission.rejected"))]
    assert filed == ["LOW_EFFORT"]
