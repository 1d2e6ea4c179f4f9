"""The simulated crowd's behaviour model (``devtools.behaviour``): skill shows in accuracy, spammers are fast
and at chance, the shares and the dropout rate are what the profile says, the same seed gives the same crowd,
results have the plugins' shapes, and the telemetry of a visit agrees with itself."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.devtools import behaviour
from workbench.devtools.behaviour import CrowdProfile, WorkerTraits, answer, answer_rng, draw_workers
from workbench.errors import ValidationError

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
# The classification plugin's default labels (plugins/classification/manifest.json): k = 4, chance = 1/4.
LABELS = ("cat", "dog", "bird", "other")
WORKERS, ITEMS, SEED = 200, 20, 0
TEXT = "A red square above a green triangle on a pale background"


@pytest.fixture(scope="module")
def crowd() -> pd.DataFrame:
    """200 workers (default profile) each answer the same 20 classification items; one row per answer."""
    profile = CrowdProfile(labels=LABELS)
    truths = [LABELS[i % len(LABELS)] for i in range(ITEMS)]
    rows = []
    for worker in draw_workers(WORKERS, profile, SEED):
        for item, truth in enumerate(truths):
            acted = answer(worker, {"labels": [truth]}, "classification", answer_rng(SEED, worker.worker_id, item),
                           profile=profile)
            rows.append({"worker": worker.worker_id, "skill": worker.skill, "spammer": worker.spammer,
                         "dropped": acted.dropped, "seconds": acted.seconds,
                         "correct": not acted.dropped and acted.result == {"labels": [truth]}})
    return pd.DataFrame(rows)


def test_accuracy_of_honest_workers_follows_their_skill(crowd):
    answered = crowd[~crowd.dropped & ~crowd.spammer]
    per_worker = answered.groupby("worker").agg(accuracy=("correct", "mean"), skill=("skill", "first"))
    # Spearman's rho: Pearson's r of the (average) ranks. With 20 items a worker's accuracy carries binomial
    # noise of sd sqrt(0.8 * 0.2 / 20) = 0.09 against a skill spread of sd 0.12 (Beta(8, 2)), so rho near 0.8.
    rho = per_worker.accuracy.rank().corr(per_worker.skill.rank())
    assert rho >= 0.7


def test_spammers_answer_at_chance(crowd):
    answered = crowd[~crowd.dropped & crowd.spammer]
    n = len(answered)
    assert n >= 100  # about 20 spammers x 20 items; fewer would make the bound below too loose to mean much
    # chance is 1/4 (four labels); three binomial standard deviations of a proportion over n answers
    tolerance = 3 * math.sqrt(0.25 * 0.75 / n)
    assert abs(answered.correct.mean() - 0.25) <= tolerance


def test_the_spammer_share_is_the_profiles():
    spammers = sum(w.spammer for w in draw_workers(WORKERS, CrowdProfile(), SEED))
    # Binomial(200, 0.1): mean 20, sd sqrt(200 * 0.1 * 0.9) = 4.24; mean +- 3 sd = [7.3, 32.7]
    assert 8 <= spammers <= 32


def test_pasters_and_spammers_do_not_overlap_and_pasters_come_at_their_share():
    crowd = draw_workers(1000, CrowdProfile(), SEED)
    assert not any(w.spammer and w.paster for w in crowd)
    # Binomial(1000, 0.2): mean 200, sd sqrt(1000 * 0.2 * 0.8) = 12.6; mean +- 3 sd = [162, 238]
    assert 162 <= sum(w.paster for w in crowd) <= 238


def test_spammers_are_faster_and_time_moves(crowd):
    answered = crowd[~crowd.dropped]
    spam, honest = answered[answered.spammer].seconds.median(), answered[~answered.spammer].seconds.median()
    assert spam < honest
    # the profile's median for a classification is 8 s (a modelling choice); a crowd of 200 lands near it
    assert 5 <= honest <= 12
    assert (crowd.seconds > 0).all()


def test_dropouts_come_at_the_configured_rate(crowd):
    # 4000 accepted tasks at rate 0.05: Binomial mean 200, sd sqrt(4000 * 0.05 * 0.95) = 13.8; +- 3 sd
    assert 159 <= crowd.dropped.sum() <= 241


def test_a_dropout_submits_nothing():
    worker = WorkerTraits("w", 0.9, False, False, 1.0)
    acted = answer(worker, {"labels": ["cat"]}, "classification", answer_rng(1, "w", 1),
                   profile=CrowdProfile(dropout_rate=1.0), labels=LABELS)
    assert acted.dropped and acted.result is None and acted.seconds > 0


def test_the_same_seed_gives_the_same_crowd_and_answers():
    def run(seed):
        profile = CrowdProfile(labels=LABELS)
        workers = draw_workers(30, profile, seed)
        return workers, [answer(w, {"labels": ["dog"]}, "classification", answer_rng(seed, w.worker_id, i),
                                profile=profile) for i, w in enumerate(workers)]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_given_ids_name_the_workers():
    crowd = draw_workers(2, CrowdProfile(), 1, ids=["A1SIMWORKER0001", "A1SIMWORKER0002"])
    assert [w.worker_id for w in crowd] == ["A1SIMWORKER0001", "A1SIMWORKER0002"]
    with pytest.raises(ValidationError) as refused:
        draw_workers(3, CrowdProfile(), 1, ids=["only-one"])
    assert refused.value.field == "ids"


def test_a_biased_worker_picks_their_favourite_when_wrong():
    # skill 0: always wrong; all the bias on "bird"
    worker = WorkerTraits("w", 0.0, False, False, 1.0, {"cat": 0.0, "dog": 0.0, "bird": 1.0, "other": 0.0})
    profile = CrowdProfile(dropout_rate=0.0)
    said = {answer(worker, {"labels": ["cat"]}, "classification", answer_rng(2, "w", i), profile=profile,
                   labels=LABELS).result["labels"][0] for i in range(50)}
    assert said == {"bird"}


def test_boxes_are_jittered_by_lack_of_skill():
    truth = {"boxes": [{"x": 100, "y": 100, "w": 120, "h": 80, "label": "cat"}]}
    profile = CrowdProfile(dropout_rate=0.0)

    def mean_shift(skill):
        worker = WorkerTraits("w", skill, False, False, 1.0)
        shifts = [abs(answer(worker, truth, "bounding-box", answer_rng(3, "w", i), profile=profile,
                             labels=LABELS).result["boxes"][0]["x"] - 100) for i in range(200)]
        return sum(shifts) / len(shifts)

    assert mean_shift(1.0) == 0  # a perfect worker draws the true box
    assert mean_shift(0.9) < mean_shift(0.5)


def test_free_text_honest_pasting_and_spamming():
    truth, profile = {"text": TEXT}, CrowdProfile(dropout_rate=0.0)
    perfect = answer(WorkerTraits("a", 1.0, False, False, 1.0), truth, "free-text", answer_rng(4, "a", 1),
                     profile=profile)
    assert perfect.result == {"text": TEXT} and perfect.telemetry["pastes"] == []
    assert perfect.telemetry["keystrokes"] >= len(TEXT)
    pasted = answer(WorkerTraits("b", 0.9, False, True, 1.0), truth, "free-text", answer_rng(4, "b", 1),
                    profile=profile)
    assert pasted.result["text"] != TEXT and pasted.telemetry["pastes"]
    spam = answer(WorkerTraits("c", 0.9, True, False, 0.15), truth, "free-text", answer_rng(4, "c", 1),
                  profile=profile)
    assert spam.result["text"] != TEXT and spam.seconds < perfect.seconds


def _schema(plugin: str) -> dict:
    """The plugin's own default schema, with the labels enum the server adds from ui_config (plugins/README)."""
    schema = json.loads((PLUGINS / plugin / "manifest.json").read_text())["default_definition"]["label_schema"]
    if plugin == "classification":
        schema["properties"]["labels"]["items"]["enum"] = list(LABELS)
    if plugin == "bounding-box":
        schema["properties"]["boxes"]["items"]["properties"]["label"]["enum"] = list(LABELS)
    return schema


