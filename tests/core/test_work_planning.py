"""Planning crowd work: which tasks a filter picks (crowd.work)."""

from __future__ import annotations

from workbench.study import tasks
from workbench.crowd import work
from workbench.store.models import HIT


def test_a_task_on_a_hit_elsewhere_is_still_picked_for_this_environment(study):
    with study.store.transaction() as s:
        ids = [tasks.create(s, "cats", "classification:1.0", payload={"n": n}).id for n in range(3)]
        s.add(HIT(environment="sandbox", hit_id="SANDBOX1", project_id=study.project.id, task_id=ids[0]))
        s.add(HIT(environment="production", hit_id="PROD1", project_id=study.project.id, task_id=ids[1]))
    with study.store.session() as s:
        assert work.select_tasks(s, "cats", environment="production") == [ids[0], ids[2]]
        assert work.select_tasks(s, "cats", environment="sandbox") == [ids[1], ids[2]]
        assert work.select_tasks(s, "cats") == [ids[2]]  # on a HIT in any environment
        assert work.select_tasks(s, "cats", without_hits=False) == ids
