"""The panels through their widget state: set values, click, and see the store change or the error shown."""

from __future__ import annotations

from sqlalchemy import select

from workbench.study import annotations
from workbench.panels import HITManager, MTurkPanel, ProjectOverview, ProviderPanel, ReviewQueue, WorkManager
from workbench.store.models import HIT, Assignment, Bonus, Worker


def _status(store, assignment_id):
    with store.session() as s:
        return s.scalar(select(Assignment.status).where(Assignment.assignment_id == assignment_id))


def test_review_queue_approve_reject_bonus_block(crowd):
    panel = ReviewQueue(crowd.provider, "crowd")
    assert len(panel.cards) == 4 and panel.status_text == "✔ 4 submitted assignments"
    first, second, third = panel.cards[:3]
    assert "wb-label" in first.preview.value and ("circle" in first.preview.value or "square" in first.preview.value)
    assert "<svg" in first.preview.value  # the task's image, inlined

    first.approve_button.click()
    assert _status(crowd.store, first.assignment_id) == "approved"
    assert panel.status_text == f"✔ approved {first.assignment_id}"

    second.reject_button.click()  # no feedback: refused, nothing changes
    assert panel.status_text.startswith("✖ feedback: is required")
    assert _status(crowd.store, second.assignment_id) == "submitted"
    second.feedback.value = "The shape was a circle."
    second.reject_button.click()
    assert _status(crowd.store, second.assignment_id) == "rejected"

    first.bonus_amount.value = "0.30"
    first.bonus_button.click()  # no reason: refused, nothing recorded (the panel invents no text for the worker)
    assert panel.status_text.startswith("✖ reason: is required")
    first.bonus_reason.value = "Careful boxes"
    first.bonus_button.click()
    assert panel.status_text.startswith("✔ bonus ") and "$0.30 to " in panel.status_text
    with crowd.store.session() as s:
        assert s.scalar(select(Bonus.amount_cents).where(Bonus.worker_id == first.item["worker_id"])) == 30

    third.block_button.click()  # no reason: refused
    assert panel.status_text.startswith("✖ reason: is required")
    third.block_reason.value = "Random answers"
    third.block_button.click()
    with crowd.store.session() as s:
        assert s.scalar(select(Worker.blocked).where(Worker.worker_id == third.item["worker_id"])) is True

    third.history_button.click()
    assert "approval rate" in panel.worker_box.value and third.item["worker_id"] in panel.worker_box.value

    # The reviewed cards show their new status, and "Approve all shown" leaves them alone.
    assert (first.item["status"], second.item["status"]) == ("approved", "rejected") and "rejected" in second.head.value
    panel.bulk_button.click()
    assert panel.status_text == "✔ approved 2"


def test_a_card_lists_its_workers_review_flags_with_their_evidence(crowd):
    """Issue 17: A1PANELWA's two answers were scored against gold and both failed; the definition counts a worker's
    gold from 2 items. Their cards say so, with the numbers; the other worker's cards list nothing; no one is
    rejected for it."""
    from workbench.store.models import Annotation, Task, TaskDefinition

    with crowd.store.transaction() as s:
        for row in s.scalars(select(Annotation).where(Annotation.actor == "A1PANELWA")):
            row.gold_score, row.gold_passed = 0.0, False
        spec = s.scalars(select(TaskDefinition).join(Task, Task.definition_id == TaskDefinition.id)
                         .where(Task.id == crowd.study.task_ids["classification"][0])).one()
        spec.definition = {**spec.definition, "quality": {"gold_min_items": 2}}
    panel = ReviewQueue(crowd.provider, "crowd")
    shown = {card.assignment_id: (card.item["worker_id"], card.flags.value) for card in panel.cards}
    assert sorted(worker for worker, _ in shown.values()) == ["A1PANELWA"] * 2 + ["A1PANELWB"] * 2
    for worker, flags in shown.values():
        if worker == "A1PANELWA":
            assert "<b>failed_gold</b>: 0 of 2 gold or attention items answered right" in flags
            assert "&quot;min_items&quot;: 2" in flags  # the evidence, on hover
        else:
            assert flags == ""
    assert {_status(crowd.store, a) for a in shown} == {"submitted"}


