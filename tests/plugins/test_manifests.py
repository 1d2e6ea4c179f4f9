"""Manifests, default definitions and static rules for every plugin (no browser needed)."""

import json
import re
from pathlib import Path

import jsonschema
import pytest

PLUGINS_DIR = Path(__file__).resolve().parents[2] / "plugins"
BUILT_IN = ["classification", "bounding-box", "polygon", "free-text"]
REQUIRED_KEYS = {"name", "task_type", "version", "root", "js", "css", "result_schema_version"}
PLUGINS = sorted(p.name for p in PLUGINS_DIR.iterdir() if (p / "manifest.json").is_file())

# Results the browser tests produced, per plugin: each must satisfy the default label_schema.
PRODUCED = {
    "classification": [
        {"labels": ["cat"]},
        {"labels": ["dog"]},
        {"labels": ["other"]},
    ],
    "bounding-box": [
        {"boxes": [
            {"x": 90, "y": 95, "w": 160, "h": 105, "label": "circle"},
            {"x": 600, "y": 100, "w": 40, "h": 60, "label": "circle"},
        ]},
        {"boxes": [
            {"x": 258, "y": 202, "w": 130, "h": 95, "label": "circle"},
            {"x": 256, "y": 192, "w": 128, "h": 96, "label": "triangle"},
        ]},
        {"boxes": [{"x": 100.3, "y": 99.7, "w": 200.1, "h": 100, "label": "square"}]},
        {"boxes": []},
    ],
    "polygon": [
        {"polygons": [
            {"points": [[80, 80], [240, 80], [250, 250]], "label": "square"},
            {"points": [[160, 440], [300, 280], [440, 440]], "label": "triangle"},
            {"points": [[340, 60], [540, 60], [540, 260]], "label": "circle"},
        ]},
        {"polygons": [{"points": [[271, 182], [368, 192], [368, 288], [272, 288]], "label": "other"}]},
    ],
    "free-text": [
        {"text": "Too short! A red square."},
        {"text": "A green triangle under a blue circle."},
    ],
}

# Results the server must refuse under the default label_schema.
REFUSED = {
    "classification": [{}, {"labels": []}, {"labels": ["cat", "dog"]}, {"labels": [""]}, {"labels": ["cat"], "x": 1}],
    "bounding-box": [
        {},
        {"boxes": [{"x": 1, "y": 2, "w": 0, "h": 4, "label": "a"}]},
        {"boxes": [{"x": -1, "y": 2, "w": 3, "h": 4, "label": "a"}]},
        {"boxes": [{"x": 1, "y": 2, "w": 3, "h": 4}]},
        {"boxes": [{"x": "1", "y": 2, "w": 3, "h": 4, "label": "a"}]},
    ],
    "polygon": [
        {"polygons": []},
        {"polygons": [{"points": [[1, 1], [2, 2]], "label": "a"}]},
        {"polygons": [{"points": [[1, 1], [2, 2], [3]], "label": "a"}]},
        {"polygons": [{"points": [[1, 1], [2, 2], [3, -3]], "label": "a"}]},
    ],
    "free-text": [{"text": "short"}, {"text": "x" * 501}, {"text": 12345678901}, {}],
}


def load(name):
    return json.loads((PLUGINS_DIR / name / "manifest.json").read_text(encoding="utf-8"))


def test_the_built_in_plugins_are_there():
    assert set(BUILT_IN) <= set(PLUGINS)


@pytest.mark.parametrize("name", PLUGINS)
def test_manifest_keys_and_files(name):
    manifest = load(name)
    assert REQUIRED_KEYS <= manifest.keys()
    assert manifest["name"] == name
    assert manifest["root"] == f"plugins/{name}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert isinstance(manifest["result_schema_version"], str)
    assert manifest["js"], "a plugin needs at least one script"
    folder = (PLUGINS_DIR / name).resolve()
    for path in manifest["js"] + manifest["css"]:
        assert isinstance(path, str)
        assert not path.startswith("/") and "\\" not in path and ".." not in path.split("/")
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I), "no URLs, only files of the plugin"
        file = (folder / path).resolve()
        assert file.is_file() and folder in file.parents


@pytest.mark.parametrize("name", PLUGINS)
def test_default_definition_is_a_valid_json_schema(name):
    definition = load(name)["default_definition"]
    assert isinstance(definition["ui_config"], dict)
    jsonschema.Draft202012Validator.check_schema(definition["label_schema"])
    assert definition["label_schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", BUILT_IN)
def test_default_schema_accepts_what_the_plugin_produces(name):
    validator = jsonschema.Draft202012Validator(load(name)["default_definition"]["label_schema"])
    for result in PRODUCED[name]:
        validator.validate(result)


@pytest.mark.parametrize("name", BUILT_IN)
def test_default_schema_refuses_malformed_results(name):
    validator = jsonschema.Draft202012Validator(load(name)["default_definition"]["label_schema"])
    for result in REFUSED[name]:
        assert not validator.is_valid(result), result


def test_single_label_default_matches_its_ui_config():
    definition = load("classification")["default_definition"]
    assert definition["ui_config"]["multi"] is False
    assert definition["label_schema"]["properties"]["labels"]["maxItems"] == 1


@pytest.mark.parametrize("name", BUILT_IN)
def test_worker_fields_are_the_fields_the_plugin_reads(name):
    """What a worker sees by default is what the plugin reads: a field the script reads and the manifest leaves
    out would be missing from worker pages, and one it declares but never reads would be shown for nothing."""
    declared = load(name)["worker_fields"]
    source = (PLUGINS_DIR / name / "plugin.js").read_text(encoding="utf-8")
    assert set(declared["payload"]) == set(re.findall(r"\bpayload\.([A-Za-z_$][\w$]*)", source))
    assert set(declared["metadata"]) == set(re.findall(r"\bmeta\.([A-Za-z_$][\w$]*)", source))


# Markup built from strings, code built from strings, inline styles and remote URLs are what
# the worker page's CSP or the XSS rules forbid; catch them before a browser does.
FORBIDDEN_JS = [
    r"\.innerHTML\b", r"\.outerHTML\b", r"insertAdjacentHTML", r"document\.write", r"\beval\(",
    r"new Function\(", r"setAttribute\(\s*[\"']style", r"setAttribute\(\s*[\"']on", r"\bimport\(",
    r"https?://(?!www\.w3\.org/2000/svg)",
]


def plugin_scripts():
    return sorted(PLUGINS_DIR.glob("*/*.js"))


@pytest.mark.parametrize("script", plugin_scripts(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scripts_build_dom_safely_and_stay_offline(script):
    source = script.read_text(encoding="utf-8")
    for pattern in FORBIDDEN_JS:
        assert not re.search(pattern, source), f"{script.name} matches {pattern}"


def test_playground_page_has_no_inline_script_or_style():
    html = (PLUGINS_DIR / "_playground" / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\s(style|on[a-z]+)=", html)
