"""Rule-based flags of possible LLM use and low effort, raised for a reviewer to look at (issue 17).

Each rule compares a submission's numbers (``telemetry``, its text, its duration, its gold items) with a threshold a
definition may set in its ``quality`` block (``Thresholds``), and a flag carries the numbers that raised it. A flag
is a reason to look, never a verdict: this module rejects nothing and decides nothing, and dictation, swipe
keyboards, autocomplete or a worker drafting elsewhere can raise one honestly.

``evaluate`` judges one submission; ``duplicate_texts`` compares free text across workers.
"""

from __future__ import annotations

import bisect
import difflib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from workbench.errors import ValidationError
from .telemetry import MAX_COUNT, MAX_MS, Telemetry

#: The kinds of flag, in the order ``evaluate`` lists them; ``duplicate_text`` comes from ``duplicate_texts``.
KINDS = ("paste_majority", "typing_too_fast", "blur_then_paste", "too_fast", "failed_gold", "duplicate_text")
#: How many matches or events a flag's evidence lists (it gives the full count beside them).
MAX_LISTED = 20
#: Near duplicates are judged on this many words of each normalised text (exact ones on all of it), so one very
#: long answer cannot make the comparison slow.
MAX_COMPARED = 400
#: Buckets of the word counts that rule out most pairs before difflib compares them (``_similar_pairs``).
BUCKETS = 512


@dataclass(frozen=True)
class Flag:
    """A reason for a reviewer to look: its ``kind`` (one of ``KINDS``), the numbers that raised it, and a sentence
    saying so."""

    kind: str
    evidence: dict[str, Any]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "evidence": self.evidence, "message": self.message}


def _setting(default: Any, low: float, high: float, *, whole: bool = False, open_low: bool = False) -> Any:
    return field(default=default, metadata={"low": low, "high": high, "whole": whole, "open_low": open_low})


@dataclass(frozen=True)
class Thresholds:
    """Where each rule starts to flag; a definition's ``quality`` block may set any of them (``thresholds_from``).

    Text rules judge only texts of at least ``min_text_length`` characters: in a few words, one paste or an
    autocompleted word is most of the answer, and says nothing."""

    #: 40 characters is about a sentence of seven words (five letters and a space each).
    min_text_length: int = _setting(40, 1, MAX_COUNT, whole=True)
    #: paste_majority: pasted characters / final text length at or above this; half means most of the answer.
    paste_share: float = _setting(0.5, 0, 1, open_low=True)
    #: typing_too_fast: the share of the final text neither typed (key presses) nor pasted at or above this.
    #: Dictation, swipe keyboards, autocomplete and drag-and-drop explain some; programs that fill the field
    #: explain the rest.
    unexplained_share: float = _setting(0.5, 0, 1, open_low=True)
    #: typing_too_fast: characters that were not pasted, per second of active time, above this. Dhakal et al.,
    #: "Observations on Typing from 136 Million Keystrokes" (CHI 2018): 168,000 people copying sentences averaged
    #: about 52 words a minute, the fastest few above 120; at five characters a word 120 wpm is 10 characters a
    #: second. 15 a second (180 wpm) sustained over a whole task, reading included, is past any of them.
    max_chars_per_second: float = _setting(15.0, 0, 1_000, open_low=True)
    #: blur_then_paste: a paste at least this long (about a sentence) ...
    blur_paste_min_chars: int = _setting(50, 1, MAX_COUNT, whole=True)
    #: ... within this many seconds after the page last lost focus: time to ask a chatbot and copy its answer.
    blur_paste_window_seconds: float = _setting(120.0, 0, MAX_MS / 1000, open_low=True)
    #: too_fast: how long the task takes a careful worker, if the definition says.
    expected_seconds: float | None = _setting(None, 0, MAX_MS / 1000, open_low=True)
    #: too_fast: a submission quicker than this is flagged; unset, it is ``too_fast_share`` of
    #: ``expected_seconds``, and without either there is no such flag.
    min_seconds: float | None = _setting(None, 0, MAX_MS / 1000, open_low=True)
    #: A third of the expected time: quicker than that, the item cannot have been read.
    too_fast_share: float = _setting(1 / 3, 0, 1, open_low=True)
    #: failed_gold: accuracy on gold and attention items below this: 70% sits between careful work (one slip in
    #: five is 80%) and guessing (50% on a yes/no item) ...
    gold_min_accuracy: float = _setting(0.7, 0, 1, open_low=True)
    #: ... over at least this many items, so that one slip (4 of 5 is 80%) never flags anyone.
    gold_min_items: int = _setting(5, 1, MAX_COUNT, whole=True)
    #: duplicate_text: texts shorter than this (normalised) are not compared; short answers agree honestly.
    duplicate_min_length: int = _setting(40, 1, MAX_COUNT, whole=True)
    #: duplicate_text: difflib similarity at or above this; 0.9 leaves room for a changed word or two.
    duplicate_similarity: float = _setting(0.9, 0.5, 1)

    def __post_init__(self) -> None:
        for item in fields(self):
            _check_setting(getattr(self, item.name), item.name, item.metadata)

    @property
    def too_fast_below(self) -> float | None:
        """Seconds under which a submission is too fast, or None when the definition gives no time."""
        if self.min_seconds is not None:
            return self.min_seconds
        return None if self.expected_seconds is None else self.expected_seconds * self.too_fast_share


