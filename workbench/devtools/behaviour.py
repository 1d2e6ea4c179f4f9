"""How a simulated crowd behaves: who is skilled, who spams, who pastes, how long each takes, who walks away.

A seeded, pure model (no I/O, no global random state) that the simulators' people can ask what to answer and
how long to take, so that an offline pilot shows what a real crowd would: agreement that tracks skill, a time
on task that is not 0, spammers who are fast and at chance, pasters whose text arrives in one paste after they
left the page. ``draw_workers`` draws the crowd once; ``answer`` acts out one accepted task.

    profile = CrowdProfile(labels=("cat", "dog"))
    crowd = draw_workers(50, profile, seed=1)
    acted = answer(crowd[0], {"labels": ["cat"]}, "classification", answer_rng(1, crowd[0].worker_id, 17),
                   profile=profile)   # acted.result, acted.seconds, acted.dropped, acted.telemetry

Results have the shape the built-in plugins submit (``plugins/README.md``): ``{"labels": [...]}``,
``{"boxes": [{"x", "y", "w", "h", "label"}]}``, ``{"text": ...}``. Telemetry is what a worker page could
measure of the visit; its keys are listed in ``TELEMETRY_KEYS``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Sequence

from workbench.errors import ValidationError

TASK_KINDS = ("classification", "bounding-box", "free-text")
#: Median accept→submit seconds of a typical honest worker, per task kind. A modelling choice, not a
#: measurement: a glance and a click, a few boxes dragged, a sentence or two typed.
MEDIAN_SECONDS = {"classification": 8.0, "bounding-box": 45.0, "free-text": 60.0}
TELEMETRY_KEYS = ("visible_ms", "active_ms", "focus_count", "blur_count", "pastes", "blurs_at_ms", "keystrokes",
                  "first_interaction_ms", "final_text_length")
#: The image a box is drawn on when the caller gives no size: the plugins' sample (640×480).
DEFAULT_IMAGE = (640, 480)
MIN_BOX = 4.0  # the bounding-box plugin's default min_size (px)
MIN_TEXT, MAX_TEXT = 10, 500  # the free-text plugin's default min_length and max_length
#: Sentences an LLM-pasting worker's paragraph is made of: fluent, generic, about no image in particular.
LLM_SENTENCES = (
    "The image depicts a simple composition of geometric shapes arranged on a light background.",
    "Each shape is rendered in a solid, saturated colour, which creates a clear visual contrast.",
    "Overall, the scene conveys a sense of balance and order through its minimalist design.",
    "The arrangement invites the viewer to consider the relationships between form and colour.",
    "Certainly! Here is a concise description of the image you provided.",
    "In summary, the picture is a clean and visually engaging example of abstract geometry.",
    "The elements are distributed across the frame, leaving generous negative space around them.",
)
SPAM_TEXTS = ("good image", "nice picture ok", "shapes shapes", "i see it yes", "done done done", "very good task")


@dataclass(frozen=True)
class CrowdProfile:
    """The make-up of a crowd. Defaults are modelling choices, stated so a pilot can be read against them.

    ``spammer_share``: answer uniformly at random, fast (default 0.1). ``paster_share``: on free text, paste a
    generated paragraph instead of typing (default 0.2); the two shares do not overlap. ``dropout_rate``: the
    chance that an accepted task is never submitted (default 0.05). Skill (the chance of the true label) is
    Beta(``skill_alpha``, ``skill_beta``), default Beta(8, 2): mean 0.8. A worker's speed is a factor on the
    task kind's median time (``median_seconds``), log-normal with median 1 and ``speed_sigma``; each answer
    varies around it with ``time_sigma``; spammers' factor has median ``spammer_speed`` (default 0.15, about
    seven times faster). With ``labels``, a ``biased_share`` of workers get a label bias: Dirichlet(1, …, 1)
    weights that pick their wrong labels.
    """

    spammer_share: float = 0.1
    paster_share: float = 0.2
    dropout_rate: float = 0.05
    skill_alpha: float = 8.0
    skill_beta: float = 2.0
    speed_sigma: float = 0.4
    time_sigma: float = 0.35
    spammer_speed: float = 0.15
    biased_share: float = 0.5
    labels: tuple[str, ...] = ()
    median_seconds: dict[str, float] = field(default_factory=lambda: dict(MEDIAN_SECONDS))

    def __post_init__(self) -> None:
        for name in ("spammer_share", "paster_share", "dropout_rate", "biased_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValidationError(name, "must be a share between 0 and 1")
        if self.spammer_share + self.paster_share > 1:
            raise ValidationError("paster_share", "spammers and pasters together cannot be more than the crowd")
        for name in ("skill_alpha", "skill_beta", "speed_sigma", "time_sigma", "spammer_speed"):
            if not getattr(self, name) > 0:
                raise ValidationError(name, "must be greater than 0")
        for kind in TASK_KINDS:
            if not self.median_seconds.get(kind, 0) > 0:
                raise ValidationError(f"median_seconds.{kind}", "each task kind needs a median time above 0")


DEFAULT_PROFILE = CrowdProfile()


@dataclass(frozen=True)
class WorkerTraits:
    """One simulated worker. ``skill`` is the chance of answering the truth (a spammer has one but ignores it);
    ``speed`` multiplies the task kind's median time; ``bias`` weighs the labels they pick when wrong."""

    worker_id: str
    skill: float
    spammer: bool
    paster: bool
    speed: float
    bias: dict[str, float] | None = None


