"""Word guessing: a hinter sees a secret word on a board and gives one-word hints; a guesser picks words.

The guesser wins by picking the secret word within ``max_guesses``. Turns alternate:
hint, guess, hint, guess. The board (the secret word among distractors) is visible to
both roles; only the hinter sees which word is the secret.
"""

from __future__ import annotations

import random
import re
from typing import Any

from ...errors import ValidationError

NAME = "word_guessing"
TITLE = "Word guessing game"  # the session page's heading
ROLES = ("hinter", "guesser")
AGENT_ROLE = "hinter"
#: Seats an agent may take beside the two players: the helper chats with both and never moves.
EXTRA_AGENT_ROLES = ("helper",)

#: Each word with the associations a deterministic player draws hints from.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "apple": ("fruit", "orchard", "pie", "cider", "core"),
    "ocean": ("waves", "salt", "tide", "ship", "deep"),
    "guitar": ("strings", "chord", "band", "pick", "acoustic"),
    "winter": ("snow", "cold", "december", "ice", "coat"),
    "rocket": ("launch", "space", "fuel", "orbit", "nasa"),
    "bread": ("bakery", "toast", "flour", "loaf", "crust"),
    "doctor": ("hospital", "nurse", "medicine", "patient", "clinic"),
    "garden": ("flowers", "soil", "seeds", "shovel", "hedge"),
    "camera": ("photo", "lens", "flash", "shutter", "film"),
    "castle": ("king", "tower", "moat", "knight", "drawbridge"),
    "coffee": ("espresso", "mug", "caffeine", "beans", "barista"),
    "python": ("snake", "code", "scales", "jungle", "constrictor"),
}
WORD = re.compile(r"^[A-Za-z][A-Za-z\-']{0,39}$")


def new_state(config: dict[str, Any], seed: int, context: dict[str, Any] | None = None) -> dict[str, Any]:
    rng = random.Random(f"word_guessing:{seed}")
    words = sorted(config.get("words") or VOCABULARY)
    size = min(int(config.get("board_size", 8)), len(words))
    board = rng.sample(words, size)
    return {"board": board, "target": rng.choice(board), "hints": [], "guesses": [], "turn": "hinter",
            "max_guesses": int(config.get("max_guesses", 5)), "result": None}


def view(state: dict[str, Any], role: str) -> dict[str, Any]:
    """What ``role`` may see: the guesser never sees the target until the game is over."""
    shown = dict(state)
    if role != "hinter" and state.get("result") is None:
        shown["target"] = None
    return shown


def turn(state: dict[str, Any]) -> str | None:
    return None if state.get("result") else state["turn"]


def apply(state: dict[str, Any], role: str, action: dict[str, Any], **_: Any) -> dict[str, Any]:
    """The state after ``role`` does ``action``; ValidationError for an illegal move."""
    if state.get("result"):
        raise ValidationError("action", "the game is over", message="The game is over.")
    kind, word = action.get("kind"), action.get("word")
    if role not in ROLES:
        raise ValidationError("role", f"must be one of {list(ROLES)}", message="Your role makes no moves here.")
    if role != state["turn"]:
        raise ValidationError("action", f"it is the {state['turn']}'s turn",
                              message=f"Wait: it is the {state['turn']}'s turn.")
    if not isinstance(word, str) or not WORD.match(word.strip()):
        raise ValidationError("action.word", "must be one word of letters (at most 40)",
                              message="Use one word of letters only (at most 40), with no spaces or digits.")
    word = word.strip().lower()
    new = {**state, "hints": list(state["hints"]), "guesses": list(state["guesses"])}
    if role == "hinter":
        if kind != "hint":
            raise ValidationError("action.kind", "the hinter may only 'hint'", message="The hinter gives hints.")
        if word in state["board"]:
            raise ValidationError("action.word", "a hint may not be a word on the board",
                                  message=f"“{word}” is on the board: give a hint that is not.")
        if state["target"] in word:
            raise ValidationError("action.word", "a hint may not contain the secret word",
                                  message="A hint may not contain the secret word.")
        new["hints"].append(word)
        new["turn"] = "guesser"
        return new
    if kind != "guess":
        raise ValidationError("action.kind", "the guesser may only 'guess'", message="The guesser picks words.")
    if word not in state["board"]:
        raise ValidationError("action.word", "must be a word on the board", message="Pick a word on the board.")
    if word in state["guesses"]:
        raise ValidationError("action.word", "was already guessed", message=f"“{word}” was already guessed.")
    new["guesses"].append(word)
    if word == state["target"]:
        new["result"] = "won"
    elif len(new["guesses"]) >= state["max_guesses"]:
        new["result"] = "lost"
    else:
        new["turn"] = "hinter"
    return new


def outcome(state: dict[str, Any]) -> dict[str, Any] | None:
    if not state.get("result"):
        return None
    return {"success": state["result"] == "won", "result": state["result"], "target": state["target"],
            "guesses": len(state["guesses"]), "hints": len(state["hints"])}


def instructions(role: str) -> str:
    if role == "helper":
        return ("You advise two people playing a word-guessing game. You see the board, the hints and the "
                "guesses but not the secret word. Suggest in the chat which word the hints point to.")
    if role == "hinter":
        return ("You are the hinter in a word-guessing game. You see a board of words and the secret target. "
                "Give ONE single-word hint that is not on the board, so that your partner picks the target. "
                'Act with {"kind": "hint", "word": "<one word>"}.')
    return ("You are the guesser in a word-guessing game. You see a board of words and the hints so far. "
            'Pick the board word the hints point to. Act with {"kind": "guess", "word": "<a board word>"}.')


#: What each role does, told to people on the session page: (to the one who has it, about one who has it).
ROLES_FOR_PEOPLE = {
    "hinter": ("You see which word on the board is the secret one. Give one-word hints that lead the guesser to it.",
               "sees the secret word and gives one-word hints"),
    "guesser": ("You do not see the secret word. After each hint, pick the word on the board the hints point to.",
                "picks the word on the board that the hints point to"),
    "helper": ("You read the hints and suggest in the chat which word they point to.",
               "reads the hints and suggests words in the chat, but never picks"),
}


def rules(config: dict[str, Any], seats: dict[str, str]) -> list[str]:
    """The rules as people read them, with this study's numbers (``config`` is the study's ``word_guessing``)."""
    size = min(int(config.get("board_size", 8)), len(config.get("words") or VOCABULARY))
    guesses = int(config.get("max_guesses", 5))
    out = [f"The board shows {size} words. One of them is the secret word; only the hinter knows which.",
           "The hinter gives one hint at a time: a single word that is not on the board.",
           "After each hint the guesser picks one word on the board.",
           f"You win together when the guesser picks the secret word. The guesser has {guesses} "
           f"guess{'es' if guesses != 1 else ''}."]
    if "helper" in seats:
        out.append("The helper suggests words in the chat; only the guesser picks.")
    return out


def local_move(state: dict[str, Any], role: str, rng: random.Random) -> dict[str, Any]:
    """A deterministic, sensible move for ``role`` (the local agent and simulated humans play this)."""
    if role == "hinter":
        used = set(state["hints"])
        pool = [w for w in VOCABULARY.get(state["target"], ()) if w not in used and w not in state["board"]]
        return {"kind": "hint", "word": pool[0] if pool else f"{state['target'][0]}-word"}
    left = [w for w in state["board"] if w not in state["guesses"]]
    hints = set(state["hints"])
    rng.shuffle(left)
    left.sort(key=lambda w: -len(hints & set(VOCABULARY.get(w, ()))))
    return {"kind": "guess", "word": left[0]}