ROLES = st.sampled_from(["honest", "spammer", "paster"])
KINDS = st.sampled_from(["classification", "bounding-box", "free-text"])
TRUTHS = {"classification": {"labels": ["dog"]}, "free-text": {"text": TEXT},
          "bounding-box": {"boxes": [{"x": 600, "y": 10, "w": 60, "h": 50, "label": "cat"},
                                     {"x": 5, "y": 400, "w": 30, "h": 90, "label": "bird"}]}}


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 10**6), kind=KINDS, role=ROLES, skill=st.floats(0, 1),
       speed=st.floats(0.01, 20))
def test_results_fit_the_plugins_and_telemetry_agrees_with_itself(seed, kind, role, skill, speed):
    worker = WorkerTraits("w", skill, role == "spammer", role == "paster", speed)
    acted = answer(worker, TRUTHS[kind], kind, answer_rng(seed, "w", kind), labels=LABELS)
    t = acted.telemetry
    assert set(t) == set(behaviour.TELEMETRY_KEYS)
    total_ms = acted.seconds * 1000
    assert 0 <= t["active_ms"] <= t["visible_ms"] <= total_ms + 1  # +1: the seconds are rounded to the ms
    assert 0 <= t["first_interaction_ms"] <= total_ms + 1
    assert t["blur_count"] == len(t["blurs_at_ms"]) and t["focus_count"] == t["blur_count"] + 1
    assert t["blurs_at_ms"] == sorted(t["blurs_at_ms"]) and all(0 <= b <= total_ms + 1 for b in t["blurs_at_ms"])
    assert all(p["at_ms"] <= total_ms + 1 for p in t["pastes"])
    if acted.dropped:
        assert acted.result is None
        return
    jsonschema.validate(acted.result, _schema(kind))
    text = acted.result.get("text", "")
    assert t["final_text_length"] == len(text.strip())
    pasted = sum(p["length"] for p in t["pastes"])
    if role == "paster" and kind == "free-text":
        assert pasted >= len(text) / 2
        assert t["pastes"][0]["at_ms"] > t["blurs_at_ms"][0]  # they left the page, then pasted
    else:
        assert pasted == 0 and t["keystrokes"] >= len(text)


def test_a_profile_that_cannot_be_is_refused():
    with pytest.raises(ValidationError) as refused:
        CrowdProfile(spammer_share=0.6, paster_share=0.6)
    assert refused.value.field == "paster_share"
    with pytest.raises(ValidationError) as refused:
        CrowdProfile(median_seconds={"classification": 8.0})
    assert refused.value.field == "median_seconds.bounding-box"
    with pytest.raises(ValidationError) as refused:
        answer(WorkerTraits("w", 0.5, False, False, 1.0), {"labels": ["cat"]}, "classification", answer_rng(0, "w", 0))
    assert refused.value.field == "labels"
