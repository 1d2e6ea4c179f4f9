"""Review flags of possible LLM use and low effort (issue 17): each rule flags its hand-made case, stays quiet just
below its threshold, and carries the numbers that raised it; nothing here rejects anyone.

The numbers are worked by hand in the comments. Property tests are bounded and derandomized.
"""

from __future__ import annotations

import difflib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.study import flags
from workbench.study.flags import Thresholds, duplicate_texts, evaluate, thresholds_from
from workbench.study.telemetry import parse_telemetry

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

#: A 200-character answer typed at 2 characters a second (200 / 100 s) with more key presses than characters,
#: no pastes and no blur: honest on every rule.
HONEST = {"visible_ms": 120_000, "active_ms": 100_000, "focus_count": 1, "blur_count": 0, "blurs_at_ms": [],
          "pastes": [], "keystrokes": 250, "first_interaction_ms": 3_000, "final_text_length": 200}
TEXT = "a" * 200


def page(**changes):
    return parse_telemetry({**HONEST, **changes})


def kinds(telemetry, *, text=TEXT, seconds=120.0, gold_passed=(), thresholds=Thresholds()):
    found = evaluate(telemetry, text=text, seconds=seconds, gold_passed=gold_passed, thresholds=thresholds)
    return [flag.kind for flag in found]


def test_the_honest_page_raises_nothing():
    assert kinds(page(), thresholds=Thresholds(expected_seconds=120)) == []


def test_nothing_here_rejects():
    # Flags are for review only (issue 17): the module offers no way to reject or decide.
    assert [name for name in dir(flags) if "reject" in name.lower() or "decide" in name.lower()] == []


# -- paste_majority ------------------------------------------------------------------
def test_paste_majority_at_half_the_answer():
    # 100 pasted / 200 final = 0.5, the default threshold (at or above flags).
    found = evaluate(page(pastes=[{"at_ms": 5_000, "length": 100}]), text=TEXT, seconds=120.0,
                     thresholds=Thresholds())
    assert [flag.kind for flag in found] == ["paste_majority"]
    assert found[0].evidence == {"pasted_chars": 100, "final_text_length": 200, "share": 0.5, "threshold": 0.5}


def test_paste_majority_quiet_just_below():
    # 99 / 200 = 0.495 < 0.5.
    assert kinds(page(pastes=[{"at_ms": 5_000, "length": 99}])) == []


def test_paste_majority_sums_the_pastes():
    # 60 + 40 = 100 pasted of 200 = 0.5.
    assert kinds(page(pastes=[{"at_ms": 5_000, "length": 60}, {"at_ms": 9_000, "length": 40}])) == ["paste_majority"]


def test_text_rules_skip_a_short_answer():
    # 39 characters, all pasted, is under min_text_length (40): one pasted phrase says nothing.
    assert kinds(page(final_text_length=39, keystrokes=0, pastes=[{"at_ms": 5_000, "length": 39}])) == []
    # 40 is long enough: 40 / 40 = 1.0 pasted.
    assert kinds(page(final_text_length=40, keystrokes=0, pastes=[{"at_ms": 5_000, "length": 40}])) == [
        "paste_majority"]


def test_text_rules_skip_a_task_without_text():
    assert kinds(page(keystrokes=0, pastes=[{"at_ms": 5_000, "length": 200}]), text=None) == []


def test_the_text_length_stands_in_when_the_page_did_not_count_it():
    # No final_text_length: len(text) = 200, of which 100 pasted = 0.5.
    telemetry = parse_telemetry({**HONEST, "final_text_length": None, "pastes": [{"at_ms": 1, "length": 100}]})
    assert kinds(telemetry) == ["paste_majority"]


