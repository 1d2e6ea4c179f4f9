"""Study configuration, conditions and balanced randomisation."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from workbench.collab import design, sessions
from workbench.errors import ValidationError

from .conftest import at


def test_factors_expand_to_every_combination(word_config):
    full = design.check_config(word_config)
    conditions = design.conditions(full)
    assert len(conditions) == 4
    assert {(c["agent"], c["chat"]) for c in conditions} == {(a, b) for a in (True, False) for b in (True, False)}
    assert all(c["persona"] == "default" and c["label"] for c in conditions)


@pytest.mark.parametrize("config, field", [
    ({"paradigm": "chess"}, "config.paradigm"),
    ({"paradigm": "word_guessing", "max_wait_s": -1}, "config.max_wait_s"),
    ({"paradigm": "word_guessing", "agent": {"backend": "gpt"}}, "config.agent.backend"),
    ({"paradigm": "word_guessing", "factors": {"persona": ["grumpy"]}}, "config.conditions[0].persona"),
    ({"paradigm": "word_guessing", "surprise": 1}, "config"),
])
def test_bad_configurations_name_the_field(config, field):
    with pytest.raises(ValidationError) as caught:
        design.check_config(config)
    assert caught.value.field == field


def test_permuted_blocks_are_balanced_and_reproducible():
    seq = design.sequence(seed=11, n_conditions=4, count=40)
    assert seq == design.sequence(seed=11, n_conditions=4, count=40)
    assert seq != design.sequence(seed=12, n_conditions=4, count=40)
    for block in range(10):
        assert sorted(seq[block * 4:(block + 1) * 4]) == [0, 1, 2, 3]


def test_sessions_draw_conditions_in_balanced_order_under_concurrency(store, word_config):
    word_config["factors"] = {"persona": ["default", "terse"]}
    word_config["personas"] = {"terse": "You answer in three words."}
    with store.transaction() as s:
        sessions.create_study(s, "pairs", word_config)

    def join(n):
        with store.transaction() as s:
            seat = sessions.join(s, "pairs", worker_id=f"W{n}", assignment_id=f"A{n}", now=at(n))
            return seat.session.id, seat.session.condition_index

    with ThreadPoolExecutor(4) as pool:
        seated = list(pool.map(join, range(12)))
    # Agent on: one human per session, so twelve sessions, six per condition.
    by_session = dict(seated)
    assert len(by_session) == 12
    assert Counter(by_session.values()) == Counter({0: 6, 1: 6})
    with store.session() as s:
        study = sessions.get_study(s, "pairs")
        ordered = [by_session[i] for i in sorted(by_session)]
        assert ordered == design.sequence(study.seed, 2, 12)
        assert study.config["personas"]["terse"].startswith("You answer") and study.assigned == 12