def _check_setting(value: Any, name: str, limits: Mapping[str, Any]) -> None:
    low, high = limits["low"], limits["high"]
    if value is None and name in ("expected_seconds", "min_seconds"):
        return
    if limits["whole"] and type(value) is not int:
        raise ValidationError(f"quality.{name}", "must be a whole number")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"quality.{name}", "must be a number")
    if value > high or value < low or (limits["open_low"] and value == low):
        above = f"above {low}" if limits["open_low"] else f"from {low}"
        raise ValidationError(f"quality.{name}", f"must be {above} up to {high}, not {value}")


def thresholds_from(definition_config: Mapping[str, Any]) -> Thresholds:
    """The thresholds a definition's ``quality`` block sets, the defaults for the rest; ValidationError naming
    ``quality.<key>`` for a key that is not a threshold or a value out of its range."""
    quality = definition_config.get("quality")
    if quality is None:
        return Thresholds()
    if not isinstance(quality, dict):
        raise ValidationError("quality", "must be an object of thresholds such as {\"paste_share\": 0.6}")
    names = [item.name for item in fields(Thresholds)]
    for key in quality:
        if key not in names:
            raise ValidationError(f"quality.{key}", f"is not a threshold; use {', '.join(names)}")
    return Thresholds(**quality)


# -- one submission -----------------------------------------------------------------
def evaluate(telemetry: Telemetry | None, *, text: str | None, seconds: float | None,
             gold_passed: Sequence[bool] = (), thresholds: Thresholds = Thresholds()) -> list[Flag]:
    """The flags one submission raises, in ``KINDS`` order; none when nothing crosses its threshold.

    ``text`` is the submitted free text (None for a task without one: the text rules are then skipped);
    ``seconds`` the time the server measured from start to submission; ``gold_passed`` one entry per gold or
    attention item the worker answered. Telemetry the page did not send skips the rules that need it."""
    t = telemetry or Telemetry()
    length = None if text is None else (t.final_text_length if t.final_text_length is not None else len(text))
    found = []
    if length is not None and length >= thresholds.min_text_length:
        found += _paste_majority(t, length, thresholds) + _typing_too_fast(t, length, thresholds)
    found += _blur_then_paste(t, thresholds) + _too_fast(seconds, thresholds)
    return found + _failed_gold(gold_passed, thresholds)


def _paste_majority(t: Telemetry, length: int, limits: Thresholds) -> list[Flag]:
    pasted = t.pasted_chars
    if not pasted or pasted / length < limits.paste_share:
        return []
    share = pasted / length
    return [Flag("paste_majority", {"pasted_chars": pasted, "final_text_length": length, "share": round(share, 3),
                                    "threshold": limits.paste_share},
                 f"{pasted} characters were pasted into a {length}-character answer ({share:.0%} of it).")]


def _typing_too_fast(t: Telemetry, length: int, limits: Thresholds) -> list[Flag]:
    """Text neither typed nor pasted, or typed faster than people type."""
    evidence: dict[str, Any] = {"final_text_length": length}
    because = []
    pasted = t.pasted_chars
    if t.keystrokes is not None and pasted is not None:
        unexplained = length - t.keystrokes - pasted
        evidence.update(keystrokes=t.keystrokes, pasted_chars=pasted, unexplained_chars=max(unexplained, 0))
        if unexplained / length >= limits.unexplained_share:
            because.append(f"{unexplained} of the answer's {length} characters came from neither key presses nor pastes")
    active = t.active_ms if t.active_ms is not None else t.visible_ms
    if active is not None:
        typed = max(length - (pasted or 0), 0)
        rate = typed / (active / 1000) if active else None
        evidence.update(typed_chars=typed, active_seconds=active / 1000,
                        chars_per_second=None if rate is None else round(rate, 2))
        if typed >= limits.min_text_length and (rate is None or rate > limits.max_chars_per_second):
            speed = "with no active time at all" if rate is None else f"at {rate:.1f} characters a second"
            because.append(f"{typed} characters not pasted arrived {speed}")
    if not because:
        return []
    evidence.update(unexplained_share=limits.unexplained_share, max_chars_per_second=limits.max_chars_per_second)
    sentence = "; ".join(because)
    return [Flag("typing_too_fast", evidence, sentence[0].upper() + sentence[1:] + ".")]


