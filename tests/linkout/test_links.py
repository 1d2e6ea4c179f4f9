"""A link's settings and what it hands out, on a real store: the redirect template cannot choose the host, a
link gives only its own tasks, an excluded project is checked when the link is made, and a rerun that asks for
other tasks, reward or spec is refused rather than ignored."""

from __future__ import annotations

import pytest

from workbench.crowd.providers.linkout import links
from workbench.errors import ValidationError

from .conftest import SPEC


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