def test_review_queue_bulk_approve_over_a_filter(crowd):
    panel = ReviewQueue(crowd.provider, "crowd")
    panel.worker_filter.value = "A1PANELWA"
    panel.load_button.click()
    assert {c.item["worker_id"] for c in panel.cards} == {"A1PANELWA"} and len(panel.cards) == 2
    panel.bulk_button.click()
    assert panel.status_text == "✔ approved 2"
    assert panel.bulk_progress.value == 2
    with crowd.store.session() as s:
        statuses = set(s.execute(select(Assignment.worker_id, Assignment.status)).all())
    assert statuses == {("A1PANELWA", "approved"), ("A1PANELWB", "submitted")}


def test_hit_manager_previews_cost_creates_extends_and_expires(crowd):
    panel = HITManager(crowd.provider, "crowd")
    panel.task_type.value = "bounding-box"
    panel.reward.value = "0.50"
    panel.assignments.value = 2
    panel.preview_button.click()
    # 2 HITs x 2 assignments x $0.50 = $2.00, plus 20 % fees = $2.40.
    assert "$2.40" in panel.cost.value and panel.status_text == "✔ 2 tasks × 2 assignments would cost $2.40"
    panel.create_button.click()
    assert panel.status_text == "✔ created 2 HITs (0 already existed)"
    assert panel.progress.value == panel.progress.max == 2
    with crowd.store.session() as s:
        assert s.scalar(select(HIT.reward_cents).where(HIT.task_id == crowd.study.task_ids["bounding-box"][0])) == 50
    assert len(panel.hit_id.options) == 4

    panel.hit_id.value = panel.hit_id.options[-1]
    panel.extend_button.click()  # nothing to extend by
    assert panel.status_text.startswith("✖") and "assignments" in panel.status_text
    panel.more_assignments.value = 1
    panel.extend_button.click()
    assert panel.status_text == f"✔ extended HIT {panel.hit_id.value}"
    panel.expire_button.click()
    assert panel.status_text == f"✔ expired HIT {panel.hit_id.value}"


def test_hit_manager_refuses_a_sandbox_hit_real_workers_could_not_reach(crowd, monkeypatch):
    from workbench.crowd.providers.mturk import MTurkProvider

    monkeypatch.delenv("WORKBENCH_PUBLIC_BASE_URL", raising=False)
    sandbox = MTurkProvider(crowd.store, environment="sandbox", client=crowd.sim.client())
    panel = HITManager(sandbox, "crowd")
    panel.task_type.value = "bounding-box"
    crowd.sim.reset_call_count()
    panel.create_button.click()
    assert panel.status_text.startswith("✖ public_base_url: is not set") and "WORKBENCH_PUBLIC_BASE_URL" in \
        panel.status_text
    assert crowd.sim.call_count == {}


def test_mturk_panel_by_hit_id(crowd):
    panel = MTurkPanel(crowd.provider)
    panel.load_button.click()
    assert panel.status_text == "✖ hit_id: enter the id of a HIT"
    panel.hit_id.value = crowd.hit_ids[0]
    panel.load_button.click()
    assert panel.status_text == f"✔ HIT {crowd.hit_ids[0]}: 2 assignments"
    (assignment_id, (approve, reject)), (other_id, (_, other_reject)) = panel.buttons.items()
    approve.click()
    assert _status(crowd.store, assignment_id) == "approved"
    assert panel.status_text == f"✔ approved {assignment_id}"
    assert panel.buttons[assignment_id][0].disabled  # redrawn from the store
    panel.feedback.value = "Wrong label."
    panel.buttons[other_id][1].click()
    assert _status(crowd.store, other_id) == "rejected"


def test_project_overview_shows_progress(crowd):
    panel = ProjectOverview(crowd.store, "crowd", provider=crowd.provider)
    assert panel.stats["tasks"]["in_progress"] == 2 and panel.progress.value == 0.0
    with crowd.store.transaction() as s:  # a third rater completes the first task (target: 3)
        annotations.submit(s, crowd.study.task_ids["classification"][0], {"labels": ["circle"]}, actor="lab")
    panel.refresh_button.click()
    assert panel.progress.value == 1 / 5 and panel.progress.description == "20%"
    assert panel.status_text == "✔ crowd: 1 of 5 tasks complete"
    assert "assignments" in panel.summary.value and "spent" in panel.summary.value
    missing = ProjectOverview(crowd.store, "no-such-project")
    assert missing.status_text.startswith("✖ project 'no-such-project' not found")


