"""``review.reject(category=)``: filed under the platform's own rejection categories, refused where it has none."""

from __future__ import annotations

import pytest

from workbench import review
from workbench.crowd.providers import get_provider
from workbench.errors import ValidationError

from tests.prolific.conftest import provider, sim, sim_faults, study  # noqa: F401 (fixtures)

MESSAGE = "x" * 120


def test_a_category_prolific_does_not_have_is_refused_before_any_call(provider, sim, study):
    calls = sum(sim.status()["calls"].values())
    with pytest.raises(ValidationError) as refused:
        review.reject(provider, "S-ANY", MESSAGE, category="SLOPPY")
    assert refused.value.field == "category" and "LOW_EFFORT" in refused.value.reason
    assert sum(sim.status()["calls"].values()) == calls


def test_a_platform_without_categories_refuses_one(store):
    panel = get_provider("link-out", store=store)
    with pytest.raises(ValidationError) as refused:
        review.reject(panel, "S-ANY", "Not what was asked.", category="LOW_EFFORT")
    assert refused.value.field == "category" and "no category" in refused.value.reason