def _blur_then_paste(t: Telemetry, limits: Thresholds) -> list[Flag]:
    """Long pastes soon after the page lost focus: the pattern of fetching an answer from another window."""
    if not t.pastes or not t.blurs_at_ms:
        return []
    blurs = sorted(t.blurs_at_ms)
    window_ms = limits.blur_paste_window_seconds * 1000
    events = []
    for paste in t.pastes:
        last = bisect.bisect_right(blurs, paste.at_ms) - 1
        if paste.length >= limits.blur_paste_min_chars and last >= 0 and paste.at_ms - blurs[last] <= window_ms:
            events.append({"paste_at_ms": paste.at_ms, "length": paste.length, "blur_at_ms": blurs[last],
                           "gap_ms": paste.at_ms - blurs[last]})
    if not events:
        return []
    first = events[0]
    return [Flag("blur_then_paste", {"events": events[:MAX_LISTED], "count": len(events),
                                     "min_chars": limits.blur_paste_min_chars,
                                     "window_seconds": limits.blur_paste_window_seconds},
                 f"{len(events)} paste(s) of {limits.blur_paste_min_chars}+ characters came soon after the page lost "
                 f"focus (first: {first['length']} characters {first['gap_ms'] / 1000:.1f} s after).")]


def _too_fast(seconds: float | None, limits: Thresholds) -> list[Flag]:
    below = limits.too_fast_below
    if below is None or seconds is None or not math.isfinite(seconds) or seconds >= below:
        return []
    return [Flag("too_fast", {"seconds": round(seconds, 3), "min_seconds": round(below, 3),
                              "expected_seconds": limits.expected_seconds},
                 f"Submitted after {seconds:.1f} s, quicker than the task's minimum of {below:.1f} s.")]


def _failed_gold(gold_passed: Sequence[bool], limits: Thresholds) -> list[Flag]:
    items, passed = len(gold_passed), sum(1 for ok in gold_passed if ok)
    if items < limits.gold_min_items or passed / items >= limits.gold_min_accuracy:
        return []
    return [Flag("failed_gold", {"items": items, "passed": passed, "accuracy": round(passed / items, 3),
                                 "threshold": limits.gold_min_accuracy, "min_items": limits.gold_min_items},
                 f"{passed} of {items} gold or attention items answered right ({passed / items:.0%}).")]


# -- across workers -------------------------------------------------------------------
def normalise(text: str) -> str:
    """``text`` as duplicates are compared: case folded, runs of white space one space, no space at the ends."""
    return " ".join(text.casefold().split())


def duplicate_texts(texts: Mapping[str, Sequence[str]], *, min_length: int = 40,
                    threshold: float = 0.9) -> list[Flag]:
    """A ``duplicate_text`` flag for each text (by worker id and its index in the worker's list) that another
    worker's text repeats: the same once normalised (``normalise``), or with a ``difflib.SequenceMatcher`` ratio
    of ``threshold`` or more over their words (the first ``MAX_COMPARED``; 0.9 means nine words in ten the same
    and in the same order). Texts shorter than ``min_length`` characters once normalised are left out; a worker
    repeating their own text is not flagged here.

    Bounds on shared words (``_similar_pairs``) rule out most pairs before difflib compares them, and never a
    pair that could reach ``threshold``, so thousands of texts stay quick."""
    Thresholds(duplicate_min_length=min_length, duplicate_similarity=threshold)  # refuses settings out of range
    groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for worker, items in texts.items():
        for index, item in enumerate(items):
            if isinstance(item, str) and len(key := normalise(item)) >= min_length:
                groups[key].append((worker, index))
    distinct = list(groups)
    matches: dict[tuple[str, int], dict[tuple[str, int], float]] = defaultdict(dict)
    pairs = [(i, i, 1.0) for i in range(len(distinct))] + _similar_pairs(distinct, threshold)
    for i, j, similarity in pairs:
        for a in groups[distinct[i]]:
            for b in groups[distinct[j]]:
                if a[0] != b[0]:
                    matches[a][b] = matches[b][a] = similarity
    return [_duplicate_flag(text, found, threshold) for text, found in sorted(matches.items())]


