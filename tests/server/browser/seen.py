"""What a worker sees, for the browser tests: whether an element is in view, and screenshots kept as artefacts.

Screenshots go to ``test-artifacts/screenshots/`` at the repository root (ignored by git), one PNG per page and
viewport, overwritten by the next run; each path is printed, so ``pytest -s`` (or a failure's captured output)
says where they are.
"""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


def in_view(locator) -> bool:
    """Whether the element is shown and wholly inside its window's viewport: inside a frame, the frame's own (a
    760 px MTurk frame shows only its first 760 px until the worker scrolls it)."""
    # Within a pixel: a scrolled page may leave an edge a fraction of a pixel out.
    return locator.evaluate("e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 "
                            "&& r.top > -1 && r.bottom < window.innerHeight + 1; }")


def keep(page, name: str) -> Path:
    """Save what ``page`` shows now (its viewport, frames included) as ``<name>-<width>x<height>.png``."""
    size = page.viewport_size or {"width": 0, "height": 0}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path))
    print(f"screenshot kept: {path}")
    return path
