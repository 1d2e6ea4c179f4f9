"""The worker page's telemetry record (issue 17): ``parse_telemetry`` reads the times and counts a page sends and
refuses, naming the field, anything else.

The fuzz test is bounded and derandomized, so CI sees the same cases on every run.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import ValidationError
from workbench.study.telemetry import DESCRIPTION, Paste, Telemetry, parse_telemetry

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

#: A record as a page would send it, every field filled in.
FULL = {"visible_ms": 95_000, "active_ms": 80_000, "focus_count": 3, "blur_count": 2, "blurs_at_ms": [10_000, 40_000],
        "pastes": [{"at_ms": 41_500, "length": 140, "field": "text"}, {"at_ms": 60_000, "length": 12}],
        "keystrokes": 210, "first_interaction_ms": 2_300, "final_text_length": 330}


def test_a_full_record_is_read_and_written_back_unchanged():
    telemetry = parse_telemetry(FULL)
    assert telemetry.pastes == (Paste(41_500, 140, "text"), Paste(60_000, 12, None))
    assert telemetry.blurs_at_ms == (10_000, 40_000)
    assert telemetry.pasted_chars == 152  # 140 + 12
    assert telemetry.to_dict() == FULL
    assert parse_telemetry(telemetry.to_dict()) == telemetry


def test_a_value_left_out_or_null_was_not_measured():
    telemetry = parse_telemetry({"keystrokes": 0, "active_ms": None, "pastes": None})
    assert telemetry == Telemetry(keystrokes=0)
    assert telemetry.pasted_chars is None  # pastes not reported: unknown, not zero
    assert parse_telemetry({"pastes": []}).pasted_chars == 0
    assert telemetry.to_dict() == {"keystrokes": 0}


def test_values_at_the_bounds_are_read():
    # A week is 7 * 24 * 3600 * 1000 = 604,800,000 ms; 10,000 pastes and 10,000 blurs are the list bounds.
    telemetry = parse_telemetry({"visible_ms": 604_800_000, "keystrokes": 10_000_000,
                                 "pastes": [{"at_ms": 0, "length": 0}] * 10_000, "blurs_at_ms": [0] * 10_000})
    assert telemetry.visible_ms == 604_800_000
    assert len(telemetry.pastes) == 10_000


@pytest.mark.parametrize("data, field", [
    ([], "telemetry"),
    ("visible_ms=5", "telemetry"),
    ({"visible_ms": -1}, "telemetry.visible_ms"),
    ({"active_ms": 604_800_001}, "telemetry.active_ms"),  # one ms past a week
    ({"keystrokes": 10_000_001}, "telemetry.keystrokes"),
    ({"final_text_length": 2 ** 64}, "telemetry.final_text_length"),
    ({"keystrokes": True}, "telemetry.keystrokes"),  # bool is an int in Python, not a count
    ({"focus_count": 3.0}, "telemetry.focus_count"),
    ({"blur_count": "3"}, "telemetry.blur_count"),
    ({"first_interaction_ms": {"ms": 3}}, "telemetry.first_interaction_ms"),
    ({"keystrokes": [1]}, "telemetry.keystrokes"),
    ({"typed_text": "hello"}, "telemetry.typed_text"),
    ({"visible_ms": 5, "clipboard": []}, "telemetry.clipboard"),
    ({"pastes": {"at_ms": 1, "length": 2}}, "telemetry.pastes"),
    ({"pastes": [{"at_ms": 1, "length": 2}] * 10_001}, "telemetry.pastes"),
    ({"pastes": [[1, 2]]}, "telemetry.pastes[0]"),
    ({"pastes": [{"at_ms": 1, "length": 2}, {"at_ms": 1}]}, "telemetry.pastes[1].length"),
    ({"pastes": [{"length": 2}]}, "telemetry.pastes[0].at_ms"),
    ({"pastes": [{"at_ms": 1, "length": -2}]}, "telemetry.pastes[0].length"),
    ({"pastes": [{"at_ms": 1, "length": False}]}, "telemetry.pastes[0].length"),
    ({"pastes": [{"at_ms": 1, "length": 2, "text": "the pasted words"}]}, "telemetry.pastes[0].text"),
    ({"pastes": [{"at_ms": 1, "length": 2, "field": "x" * 201}]}, "telemetry.pastes[0].field"),
    ({"pastes": [{"at_ms": 1, "length": 2, "field": "a\x00b"}]}, "telemetry.pastes[0].field"),
    ({"pastes": [{"at_ms": 1, "length": 2, "field": ""}]}, "telemetry.pastes[0].field"),
    ({"pastes": [{"at_ms": 1, "length": 2, "field": ["text"]}]}, "telemetry.pastes[0].field"),
    ({"blurs_at_ms": 5}, "telemetry.blurs_at_ms"),
    ({"blurs_at_ms": [0, -5]}, "telemetry.blurs_at_ms[1]"),
    ({"blurs_at_ms": [[0]]}, "telemetry.blurs_at_ms[0]"),
    ({"blurs_at_ms": [0] * 10_001}, "telemetry.blurs_at_ms"),
])
def test_hostile_telemetry_is_refused_naming_the_field(data, field):
    with pytest.raises(ValidationError) as raised:
        parse_telemetry(data)
    assert raised.value.field == field


def test_the_field_name_of_the_caller_is_used():
    with pytest.raises(ValidationError) as raised:
        parse_telemetry({"keystrokes": -1}, "submission.telemetry")
    assert raised.value.field == "submission.telemetry.keystrokes"


def test_the_sentence_for_workers_names_what_is_recorded_and_what_is_not():
    # The page shows this one sentence; it must name each kind of measurement and the limits.
    assert DESCRIPTION.count(".") == 1 and DESCRIPTION.endswith(".")
    for words in ("how long", "switch away", "keys you press", "paste", "does not record which keys",
                  "other tabs"):
        assert words in DESCRIPTION


# -- fuzz: whatever arrives, a Telemetry or a ValidationError naming a telemetry field --------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
keys = st.sampled_from(list(FULL) + ["at_ms", "length", "field", "other"])
records = st.one_of(values, st.dictionaries(keys, values, max_size=6),
                    st.dictionaries(keys, st.lists(st.dictionaries(keys, values, max_size=4), max_size=3), max_size=3))


@FUZZ
@given(records)
def test_any_input_gives_telemetry_or_a_named_refusal(data):
    try:
        telemetry = parse_telemetry(data)
    except ValidationError as error:
        assert error.field == "telemetry" or error.field.startswith(("telemetry.", "telemetry["))
    else:
        assert parse_telemetry(telemetry.to_dict()) == telemetry