def test_the_dashboard_counts_the_work_and_money_of_one_environment(crowd):
    from workbench import review
    from workbench.results import dashboard

    review.approve_all(crowd.provider, [review.queue(crowd.provider, project="crowd")[0]["assignment_id"]])
    frame = dashboard.assignments_frame(crowd.store, "crowd")  # MTURK_ENVIRONMENT=local, as the HITs
    assert len(frame) == 4 and (frame["status"] == "approved").sum() == 1
    spent = dashboard.cost_over_time(crowd.store, "crowd", frame)
    assert spent.iloc[-1] == 0.06  # a 5¢ reward and MTurk's 1¢ minimum fee
    elsewhere = dashboard.assignments_frame(crowd.store, "crowd", "production")
    assert elsewhere.empty and dashboard.cost_over_time(crowd.store, "crowd", elsewhere, environment="production").empty


def test_a_double_click_on_bonus_pays_once_and_the_button_rests_while_it_runs(crowd):
    """Issue 15: a second click on the same bonus answers "already paid"; MTurk lists one payment."""
    panel = ReviewQueue(crowd.provider, "crowd")
    card = panel.cards[0]
    card.bonus_amount.value, card.bonus_reason.value = "0.12", "Neat labels"
    seen = []
    card.bonus_button.observe(lambda change: seen.append(change["new"]), names="disabled")
    card.bonus_button.click()
    card.bonus_button.click()
    assert seen == [True, False, True, False]  # disabled while each call ran, enabled after
    assert "already paid" in panel.status_text and "new key" in panel.status_text
    listed = crowd.sim.client().list_bonus_payments(AssignmentId=card.assignment_id)["BonusPayments"]
    assert [p["BonusAmount"] for p in listed] == ["0.12"]
    card.bonus_key.value = "second"  # a deliberate second bonus
    card.bonus_button.click()
    assert panel.status_text.startswith("✔ bonus ") and "already" not in panel.status_text
    assert len(crowd.sim.client().list_bonus_payments(AssignmentId=card.assignment_id)["BonusPayments"]) == 2
    card.bonus_amount.value = "0.125"  # a fraction of a cent: refused, nothing paid
    card.bonus_key.value = "third"
    card.bonus_button.click()
    assert panel.status_text.startswith("✖ bonus: must have at most two decimals")


def test_the_mturk_panel_does_not_approve_over_a_rejection_without_its_override(crowd):
    """Issue 15: the panel's Approve passed override=True and so paid rejected work without a word."""
    panel = MTurkPanel(crowd.provider)
    panel.hit_id.value = crowd.hit_ids[0]
    panel.load_button.click()
    assignment_id = next(iter(panel.buttons))
    panel.feedback.value = "Wrong shape."
    panel.buttons[assignment_id][1].click()
    assert _status(crowd.store, assignment_id) == "rejected"
    panel.buttons[assignment_id][0].click()
    assert panel.status_text.startswith(f"✖ assignment {assignment_id} was rejected")
    assert _status(crowd.store, assignment_id) == "rejected"
    assert crowd.sim.client().get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == \
        "Rejected"
    panel.override.value = True
    panel.buttons[assignment_id][0].click()
    assert _status(crowd.store, assignment_id) == "approved"


def test_an_mturk_panel_keeps_mturk_words_and_shows_no_prolific_actions(crowd):
    manager, queue, panel = WorkManager(crowd.provider, "crowd"), ReviewQueue(crowd.provider, "crowd"), \
        ProviderPanel(crowd.provider)
    assert (manager.title, panel.title, manager.create_button.description) == ("HIT manager", "MTurk", "Create HITs")
    on_screen = _texts(manager.widget)
    assert manager.min_approval.description in on_screen and manager.pause_button.description not in on_screen
    assert queue.cards[0].return_button.description not in _texts(queue.cards[0].widget)
    assert "HIT id" in manager.hit_list.value


def _texts(widget):
    """Every text a person can read in a widget tree."""
    found = [v for v in (getattr(widget, n, None) for n in ("value", "description", "placeholder")) if isinstance(v, str)]
    for child in getattr(widget, "children", ()) or ():
        found += _texts(child)
    return found
