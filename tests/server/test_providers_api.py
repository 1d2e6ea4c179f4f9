"""GET /workbench/api/providers and the provider listings' words, through a real Jupyter server."""

from __future__ import annotations

import pytest


async def test_providers_lists_each_with_its_environments_words_and_capabilities(fetch_json, monkeypatch):
    monkeypatch.delenv("MTURK_ENVIRONMENT", raising=False)
    monkeypatch.setenv("PROLIFIC_ENVIRONMENT", "production")  # the default a request names none of
    status, data, _ = await fetch_json("workbench", "api", "providers")
    assert status == 200
    by_name = {p["name"]: p for p in data["items"]}
    assert {"mturk", "prolific", "link-out"} <= set(by_name)
    mturk, prolific = by_name["mturk"], by_name["prolific"]
    # MTurk's environments and words: the workbench's model (AWS calls them HIT, assignment, worker).
    assert mturk["environments"] == ["local", "sandbox", "production"] and mturk["environment"] == "local"
    assert (mturk["words"]["work"], mturk["words"]["attempt"], mturk["words"]["worker"]) == \
        ("HIT", "assignment", "worker")
    # Prolific's own words (its API: studies, submissions, participants); no sandbox.
    assert prolific["environments"] == ["local", "production"] and prolific["environment"] == "production"
    assert prolific["words"] == {"platform": "Prolific", "work": "study", "works": "studies",
                                 "attempt": "submission", "attempts": "submissions", "worker": "participant",
                                 "workers": "participants"}
    assert {"pause", "bulk_approve", "request_return"} <= set(prolific["capabilities"])
    assert "pause" not in mturk["capabilities"] and "qualification_requirements" in mturk["capabilities"]


def test_the_spec_names_every_capability_a_provider_can_answer_with():
    from server_ext.handlers.docs import spec
    from workbench.crowd import capabilities, providers

    named = spec()["components"]["schemas"]["Provider"]["properties"]["capabilities"]["items"]["enum"]
    assert set(named) == set(capabilities.ALL)
    for name in providers.names():
        assert capabilities.of(providers.provider_class(name)) <= set(capabilities.ALL), name


async def test_providers_refuses_anonymous(fetch_json):
    status, _, _ = await fetch_json("workbench", "api", "providers", headers={"Authorization": ""})
    assert status == 403


@pytest.mark.parametrize("listing", ["hits", "assignments", "workers"])
async def test_mturk_listings_carry_the_provider_and_its_words(fetch_json, study, listing, monkeypatch):
    monkeypatch.delenv("MTURK_ENVIRONMENT", raising=False)
    status, page, _ = await fetch_json("workbench", "api", "mturk", listing)
    assert status == 200 and page["items"] == []
    assert page["provider"] == "mturk" and page["words"]["works"] == "HITs" and page["words"]["attempts"] == \
        "assignments"
