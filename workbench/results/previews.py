"""Annotation previews as self-contained HTML: boxes and polygons drawn over the image, labels, text.

The review queue shows one per assignment. Everything a worker typed is escaped; the
image is inlined (a thumbnail, as a data URI), so the preview needs no server route.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

from .exports import shapes

THUMBNAIL = 320
COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6")


def thumbnail_data_uri(path: str | Path | None, size: int = THUMBNAIL) -> tuple[str, float] | None:
    """A PNG thumbnail of a local image as a data URI, and the scale from image pixels to it."""
    if not path or not Path(path).is_file():
        return None
    with Image.open(path) as image:
        scale = min(1.0, size / max(image.width, image.height))
        thumb = image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    buffer = io.BytesIO()
    thumb.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), scale


def render(result: Any, image_path: str | Path | None = None, *, width: int | None = None,
           height: int | None = None) -> str:
    """HTML for one result: an SVG of the image with its regions, then labels and text."""
    data = shapes.parse(result) if result is not None else {}
    parts = []
    regions = list(shapes.regions(data))
    thumb = thumbnail_data_uri(image_path)
    if thumb or regions:
        parts.append(_svg(regions, thumb, width, height))
    if "labels" in data:
        chips = "".join(f'<span class="wb-label" style="border:1px solid #888;border-radius:8px;padding:0 6px;'
                        f'margin-right:4px">{html.escape(str(label))}</span>' for label in data["labels"])
        parts.append(f'<div class="wb-labels">{chips}</div>')
    if "text" in data:
        parts.append(f'<blockquote class="wb-text">{html.escape(str(data["text"]))}</blockquote>')
    rest = {k: v for k, v in data.items() if k not in ("labels", "text", "boxes", "polygons")}
    if rest:
        parts.append(f'<pre class="wb-other">{html.escape(json.dumps(rest, indent=1))}</pre>')
    if not parts:
        parts.append('<em class="wb-empty">no annotation yet</em>')
    return '<div class="wb-preview">' + "".join(parts) + "</div>"


def _svg(regions: list[dict[str, Any]], thumb: tuple[str, float] | None, width: int | None,
         height: int | None) -> str:
    scale = thumb[1] if thumb else 1.0
    if width and height:
        w, h = round(width * scale), round(height * scale)
    else:
        w = round(max([r["bbox"][0] + r["bbox"][2] for r in regions] + [THUMBNAIL]) * scale)
        h = round(max([r["bbox"][1] + r["bbox"][3] for r in regions] + [THUMBNAIL * 3 // 4]) * scale)
    shapes_svg = []
    labels = sorted({r["label"] for r in regions})
    for region in regions:
        colour = COLOURS[labels.index(region["label"]) % len(COLOURS)]
        title = f"<title>{html.escape(region['label'])}</title>"
        if region["segmentation"]:
            flat = region["segmentation"][0]
            points = " ".join(f"{flat[i] * scale:.1f},{flat[i + 1] * scale:.1f}" for i in range(0, len(flat), 2))
            shapes_svg.append(f'<polygon class="wb-polygon" points="{points}" fill="{colour}" fill-opacity="0.25" '
                              f'stroke="{colour}" stroke-width="2">{title}</polygon>')
        else:
            x, y, bw, bh = (v * scale for v in region["bbox"])
            shapes_svg.append(f'<rect class="wb-box" x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{bh:.1f}" '
                              f'fill="none" stroke="{colour}" stroke-width="2">{title}</rect>')
    image = f'<image href="{thumb[0]}" x="0" y="0" width="{w}" height="{h}"/>' if thumb else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'style="border:1px solid #ccc">{image}{"".join(shapes_svg)}</svg>')
