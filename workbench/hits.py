"""HITs, in the researcher's words: ``hits.create_for_tasks(provider, "birds", task_ids, spec)``.

Thin names over the provider (one implementation, in ``workbench.providers``); ``provider``
is what ``workbench.providers.get_provider`` returns.
"""

from __future__ import annotations

from typing import Any, Sequence

from .providers import CrowdProvider, WorkSpec


def create_for_tasks(provider: CrowdProvider, project: int | str, task_ids: Sequence[int | None], spec: WorkSpec,
                     **options: Any):
    """One HIT per task, in idempotent batches (``round``, ``batch_size``, ``progress``, ``actor``)."""
    return provider.create_work(project, task_ids, spec, **options)


def extend(provider: CrowdProvider, hit_id: str, *, assignments: int = 0, seconds: int = 0, actor: str = ""):
    return provider.extend(hit_id, assignments=assignments, seconds=seconds, actor=actor)


def expire(provider: CrowdProvider, hit_id: str, *, actor: str = ""):
    return provider.expire(hit_id, actor=actor)


def delete(provider: CrowdProvider, hit_id: str, *, actor: str = ""):
    return provider.delete(hit_id, actor=actor)


def associate(provider: CrowdProvider, hit_id: str, project: int | str, task_id: int | None = None, *,
              actor: str = ""):
    return provider.associate(hit_id, project, task_id, actor=actor)


def list_(provider: CrowdProvider, **filters: Any) -> list[dict[str, Any]]:
    """Recorded HITs of the provider's environment (``project``, ``status``, ``task_id``, ``limit``, ``offset``)."""
    from .providers.mturk.hits import list_hits

    with provider.store.session() as s:
        return [h.to_dict() for h in list_hits(s, provider.environment, **filters)]