@dataclass(frozen=True)
class Behaviour:
    """One accepted task acted out: the result (``None`` if ``dropped``), accept→submit (or, dropped,
    accept→leave) seconds, and the page's telemetry of the visit."""

    result: dict[str, Any] | None
    seconds: float
    dropped: bool
    telemetry: dict[str, Any]


def draw_workers(n: int, profile: CrowdProfile, seed: int, *, ids: Sequence[str] | None = None) -> list[WorkerTraits]:
    """``n`` workers drawn from ``profile``, the same for the same seed. ``ids`` names them (a simulator's own
    worker ids); else ``sim-<seed>-0001``, …"""
    if n < 0:
        raise ValidationError("n", "cannot be negative")
    if ids is not None and len(ids) != n:
        raise ValidationError("ids", f"names {len(ids)} workers, not {n}")
    rng = random.Random(f"crowd:{seed}")
    names = list(ids) if ids is not None else [f"sim-{seed}-{i + 1:04d}" for i in range(n)]
    return [_draw_worker(name, profile, rng) for name in names]


def _draw_worker(worker_id: str, profile: CrowdProfile, rng: random.Random) -> WorkerTraits:
    # every draw is made for every worker, so one worker's role never shifts the next one's numbers
    role = rng.random()
    skill = rng.betavariate(profile.skill_alpha, profile.skill_beta)
    pace = rng.lognormvariate(0.0, profile.speed_sigma)
    biased = rng.random() < profile.biased_share
    weights = [rng.expovariate(1.0) for _ in profile.labels]  # normalised: a Dirichlet(1, ..., 1) draw
    spammer = role < profile.spammer_share
    paster = not spammer and role < profile.spammer_share + profile.paster_share
    bias = {label: w / sum(weights) for label, w in zip(profile.labels, weights)} if biased and weights else None
    return WorkerTraits(worker_id, skill, spammer, paster, pace * (profile.spammer_speed if spammer else 1.0), bias)


def answer_rng(seed: int, worker_id: str, task_key: Any) -> random.Random:
    """The generator for one worker on one task: the same answer whatever order, or thread, the tasks run in."""
    return random.Random(f"answer:{seed}:{worker_id}:{task_key}")


