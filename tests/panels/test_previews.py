"""Previews draw boxes and polygons over the image, list labels, and escape what workers typed."""

from __future__ import annotations

from PIL import Image

from workbench.results import previews


def test_boxes_and_polygons_are_drawn_over_the_image(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (640, 480), (0, 0, 0)).save(path)
    out = previews.render({"boxes": [{"x": 64, "y": 48, "w": 64, "h": 48, "label": "cat"}],
                           "polygons": [{"points": [[0, 0], [64, 0], [64, 64]], "label": "dog"}]},
                          path, width=640, height=480)
    assert "data:image/png;base64," in out
    assert '<rect class="wb-box" x="32.0" y="24.0" width="32.0" height="24.0"' in out  # scaled to 320 wide
    assert 'class="wb-polygon" points="0.0,0.0 32.0,0.0 32.0,32.0"' in out


def test_labels_and_text_are_escaped():
    out = previews.render({"labels": ["<b>cat</b>"], "text": "<script>alert(1)</script>"})
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;cat&lt;/b&gt;" in out
    assert "no annotation yet" in previews.render(None)