# -- typing_too_fast -------------------------------------------------------------------
@pytest.mark.parametrize("changes, evidence", [
    # 200 - 100 key presses - 0 pasted = 100 unexplained; 100 / 200 = 0.5, the default share.
    ({"keystrokes": 100}, {"unexplained_chars": 100, "keystrokes": 100}),
    # 200 typed characters in 13.0 active seconds = 15.38 a second > 15.
    ({"active_ms": 13_000}, {"chars_per_second": 15.38, "active_seconds": 13.0}),
])
def test_typing_too_fast(changes, evidence):
    found = evaluate(page(**changes), text=TEXT, seconds=120.0)
    assert [flag.kind for flag in found] == ["typing_too_fast"]
    assert {key: found[0].evidence[key] for key in evidence} == evidence


@pytest.mark.parametrize("changes", [
    {"keystrokes": 101},  # 200 - 101 = 99 unexplained; 99 / 200 = 0.495 < 0.5
    {"active_ms": 13_334},  # 200 / 13.334 s = 14.9993 a second, under 15
    {"keystrokes": 0, "pastes": None},  # no paste list: pasted text cannot be told from text from nowhere
])
def test_typing_too_fast_quiet_near_its_thresholds(changes):
    assert kinds(page(**changes)) == []


def test_typing_speed_falls_back_to_visible_time():
    # No active time: 200 / 13.0 visible seconds = 15.38 > 15.
    assert kinds(parse_telemetry({**HONEST, "active_ms": None, "visible_ms": 13_000})) == ["typing_too_fast"]


def test_text_with_no_active_time_at_all():
    found = evaluate(page(active_ms=0), text=TEXT, seconds=120.0)
    assert [flag.kind for flag in found] == ["typing_too_fast"]
    assert found[0].evidence["chars_per_second"] is None


def test_pasted_text_does_not_count_as_typed():
    # 200 final, 170 pasted: 30 typed characters are under min_text_length (40), so no speed flag even in 1 s;
    # the paste itself is paste_majority (170 / 200 = 0.85).
    assert kinds(page(active_ms=1_000, pastes=[{"at_ms": 500, "length": 170}])) == ["paste_majority"]


# -- blur_then_paste -----------------------------------------------------------------
def test_a_long_paste_soon_after_leaving_the_page():
    # Left at 10 s, pasted 50 characters at 130 s: 120 s later, the window's edge; 50 / 200 = 0.25 is no majority.
    found = evaluate(page(blurs_at_ms=[10_000], pastes=[{"at_ms": 130_000, "length": 50}]), text=TEXT, seconds=140.0)
    assert [flag.kind for flag in found] == ["blur_then_paste"]
    assert found[0].evidence["events"] == [{"paste_at_ms": 130_000, "length": 50, "blur_at_ms": 10_000,
                                            "gap_ms": 120_000}]


@pytest.mark.parametrize("blurs, paste", [
    ([10_000], {"at_ms": 130_001, "length": 50}),  # 120.001 s after: past the window
    ([10_000], {"at_ms": 20_000, "length": 49}),  # one character short of 50
    ([10_000], {"at_ms": 9_000, "length": 50}),  # before the page was left
    ([10_000, 100_000], {"at_ms": 230_000, "length": 50}),  # 130 s after the latest blur
])
def test_blur_then_paste_quiet_near_its_thresholds(blurs, paste):
    assert kinds(page(blurs_at_ms=blurs, pastes=[paste])) == []


def test_blur_then_paste_reads_blurs_in_any_order():
    # Blurs sent out of order: the latest before the 60 s paste is 50 s, 10 s earlier.
    found = evaluate(page(blurs_at_ms=[50_000, 5_000, 90_000], pastes=[{"at_ms": 60_000, "length": 80}]),
                     text=TEXT, seconds=120.0)
    assert found[0].evidence["events"][0]["blur_at_ms"] == 50_000


