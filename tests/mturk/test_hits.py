"""HIT operations: questions, qualification requirements, extend, expire, delete, associate."""

from __future__ import annotations

import defusedxml.ElementTree as DET
import pytest
from sqlalchemy import select

from workbench.errors import ValidationError
from workbench.devtools.mturk_sim.workers import SimulatedWorker
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.mturk import MTurkProvider, qualifications, questions
from workbench.store.models import HIT, Event, QualificationType

from .conftest import work

SPEC = WorkSpec(title="Label", description="Pick a label", reward_cents=25, max_assignments=2, frame_height=640)


def test_external_question_points_at_the_annotate_page(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PUBLIC_BASE_URL", "https://study.example.org/")
    root = DET.fromstring(questions.external_question(42, frame_height=800))
    ns = {"q": questions.EXTERNAL_NS}
    assert root.findtext("q:ExternalURL", namespaces=ns) == "https://study.example.org/workbench/annotate/42"
    assert root.findtext("q:FrameHeight", namespaces=ns) == "800"
    with pytest.raises(ValidationError) as caught:
        questions.public_base_url("ftp://x")
    assert caught.value.field == "public_base_url"


def test_link_out_question_carries_the_login_link_and_the_code_field():
    xml = questions.link_out_question("birds", title="T <b>", description="D & d", base_url="https://s.example")
    root = DET.fromstring(xml)
    page = root.findtext(f"{{{questions.HTML_NS}}}HTMLContent")
    assert "https://s.example/workbench/login?project=birds&workerId=${workerId}" in page
    assert 'name="completion_code"' in page and "T &lt;b&gt;" in page and "D &amp; d" in page


def test_qualification_builders_and_exclusion_of_past_participants(mt, sim, study, store):
    quals = {"locales": ["US", "CA-QC"], "min_approval_rate": 98, "min_approved": 500, "masters": True,
             "exclude_past_participants": True}
    reqs = qualifications.requirements(mt, "cats", WorkSpec(title="t", description="d", reward_cents=1,
                                                            qualifications=quals).qualifications)
    by_id = {r["QualificationTypeId"]: r for r in reqs}
    assert by_id[qualifications.LOCALE] == {"QualificationTypeId": qualifications.LOCALE, "Comparator": "In",
                                            "LocaleValues": [{"Country": "US"},
                                                             {"Country": "CA", "Subdivision": "QC"}]}
    assert by_id[qualifications.PERCENT_APPROVED]["IntegerValues"] == [98]
    assert by_id[qualifications.NUMBER_APPROVED]["IntegerValues"] == [500]
    assert qualifications.MASTERS["local"] in by_id
    with store.session() as s:
        participated = s.scalars(select(QualificationType)).one()
    assert by_id[participated.qualification_type_id]["Comparator"] == "DoesNotExist"
    assert qualifications.masters("production")["QualificationTypeId"] == "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"

    # A worker who took part (ingested) is kept out of the next round's HITs.
    excluding = WorkSpec(title="Label", description="Pick", reward_cents=5, max_assignments=2,
                         qualifications={"exclude_past_participants": True})
    first = mt.create_work("cats", study.task_ids[:1], excluding).hit_ids[0]
    work(sim, first, "A1VETERAN")
    work(sim, first, "A1OTHER")
    mt.sync()
    mt.ingest()
    second = mt.create_work("cats", study.task_ids[1:2], excluding).hit_ids[0]
    with pytest.raises(RuntimeError, match="does not meet the qualification"):
        SimulatedWorker(sim.url, "A1VETERAN").accept(second)
    assert SimulatedWorker(sim.url, "A1NEWCOMER").accept(second)["HITId"] == second


def test_extend_expire_delete(mt, sim, study, store):
    hit_id = mt.create_work("cats", study.task_ids[:1], SPEC).hit_ids[0]
    before = sim.client().get_hit(HITId=hit_id)["HIT"]
    row = mt.extend(hit_id, assignments=3, seconds=3600)
    after = sim.client().get_hit(HITId=hit_id)["HIT"]
    assert row.max_assignments == after["MaxAssignments"] == 5
    assert (after["Expiration"] - before["Expiration"]).total_seconds() == pytest.approx(3600, abs=1)
    assert mt.extend(hit_id, assignments=3).max_assignments == 8  # another extension from the new state
    with pytest.raises(ValidationError) as caught:
        mt.extend(hit_id)
    assert caught.value.field == "assignments"
    row = mt.expire(hit_id)
    assert row.status == "reviewable" and sim.client().get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"
    assert mt.delete(hit_id).status == "disposed"
    with store.session() as s:
        kinds = [e.type for e in s.scalars(select(Event).where(Event.type.startswith("mturk.hit.")).order_by(Event.id))]
    assert kinds == ["mturk.hit.created", "mturk.hit.extended", "mturk.hit.extended", "mturk.hit.expired",
                     "mturk.hit.deleted"]


def test_associate_a_hit_created_elsewhere(mt, sim, study, store):
    from workbench.devtools.mturk_sim.seeding import external_question

    elsewhere = sim.client().create_hit(
        Title="Made in the console", Description="d", Reward="0.30", AssignmentDurationInSeconds=600,
        LifetimeInSeconds=3600, MaxAssignments=1, Question=external_question("https://example.org/x"))["HIT"]["HITId"]
    row = mt.associate(elsewhere, "cats", study.task_ids[2])
    assert (row.project_id, row.task_id, row.reward_cents, row.environment) == (study.project.id, study.task_ids[2],
                                                                                 30, "local")
    work(sim, elsewhere, "A1ANY", {"label": "dog"})
    mt.sync()
    assert mt.ingest().ingested == 1
    again = mt.associate(elsewhere, "cats", study.task_ids[3])
    assert again.task_id == study.task_ids[3]
    with store.session() as s:
        assert len(list(s.scalars(select(HIT)))) == 1


def test_sync_adopts_hits_it_did_not_know_by_their_annotation(mt, sim, study, store):
    hit_id = mt.create_work("cats", study.task_ids[:1], WorkSpec(title="t", description="d", reward_cents=5)).hit_ids[0]
    with store.transaction() as s:  # the store lost the row (restored from an old backup)
        s.delete(s.scalars(select(HIT)).one())
    work(sim, hit_id, "A1W")
    result = mt.sync()
    assert result.hits_inserted == 1
    with store.session() as s:
        row = s.scalars(select(HIT)).one()
    assert (row.hit_id, row.project_id, row.task_id) == (hit_id, study.project.id, study.task_ids[0])
    assert mt.ingest().ingested == 1


@pytest.mark.parametrize("base_url, why", [
    (None, "is not set"),                                        # the old fallback, http://127.0.0.1:8888
    ("http://127.0.0.1:8888", "loopback, private or reserved"),
    ("https://10.1.2.3", "loopback, private or reserved"),
    ("https://192.168.0.7:8443", "loopback, private or reserved"),
    ("https://[::1]", "loopback, private or reserved"),
    ("https://localhost", "names this machine or a private network"),
    ("https://annotate.internal", "names this machine or a private network"),
    ("http://annotate.example.org", "is not https"),
])
def test_real_workers_are_never_sent_to_an_address_they_cannot_reach(store, sim, study, monkeypatch, base_url, why):
    """Outside ``local`` the refusal comes before MTurk is asked anything, and names the setting to change."""
    monkeypatch.delenv("WORKBENCH_PUBLIC_BASE_URL", raising=False)
    sandbox = MTurkProvider(store, environment="sandbox", client=sim.client())
    sim.reset_call_count()
    with pytest.raises(ValidationError) as caught:
        sandbox.create_work("cats", study.task_ids[:1], SPEC, base_url=base_url)
    assert caught.value.field == "public_base_url" and why in caught.value.reason
    assert "WORKBENCH_PUBLIC_BASE_URL" in caught.value.reason
    assert sim.call_count == {}
    with store.session() as s:
        assert s.scalars(select(HIT)).all() == []


def test_a_public_https_address_is_taken_in_the_sandbox_and_anything_local_in_local(mt, store, sim, study,
                                                                                    monkeypatch):
    monkeypatch.setenv("WORKBENCH_PUBLIC_BASE_URL", "https://annotate.example.org")
    sandbox = MTurkProvider(store, environment="sandbox", client=sim.client())
    [hit_id] = sandbox.create_work("cats", study.task_ids[:1], SPEC).hit_ids
    assert "https://annotate.example.org/workbench/annotate/" in sim.client().get_hit(HITId=hit_id)["HIT"]["Question"]
    monkeypatch.delenv("WORKBENCH_PUBLIC_BASE_URL")
    assert mt.create_work("cats", study.task_ids[1:2], SPEC).created == 1  # local: this machine is fine