def answer(traits: WorkerTraits, task_truth: dict[str, Any], task_kind: str, rng: random.Random, *,
           profile: CrowdProfile | None = None, labels: Sequence[str] = (),
           image_size: tuple[float, float] = DEFAULT_IMAGE) -> Behaviour:
    """What ``traits`` does with one accepted task whose true result is ``task_truth`` (the plugin's shape).

    ``labels`` are the definition's labels (``ui_config.labels``; default ``profile.labels``): a classification
    needs them, boxes use them for wrong labels. ``profile`` (default ``DEFAULT_PROFILE``) gives the median
    times and the dropout rate. Boxes stay inside ``image_size`` (width, height).
    """
    profile = profile or DEFAULT_PROFILE
    if task_kind not in TASK_KINDS:
        raise ValidationError("task_kind", f"must be one of {', '.join(TASK_KINDS)}")
    labels = tuple(labels or profile.labels)
    if task_kind == "classification" and len(labels) < 2:
        raise ValidationError("labels", "a classification needs the definition's labels (two or more)")
    # Log-normal times, person by person (``speed``) and answer by answer: the shape psychometrics fits to the
    # time one person takes on one item (van der Linden, 2006, "A lognormal model for response times on test
    # items", J. Educ. Behav. Stat. 31(2), 181-204). That crowd accept->submit times have this shape is our
    # modelling choice, not a cited MTurk measurement; the heavy power-law tail Ipeirotis found on MTurk ("Your
    # estimated waiting time: infinite!", 2010, his blog A Computer Scientist in a Business School) is of how long
    # a whole HIT group waits to be done, a different quantity.
    typical = traits.speed * profile.median_seconds[task_kind]
    seconds = round(max(0.5, typical * rng.lognormvariate(0.0, profile.time_sigma)), 3)
    if rng.random() < profile.dropout_rate:
        left = round(seconds * rng.uniform(0.1, 0.9), 3)
        return Behaviour(None, left, True, _telemetry(traits, "", False, left, rng))
    result = _RESULTS[task_kind](traits, task_truth, labels, image_size, rng)
    text = result.get("text", "")
    pasted = traits.paster and task_kind == "free-text" and not traits.spammer
    return Behaviour(result, seconds, False, _telemetry(traits, text, pasted, seconds, rng))


# -- results ----------------------------------------------------------------------------------------------------

def _label(traits: WorkerTraits, truth: str, labels: Sequence[str], rng: random.Random) -> str:
    """The truth with probability ``skill``, else a wrong label weighed by the worker's bias."""
    if rng.random() < traits.skill or not [x for x in labels if x != truth]:
        return truth
    wrong = [x for x in labels if x != truth]
    bias = traits.bias or {}
    even = 1.0 / len(labels)
    weights = [bias.get(x, even) for x in wrong]
    return rng.choices(wrong, weights=weights)[0] if sum(weights) > 0 else rng.choice(wrong)


def _classify(traits: WorkerTraits, truth: dict, labels: Sequence[str], size, rng: random.Random) -> dict:
    true_labels = _required(truth, "labels", list)
    if traits.spammer:
        return {"labels": [rng.choice(labels)]}
    chosen = [_label(traits, str(t), labels, rng) for t in true_labels]
    return {"labels": list(dict.fromkeys(chosen))}  # a multi-label answer holds each label once


def _boxes(traits: WorkerTraits, truth: dict, labels: Sequence[str], size, rng: random.Random) -> dict:
    true_boxes = _required(truth, "boxes", list)
    names = tuple(labels) or tuple(dict.fromkeys(str(b.get("label", "")) for b in true_boxes)) or ("object",)
    if traits.spammer:
        return {"boxes": [_random_box(names, size, rng) for _ in range(rng.randint(1, 3))]}
    boxes = [_jitter(box, traits, names, size, rng) for box in true_boxes]
    return {"boxes": boxes or [_random_box(names, size, rng)]}


def _jitter(box: dict, traits: WorkerTraits, labels: Sequence[str], size, rng: random.Random) -> dict:
    """The true box with each edge moved by noise whose spread is (1 − skill) × half the box's side."""
    spread = 1.0 - traits.skill
    x0, y0, w, h = (float(box[k]) for k in ("x", "y", "w", "h"))
    edges = [x0 + rng.gauss(0, spread * w / 2), y0 + rng.gauss(0, spread * h / 2),
             x0 + w + rng.gauss(0, spread * w / 2), y0 + h + rng.gauss(0, spread * h / 2)]
    return _box(*edges, _label(traits, str(box.get("label", labels[0])), labels, rng), size)


def _random_box(labels: Sequence[str], size, rng: random.Random) -> dict:
    width, height = size
    x, y = rng.uniform(0, width - MIN_BOX), rng.uniform(0, height - MIN_BOX)
    right, bottom = x + rng.uniform(MIN_BOX, width / 3), y + rng.uniform(MIN_BOX, height / 3)
    return _box(x, y, right, bottom, rng.choice(labels), size)