# -- too_fast ----------------------------------------------------------------------------
def test_too_fast_against_a_third_of_the_expected_time():
    # expected 90 s: a third is 30 s; 29.9 s is quicker.
    found = evaluate(None, text=None, seconds=29.9, thresholds=Thresholds(expected_seconds=90))
    assert [flag.kind for flag in found] == ["too_fast"]
    assert found[0].evidence == {"seconds": 29.9, "min_seconds": 30.0, "expected_seconds": 90}
    assert evaluate(None, text=None, seconds=30.1, thresholds=Thresholds(expected_seconds=90)) == []


def test_too_fast_against_a_set_minimum():
    assert kinds(None, text=None, seconds=9.99, thresholds=Thresholds(min_seconds=10, expected_seconds=90)) == [
        "too_fast"]
    assert kinds(None, text=None, seconds=10.0, thresholds=Thresholds(min_seconds=10)) == []


def test_no_time_no_too_fast_flag():
    assert kinds(None, text=None, seconds=0.5) == []
    assert kinds(None, text=None, seconds=None, thresholds=Thresholds(min_seconds=10)) == []
    assert kinds(None, text=None, seconds=float("nan"), thresholds=Thresholds(min_seconds=10)) == []


# -- failed_gold ------------------------------------------------------------------------
def test_failed_gold():
    # 3 of 5 = 0.6 < 0.7 over 5 items, the minimum.
    found = evaluate(None, text=None, seconds=None, gold_passed=[True, True, True, False, False])
    assert [flag.kind for flag in found] == ["failed_gold"]
    assert found[0].evidence == {"items": 5, "passed": 3, "accuracy": 0.6, "threshold": 0.7, "min_items": 5}


@pytest.mark.parametrize("gold", [
    [True, True, True, True, False],  # 4 of 5 = 0.8: one slip
    [True] * 7 + [False] * 3,  # 7 of 10 = 0.7: at the threshold, not below
    [False] * 4,  # 0 of 4: too few items to judge
])
def test_failed_gold_quiet_near_its_thresholds(gold):
    assert kinds(None, text=None, seconds=None, gold_passed=gold) == []


# -- thresholds from a definition ----------------------------------------------------------
def test_thresholds_default_and_from_the_quality_block():
    assert thresholds_from({"ui_config": {}}) == Thresholds()
    # The documented defaults (flags.Thresholds): a literal copy, so a changed default shows here.
    assert Thresholds() == Thresholds(min_text_length=40, paste_share=0.5, unexplained_share=0.5,
                                      max_chars_per_second=15.0, blur_paste_min_chars=50,
                                      blur_paste_window_seconds=120.0, expected_seconds=None, min_seconds=None,
                                      too_fast_share=1 / 3, gold_min_accuracy=0.7, gold_min_items=5,
                                      duplicate_min_length=40, duplicate_similarity=0.9)
    read = thresholds_from({"quality": {"paste_share": 0.6, "expected_seconds": 60, "gold_min_items": 10}})
    assert (read.paste_share, read.too_fast_below, read.gold_min_items) == (0.6, 20.0, 10)  # 60 / 3 = 20


@pytest.mark.parametrize("quality, field", [
    ([], "quality"),
    ({"paste_limit": 0.5}, "quality.paste_limit"),
    ({"paste_share": 0}, "quality.paste_share"),  # 0 would flag every paste
    ({"paste_share": 1.01}, "quality.paste_share"),
    ({"paste_share": True}, "quality.paste_share"),
    ({"paste_share": "0.5"}, "quality.paste_share"),
    ({"paste_share": float("nan")}, "quality.paste_share"),
    ({"max_chars_per_second": float("inf")}, "quality.max_chars_per_second"),
    ({"gold_min_items": 2.5}, "quality.gold_min_items"),
    ({"gold_min_items": 0}, "quality.gold_min_items"),
    ({"min_text_length": True}, "quality.min_text_length"),
    ({"expected_seconds": -5}, "quality.expected_seconds"),
    ({"min_seconds": {"s": 3}}, "quality.min_seconds"),
    ({"duplicate_similarity": 0.4}, "quality.duplicate_similarity"),
])
def test_a_bad_quality_block_is_refused_naming_the_key(quality, field):
    with pytest.raises(ValidationError) as raised:
        thresholds_from({"quality": quality})
    assert raised.value.field == field


