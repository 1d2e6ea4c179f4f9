"""A link's settings and what it hands out, on a real store: the redirect template cannot choose the host, a
link gives only its own tasks, an excluded project is checked when the link is made, and a rerun that asks for
other tasks, reward or spec is refused rather than ignored."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from workbench.crowd import worker_sessions
from workbench.crowd.providers import WorkSpec
from workbench.crowd.providers.linkout import LinkClosed, ParticipantRefused, links
from workbench.errors import ConflictError, ValidationError
from workbench.store.models import HIT, WorkerSession
from workbench.study import projects
from tests.concurrently import concurrently

from .conftest import SPEC, take_part


@pytest.mark.parametrize("template", [
    "https://{participant}/done?c={code}",
    "https://panel.example.org{participant}/x",
    "https://{link}.panel.example.org/done?c={code}",
    "https://panel.example.org:{code}/done",
    "http{link}://panel.example.org/done",
])
def test_a_placeholder_in_the_scheme_host_or_port_is_refused(provider, cats, template):
    with pytest.raises(ValidationError) as refused:
        provider.create_work("cats", cats.task_ids, SPEC, completion_url=template)
    assert refused.value.field == "completion_url" and "path, query or fragment" in str(refused.value)


def test_placeholders_in_the_path_query_and_fragment_are_filled_encoded(provider, cats):
    template = "https://panel.example.org/done/{link}?c={code}#{participant}"
    link = provider.create_work("cats", cats.task_ids, SPEC, completion_url=template).hit_ids[0]
    target = links.completion_target({"completion_url": template}, code="C1", participant="evil.example/x", link=link)
    assert target == f"https://panel.example.org/done/{link}?c=C1#evil.example%2Fx"


def _handed_out(store, participant: str) -> list[int]:
    with store.session() as s:
        return s.scalars(select(WorkerSession.task_ids).where(WorkerSession.provider == "link-out",
                                                              WorkerSession.worker_id == participant)).one()


def test_a_link_hands_out_only_its_own_tasks(provider, cats, store):
    link = provider.create_work("cats", cats.task_ids[3:], SPEC).hit_ids[0]  # the project has four open tasks
    take_part(provider, link, "P1")
    assert _handed_out(store, "P1") == cats.task_ids[3:]


def test_a_link_turns_new_participants_away_once_its_tasks_are_done(provider, cats, store):
    """Each cats task wants one answer (``target_annotations`` 1), so of the link's eight places (4 tasks × 2) four
    participants who finish use up its work; the fifth is turned away at entry, not let in to find no task."""
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    for n in range(4):
        assert not take_part(provider, link, f"P{n}").no_task
    with pytest.raises(LinkClosed) as full:
        take_part(provider, link, "P4")
    assert (full.value.field, full.value.reason) == ("link", "full")
    with store.session() as s:
        assert sorted(t for ts in s.scalars(select(WorkerSession.task_ids)) for t in ts) == sorted(cats.task_ids)
        assert s.scalars(select(WorkerSession.status).where(WorkerSession.status == "no_task")).all() == []


def test_an_unknown_excluded_project_is_refused_when_the_link_is_made(provider, cats, store):
    spec = WorkSpec(**{**SPEC.to_dict(), "qualifications": {"exclude_projects": ["no-such-project"]}})
    with pytest.raises(ValidationError) as refused:
        provider.create_work("cats", cats.task_ids, spec)
    assert refused.value.field == "qualifications.exclude_projects" and "no-such-project" in str(refused.value)
    with store.session() as s:
        assert s.scalars(select(HIT.id)).all() == []


def test_excluded_projects_are_kept_by_id_and_one_deleted_since_is_skipped(provider, cats, store):
    first = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    take_part(provider, first, "P1")
    with store.transaction() as s:
        pilot = projects.create(s, "pilot").id
    spec = WorkSpec(**{**SPEC.to_dict(), "qualifications": {"exclude_projects": ["cats", "pilot"]}})
    second = provider.create_work("cats", cats.task_ids, spec, round=1).hit_ids[0]
    with store.session() as s:
        kept = s.scalars(select(HIT.payload).where(HIT.hit_id == second)).one()["exclude_projects"]
    assert kept == [cats.project.id, pilot]
    with store.transaction() as s:
        projects.delete(s, "pilot")
    with pytest.raises(ParticipantRefused) as refused:
        take_part(provider, second, "P1")
    assert refused.value.reason == "took part before"
    assert take_part(provider, second, "P2").code


@pytest.mark.parametrize("tasks, change, field", [
    (slice(None), {}, None),
    (slice(0, 2), {}, "task_ids"),
    (slice(None), {"reward_cents": 900}, "reward_cents"),
    (slice(None), {"title": "Label dogs"}, "title"),
    (slice(None), {"qualifications": {"exclude_past_participants": True}}, "qualifications"),
])
def test_a_rerun_that_asks_for_other_tasks_reward_or_spec_is_refused(provider, cats, tasks, change, field):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    spec = WorkSpec(**{**SPEC.to_dict(), **change})
    if field is None:
        assert provider.create_work("cats", cats.task_ids[tasks], spec).hit_ids == [link]
        return
    with pytest.raises(ConflictError) as refused:
        provider.create_work("cats", cats.task_ids[tasks], spec)
    assert (refused.value.status, refused.value.field) == (409, field)


def test_concurrent_creates_with_other_settings_are_refused_not_handed_the_link(provider, cats, store):
    urls = iter([None, "https://panel.example.org/done?c={code}"] * 4)
    lock = threading.Lock()

    def make():
        with lock:
            url = next(urls)
        return url, provider.create_work("cats", cats.task_ids, SPEC, completion_url=url)

    results, errors = concurrently(make, times=8)
    with store.session() as s:
        made = s.scalars(select(HIT.payload)).one()["completion"].get("url_template")
    assert {url for url, _ in results} == {made}  # every caller given the link asked for its settings
    assert len(errors) == 4 and all(isinstance(e, ConflictError) and e.field == "completion_url" for e in errors)


def test_resume_refuses_a_link_whose_time_is_up_and_extend_reopens_it(provider, cats, store):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    provider.expire(link)
    with pytest.raises(ConflictError) as refused:
        provider.resume(link)
    assert (refused.value.field, refused.value.reason) == ("hit_id", "expired") and "seconds=" in refused.value.hint
    with store.session() as s:
        assert s.scalars(select(HIT.status)).one() == "expired"  # left as it was
    assert provider.extend(link, seconds=3600).status == "assignable"
    assert take_part(provider, link, "P1").code
    provider.pause(link)
    assert provider.resume(link).status == "assignable"  # paused within its time: resumed as it was


def start_only(provider, link: str, participant: str) -> list[int]:
    """A participant admitted who has not answered yet: the tasks their new session was given."""
    with provider.store.transaction() as s:
        provider.admit(s, link, participant, provider.session_id(link, participant))
        worker_sessions.visit(s, "link-out", provider.session_id(link, participant), participant, link)
    return _handed_out(provider.store, participant)


def test_participants_who_arrive_together_are_spread_over_the_tasks(provider, cats, store):
    """Four arrivals before anyone answers get the four tasks, one each (given the first open task, all four
    would annotate it and the other three would be short once places ran out)."""
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    given = [start_only(provider, link, f"A{n}") for n in range(4)]
    assert sorted(t for ts in given for t in ts) == sorted(cats.task_ids)


def test_a_task_an_abandoned_session_holds_is_still_handed_out(provider, cats, store):
    link = provider.create_work("cats", cats.task_ids, SPEC).hit_ids[0]
    held = start_only(provider, link, "GONE")           # starts, then never comes back
    for n in range(3):
        assert not take_part(provider, link, f"P{n}").no_task
    late = take_part(provider, link, "LATE")             # the one task left is the abandoned one's
    assert not late.no_task and _handed_out(store, "LATE") == held