def _box(left: float, top: float, right: float, bottom: float, label: str, size) -> dict:
    """A box from its edges, in order, clamped to the image, at least MIN_BOX a side, rounded to 0.1 as the
    plugin rounds."""
    width, height = size
    left, right = sorted((left, right))
    top, bottom = sorted((top, bottom))
    x = min(max(0.0, left), width - MIN_BOX)
    y = min(max(0.0, top), height - MIN_BOX)
    w = max(MIN_BOX, min(right, width) - x)
    h = max(MIN_BOX, min(bottom, height) - y)
    return {"x": round(x, 1), "y": round(y, 1), "w": round(w, 1), "h": round(h, 1), "label": label}


def _text(traits: WorkerTraits, truth: dict, labels: Sequence[str], size, rng: random.Random) -> dict:
    true_text = str(_required(truth, "text", str))
    if traits.spammer:
        return {"text": rng.choice(SPAM_TEXTS)}
    if traits.paster:
        return {"text": " ".join(rng.sample(LLM_SENTENCES, 3))[:MAX_TEXT].strip()}
    return {"text": _noisy(true_text, 1.0 - traits.skill, rng)}


def _noisy(text: str, rate: float, rng: random.Random) -> str:
    """Word-level noise: each word, with probability ``rate``, dropped, doubled or misspelt (the text as it was
    if too little is left for the plugin to take)."""
    out: list[str] = []
    for word in text.split():
        roll = rng.random()
        if roll >= rate:
            out.append(word)
        elif roll < rate / 3:
            continue  # dropped
        elif roll < 2 * rate / 3:
            out.extend((word, word))
        else:
            out.append(_misspell(word, rng))
    noisy = " ".join(out)[:MAX_TEXT].strip()
    return noisy if len(noisy) >= min(MIN_TEXT, len(text)) else text


def _misspell(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _required(truth: dict, key: str, kind: type) -> Any:
    value = truth.get(key) if isinstance(truth, dict) else None
    if not isinstance(value, kind):
        raise ValidationError(f"task_truth.{key}", f"the true result needs {key!r} as a {kind.__name__}")
    return value


_RESULTS = {"classification": _classify, "bounding-box": _boxes, "free-text": _text}


# -- telemetry --------------------------------------------------------------------------------------------------

def _telemetry(traits: WorkerTraits, text: str, pasted: bool, seconds: float, rng: random.Random) -> dict[str, Any]:
    """What the page saw in ``seconds``: when input began, when the page lost focus and for how long, what was
    typed and what pasted. Spammers begin at once and never leave; honest workers read first and may glance
    away; pasters leave for another tab and paste most of the text when they come back. The measures are those
    of task fingerprinting (Rzeszotarski and Kittur, "Instrumenting the crowd", UIST 2011); the numbers are ours."""
    total = int(round(seconds * 1000))
    first = int(total * rng.uniform(0.01, 0.05) if traits.spammer else total * rng.uniform(0.1, 0.3))
    length = len(text.strip())
    blurs: list[int] = []
    away = 0
    pastes: list[dict[str, Any]] = []
    if pasted and length:
        typed = min(length // 4, rng.randint(0, 12))  # a few characters typed before leaving for the generator
        blur_at = first + int((total - first) * rng.uniform(0.05, 0.2))
        gone = int((total - blur_at) * rng.uniform(0.3, 0.6))
        blurs, away = [blur_at], gone
        pastes = [{"at_ms": blur_at + gone + 1, "length": length - typed, "field": "text"}]
        keystrokes = typed
    else:
        if not traits.spammer:
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
                blurs.append(rng.randint(first, max(first, total - 1)))
                away += int(total * rng.uniform(0.01, 0.05))
        # an honest typist types every character and some corrections; a click answer needs at most a key or two
        keystrokes = length + int(length * rng.uniform(0.02, 0.15)) if length else rng.choice((0, 0, 1, 2))
    visible = max(0, total - away)
    active = int(max(0, visible - first) * rng.uniform(0.6, 0.95))  # input from the first interaction on, less pauses
    return {"visible_ms": visible, "active_ms": active,
            "focus_count": len(blurs) + 1, "blur_count": len(blurs), "pastes": pastes, "blurs_at_ms": sorted(blurs),
            "keystrokes": keystrokes, "first_interaction_ms": first, "final_text_length": length}