# -- duplicate text ----------------------------------------------------------------------
SENTENCE = ("the river floods the lower fields every spring so farmers plant late and harvest in the dry autumn "
            "months").split()  # 18 words


def test_the_same_text_from_two_workers_once_normalised():
    found = duplicate_texts({"w1": ["The river floods the lower fields every spring, so farmers wait."],
                             "w2": ["the  RIVER floods the lower fields\nevery spring, so farmers wait.  "],
                             "w3": ["Something else entirely, written by this worker alone today."]})
    assert [(flag.kind, flag.evidence["worker_id"], flag.evidence["similarity"]) for flag in found] == [
        ("duplicate_text", "w1", 1.0), ("duplicate_text", "w2", 1.0)]
    assert found[0].evidence["matches"] == [{"worker_id": "w2", "text_index": 0, "similarity": 1.0}]


def test_a_near_duplicate_with_one_word_changed():
    # 10 words, one replaced in the middle: 9 matching of 20 in all, ratio 2 * 9 / 20 = 0.9, the threshold.
    ten = SENTENCE[:10]
    changed = ten[:5] + ["meadows"] + ten[6:]
    found = duplicate_texts({"a": [" ".join(ten)], "b": [" ".join(changed)]})
    assert [(flag.evidence["worker_id"], flag.evidence["similarity"]) for flag in found] == [("a", 0.9), ("b", 0.9)]


def test_a_near_duplicate_quiet_just_below():
    # 9 words, one replaced: 2 * 8 / 18 = 0.889 < 0.9.
    nine = SENTENCE[:9]
    changed = nine[:4] + ["meadows"] + nine[5:]
    assert duplicate_texts({"a": [" ".join(nine)], "b": [" ".join(changed)]}) == []


def test_a_text_inside_a_longer_one_at_the_length_bound():
    # 9 words, and the same 9 with 2 more: 9 matching of 20, 2 * 9 / 20 = 0.9; 11 words is the longest a
    # partner of 9 can be and still reach 0.9 (9 * (2 - 0.9) / 0.9 = 11).
    nine = " ".join(SENTENCE[:9])
    found = duplicate_texts({"a": [nine], "b": [nine + " and more"]})
    assert [(flag.evidence["worker_id"], flag.evidence["similarity"]) for flag in found] == [("a", 0.9), ("b", 0.9)]
    # 3 more words: 2 * 9 / 21 = 0.857.
    assert duplicate_texts({"a": [nine], "b": [nine + " and more besides"]}) == []


def test_duplicates_of_ones_own_text_and_short_texts_are_not_flagged():
    text = " ".join(SENTENCE)
    assert duplicate_texts({"w1": [text, text]}) == []
    # "yes, the image shows a cat" is 26 characters, under min_length 40.
    assert duplicate_texts({"w1": ["yes, the image shows a cat"], "w2": ["yes, the image shows a cat"]}) == []


def test_every_worker_sharing_a_text_is_flagged_with_the_others():
    text = " ".join(SENTENCE)
    found = duplicate_texts({"w1": [text], "w2": ["unrelated words " * 4, text], "w3": [text.upper()]})
    assert [(flag.evidence["worker_id"], flag.evidence["text_index"], flag.evidence["match_count"])
            for flag in found] == [("w1", 0, 2), ("w2", 1, 2), ("w3", 0, 2)]
    assert found[1].evidence["workers"] == ["w1", "w3"]


def test_duplicate_settings_out_of_range_are_refused():
    with pytest.raises(ValidationError):
        duplicate_texts({}, threshold=1.5)


