"""What every panel shares: a status line that shows an action's success or its error."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from IPython.display import display

from ..crowd import money
from ..crowd.providers import Words
from ..errors import WorkbenchError


class Panel:
    """A widget tree (``.widget``) plus a status line; displays itself in JupyterLab and Voila."""

    title = ""

    def __init__(self) -> None:
        self.status = w.HTML(value="", layout=w.Layout(min_height="1.5em"))
        self.status.add_class("wb-status")
        self.widget: w.Widget = w.VBox()

    def _ipython_display_(self) -> None:
        display(self.widget)

    def frame(self, *children: w.Widget) -> w.VBox:
        head = [w.HTML(f"<h3>{html.escape(self.title)}</h3>")] if self.title else []
        box = w.VBox([*head, *children, self.status])
        box.add_class("wb-panel")
        return box

    def ok(self, message: str) -> None:
        self.status.value = f'<span class="wb-ok" style="color:#17702b">✔ {html.escape(message)}</span>'

    def fail(self, message: str) -> None:
        self.status.value = f'<span class="wb-error" style="color:#b00020">✖ {html.escape(message)}</span>'

    @property
    def status_text(self) -> str:
        """The status line without markup (what tests and people read)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.status.value)).strip()

    def act(self, action: Callable[[], Any], success: Callable[[Any], str] | str, *,
            buttons: tuple[w.Button, ...] = ()) -> Any:
        """Run one core call; show its success, or its error (a WorkbenchError's message, or the exception's).

        ``buttons`` are disabled while the call runs (a second click cannot start it again), and
        enabled again after, as they were, whatever happened.
        """
        was = [b.disabled for b in buttons]
        for b in buttons:
            b.disabled = True
        try:
            result = action()
        except WorkbenchError as exc:
            self.fail(str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - the panel must say what went wrong, not die silently
            self.fail(f"{type(exc).__name__}: {exc}")
            return None
        finally:
            for b, disabled in zip(buttons, was):
                b.disabled = disabled
        self.ok(success(result) if callable(success) else success)
        return result


def table(rows: list[dict[str, Any]], columns: list[str], headings: dict[str, str] | None = None) -> str:
    """A small HTML table, every cell escaped; ``headings`` names columns in the provider's words."""
    if not rows:
        return "<em>nothing to show</em>"
    headings = headings or {}
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{html.escape(headings.get(c, c))}</th>"
                   for c in columns)
    body = "".join("<tr>" + "".join(f"<td style='padding:2px 8px'>{html.escape(_cell(r.get(c)))}</td>"
                                    for c in columns) + "</tr>" for r in rows)
    return f"<table class='wb-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


dollars = money.display


def headings(words: Words) -> dict[str, str]:
    """Column headings for the store's MTurk-worded keys, in the provider's words ("study id", not "hit_id")."""
    return {"hit_id": f"{words.work} id", "assignment_id": f"{words.attempt} id", "worker_id": f"{words.worker} id",
            "max_assignments": f"{words.attempts}", "reward_cents": "reward ¢", "task_id": "task",
            "accept_time": "started", "submit_time": "submitted", "expires_at": "expires"}


def capital(word: str) -> str:
    """``word`` to begin a title or a label ("study" → "Study"; "HIT" stays)."""
    return word[:1].upper() + word[1:]


def a(word: str) -> str:
    """``word`` with its indefinite article ("a HIT", "a study", "an assignment")."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