def _duplicate_flag(text: tuple[str, int], found: dict[tuple[str, int], float], threshold: float) -> Flag:
    listed = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    others = sorted({worker for worker, _ in found})
    best = listed[0][1]
    evidence = {"worker_id": text[0], "text_index": text[1], "similarity": round(best, 3), "threshold": threshold,
                "match_count": len(found), "workers": others[:MAX_LISTED],
                "matches": [{"worker_id": worker, "text_index": index, "similarity": round(similarity, 3)}
                            for (worker, index), similarity in listed[:MAX_LISTED]]}
    how = "the same as" if best == 1.0 else f"{best:.0%} similar to"
    return Flag("duplicate_text", evidence, f"Text {text[1]} of worker {text[0]} is {how} text written by "
                                            f"{len(others)} other worker(s).")


def _similar_pairs(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, ratio)``, i < j, of distinct texts whose word-level ratio (``_ratio``, first ``MAX_COMPARED``
    words) is at least ``threshold``.

    Only pairs that pass two necessary conditions are compared. A ratio r = 2M/T over T words in all means
    matching blocks of M words, so the shorter text holds at least r/(2-r) of the longer's words. K blocks share at
    least M - K(q-1) word q-grams, and K - 1 cannot exceed the T - 2M unmatched words (blocks with no gap between
    them are one block): two texts at ratio t or more share at least (t(2q-1)/2 - (q-1))T - (q-1) q-grams, for
    single words (q=1) and pairs of words (q=2). The shared counts are bounded from above by counts over hashed
    buckets (a bucket holds the sum of its grams' counts), compared for one text against all longer ones at once
    with numpy; no pair that could reach ``threshold`` is left out."""
    words = [text.split()[:MAX_COMPARED] for text in texts]
    order = sorted(range(len(words)), key=lambda i: len(words[i]))
    lengths = np.array([len(words[i]) for i in order])
    histograms = {q: _gram_histograms([words[i] for i in order], q) for q in (1, 2)}
    found = []
    for row, i in enumerate(order):
        end = int(np.searchsorted(lengths, lengths[row] * (2 - threshold) / threshold + 1e-9, side="right"))
        if end <= row + 1:
            continue
        total = lengths[row] + lengths[row + 1:end]
        possible = np.ones(end - row - 1, dtype=bool)
        for q, counts in histograms.items():
            shared = np.minimum(counts[row], counts[row + 1:end]).sum(axis=1)
            possible &= shared >= (threshold * (2 * q - 1) / 2 - (q - 1)) * total - (q - 1) - 1e-9
        for offset in np.flatnonzero(possible):
            j = order[row + 1 + int(offset)]
            if (ratio := _ratio(words[i], words[j], threshold)) is not None:
                found.append((min(i, j), max(i, j), ratio))
    return sorted(found)


def _gram_histograms(words: list[list[str]], q: int) -> np.ndarray:
    """Per text, the counts of its word q-grams in ``BUCKETS`` buckets (numbered by first appearance, so a run is
    the same every time)."""
    ids: dict[str, int] = {}
    out = np.zeros((len(words), BUCKETS), dtype=np.int32)
    for row, items in enumerate(words):
        numbers = [ids.setdefault(word, len(ids)) for word in items]
        grams = numbers if q == 1 else [a * 1_000_003 + b for a, b in zip(numbers, numbers[1:])]
        if grams:
            out[row] = np.bincount(np.array(grams, dtype=np.int64) % BUCKETS, minlength=BUCKETS)
    return out


def _ratio(a: list[str], b: list[str], threshold: float) -> float | None:
    """The ``difflib.SequenceMatcher`` ratio of two texts' words if it reaches ``threshold``, trying the cheap upper
    bound first. Autojunk is off, so common words count as much as rare ones; difflib's ratio can differ with the
    order of the two (ties between equally long matches), so the higher of both orders is taken."""
    best = None
    for first, second in ((a, b), (b, a)):
        matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
        if matcher.quick_ratio() >= threshold and (value := matcher.ratio()) >= threshold:
            best = max(best or 0.0, value)
            if best == 1.0:
                break
    return best