# Texts from 8 words, so that near duplicates are common; some copied from another worker with one change.
words = st.sampled_from("river field spring farmer plant late harvest dry".split())
texts_by_worker = st.dictionaries(st.sampled_from(["w1", "w2", "w3", "w4"]),
                                  st.lists(st.lists(words, min_size=6, max_size=16).map(" ".join), max_size=4),
                                  max_size=4)


@PROPERTY
@given(texts_by_worker, st.sampled_from([0.5, 0.7, 0.9, 1.0]))
def test_the_prefilter_never_loses_a_pair(texts, threshold):
    # Every pair of different workers' texts at or above the threshold in either order (difflib's ratio can
    # differ with the order), found here by comparing all pairs with difflib directly, is flagged; nothing else.
    expected = set()
    items = [(worker, index, text.split()) for worker, batch in texts.items() for index, text in enumerate(batch)
             if len(text) >= 10]
    for a in items:
        for b in items:
            if a[0] != b[0] and difflib.SequenceMatcher(None, a[2], b[2], autojunk=False).ratio() >= threshold:
                expected |= {(a[0], a[1]), (b[0], b[1])}
    found = duplicate_texts(texts, min_length=10, threshold=threshold)
    assert {(flag.evidence["worker_id"], flag.evidence["text_index"]) for flag in found} == expected


# -- properties of evaluate ----------------------------------------------------------------
MS = st.integers(min_value=0, max_value=604_800_000)
COUNT = st.integers(min_value=0, max_value=10_000_000)
records = st.fixed_dictionaries({}, optional={
    "visible_ms": MS, "active_ms": MS, "focus_count": COUNT, "blur_count": COUNT, "keystrokes": COUNT,
    "first_interaction_ms": MS, "final_text_length": COUNT, "blurs_at_ms": st.lists(MS, max_size=8),
    "pastes": st.lists(st.fixed_dictionaries({"at_ms": MS, "length": COUNT}, optional={"field": st.just("text")}),
                       max_size=8)})
some_thresholds = st.sampled_from([Thresholds(), Thresholds(expected_seconds=60), Thresholds(
    min_text_length=1, paste_share=1, unexplained_share=1, max_chars_per_second=1_000, blur_paste_min_chars=1,
    blur_paste_window_seconds=0.001, min_seconds=604_800, gold_min_accuracy=1, gold_min_items=1)])


@PROPERTY
@given(st.one_of(st.none(), records), st.one_of(st.none(), st.text(max_size=300)),
       st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), st.lists(st.booleans(), max_size=12),
       some_thresholds)
def test_evaluate_never_raises_and_its_evidence_is_plain_json(record, text, seconds, gold, thresholds):
    telemetry = None if record is None else parse_telemetry(record)
    found = evaluate(telemetry, text=text, seconds=seconds, gold_passed=gold, thresholds=thresholds)
    assert all(flag.kind in flags.KINDS for flag in found)
    json.dumps([flag.to_dict() for flag in found], allow_nan=False)


@PROPERTY
@given(st.integers(min_value=40, max_value=5_000), st.data())
def test_honest_telemetry_raises_nothing(length, data):
    # Typed, never pasted, at most 15 characters an active second, no quicker than expected, gold all right.
    record = {"final_text_length": length,
              "keystrokes": data.draw(st.integers(min_value=length, max_value=3 * length)),
              "active_ms": data.draw(st.integers(min_value=-(-length * 1000 // 15), max_value=604_800_000)),
              "pastes": [], "blurs_at_ms": data.draw(st.lists(MS, max_size=5)),
              "blur_count": data.draw(st.integers(min_value=0, max_value=5))}
    record["visible_ms"] = data.draw(st.integers(min_value=record["active_ms"], max_value=604_800_000))
    seconds = data.draw(st.floats(min_value=60, max_value=604_800))
    found = evaluate(parse_telemetry(record), text="x" * length, seconds=seconds,
                     gold_passed=[True] * data.draw(st.integers(min_value=0, max_value=10)),
                     thresholds=Thresholds(expected_seconds=60))
    assert found == []
