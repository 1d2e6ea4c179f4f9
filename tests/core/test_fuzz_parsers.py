"""Fuzzing the parsers of outside input: whatever comes in, a ValidationError (field and reason) or a value comes out.

- ``answers.parse``: MTurk's answer XML, as any worker (or a hostile MTurk) may shape it;
- ``plugins.validate_manifest``: a plugin's manifest, as any uploader may write it.

Bounded (200 examples each), derandomized and without an example database, so a CI run is the
same every time and writes nothing.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbench.study import plugins
from workbench.errors import ValidationError
from workbench.crowd.providers.mturk import answers

from .test_plugins import make_plugin

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- JSON-ish values, the odd ones included ---------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=20), st.sampled_from(["\x00", "\ud800", "\udfff", "\ufffe", "..", "/", "~x"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def deep(depth: int) -> dict:
    """A schema ``depth`` levels of ``not`` deep, built without recursion."""
    node: dict = {}
    for _ in range(depth):
        node = {"not": node}
    return node


# -- answer XML -------------------------------------------------------------------------
results = st.one_of(
    values.map(lambda v: json.dumps(v, allow_nan=True)),  # NaN, Infinity, lone surrogates escaped
    st.integers(min_value=0, max_value=5000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=0, max_value=5000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.sampled_from(['"\\ud800"', '"\\u0000"', "NaN", "-Infinity", "1e999", "1" * 5000, "{", '{"a":}', ""]),
    st.text(max_size=40),
)
declarations = st.sampled_from([
    "", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="ASCII"?>', '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml version="1.0" encoding="UTF-7"?>', '<?xml version="1.0" encoding="UTF-16"?>',
    "<?xml version='1.0' encoding='x-nonsense'?>", '<?xml version="1.0" encoding="latin-1"?>',
    '<?xml version="1.0" encoding="cp500"?>', '<?xml version="1.0" encoding=""?>', "\ufeff", "<?xml ?>",
])
prologues = st.sampled_from([
    "", '<!DOCTYPE a [<!ENTITY e "x">]>', '<!DOCTYPE a SYSTEM "file:///etc/passwd">', "<!-- a -->", "<?pi x?>",
    '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>',
])
escape = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _text(value: str) -> str:
    return "".join(escape.get(c, c) for c in value)


@st.composite
def answer_documents(draw) -> str:
    fields = draw(st.lists(st.tuples(st.sampled_from(["result", "completion_code", "tool_version", ""]) | st.text(
        max_size=8), results | st.text(max_size=20)), max_size=4))
    kinds = draw(st.sampled_from(["FreeText", "SelectionIdentifier", "Other"]))
    body = "".join(f"<Answer><QuestionIdentifier>{_text(n)}</QuestionIdentifier><{kinds}>{_text(v)}</{kinds}>"
                   f"</Answer>" for n, v in fields)
    root = draw(st.sampled_from(["QuestionFormAnswers", f'QuestionFormAnswers xmlns="{answers.NS}"', "Other"]))
    document = f"{draw(declarations)}{draw(prologues)}<{root}>{body}{draw(st.sampled_from(['', '&e;', '&b;']))}" \
               f"</{root.split()[0]}>"
    cut = draw(st.integers(min_value=0, max_value=len(document)))
    return document if draw(st.booleans()) else document[:cut] + draw(st.text(max_size=5))


def _only_validation_errors(text) -> None:
    try:
        fields = answers.parse(text)
    except ValidationError as exc:
        assert exc.field.startswith("answer") and exc.reason
        json.dumps(exc.to_dict())  # a recorded reason is plain JSON
        return
    assert isinstance(fields, dict)
    if "result" in fields:  # a result that passes is one every store keeps
        json.dumps(fields["result"], allow_nan=False).encode("utf-8")
        assert "\\u0000" not in json.dumps(fields["result"])


def _answer(result: str, declaration: str = "") -> str:
    return (f"{declaration}<QuestionFormAnswers xmlns=\"{answers.NS}\"><Answer><QuestionIdentifier>result"
            f"</QuestionIdentifier><FreeText>{result}</FreeText></Answer></QuestionFormAnswers>")


@FUZZ
@given(answer_documents())
@example(_answer("[" * 3000 + "]" * 3000))  # found by the campaign: RecursionError, and sync stopped
@example(_answer('{"label": "\\ud800"}'))
@example(_answer("{}", '<?xml version="1.0" encoding="UTF-7"?>'))
@example(_answer("{}") + "\ud800")
def test_the_answer_parser_refuses_with_a_validation_error_only(document):
    _only_validation_errors(document)
    stored = answers.storable(document)
    stored.encode("utf-8")  # what sync keeps, whatever came
    assert "\x00" not in stored


@FUZZ
@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")), values))
def test_the_answer_parser_takes_any_value(value):
    _only_validation_errors(value)


# -- plugin manifests -------------------------------------------------------------------
@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """A plugins root with one valid plugin: its manifest, and the root."""
    root = tmp_path_factory.mktemp("fuzz") / "plugins"
    manifest = make_plugin(root)
    (root / "outside.js").write_text("/* beside the plugin */")
    return manifest, root


#: Paths that have broken path checks somewhere: out of the folder, absolute, a scheme, a NUL, too long, not text.
HOSTILE_PATHS = ["plugin.js", "plugin.css", "../outside.js", "/etc/passwd", "a\\b.js", "x\x00.js",
                 "file:///etc/passwd", "http://example.org/x.js", "", " ", ".", "./plugin.js", "x" * 300 + ".js",
                 "d/" * 200 + "x.js", "plugins/demo", "plugins", "plugins/../plugins/demo", "plugins/" + "x" * 300,
                 "~", "~nosuchuser/x.js", "\ud800.js", "plugins/demo/\ud800"]


def mostly(common, rare):
    """``common`` three times in four, else ``rare``: the budget goes to the cases that reach deep checks."""
    return st.sampled_from((common, common, common, rare)).flatmap(lambda chosen: chosen)


paths = mostly(st.sampled_from(HOSTILE_PATHS), st.one_of(st.text(max_size=30), values))
schemas = mostly(
    st.one_of(st.sampled_from([
        {"type": "object", "properties": {"label": {"$ref": "http://127.0.0.1:9/x.json"}}},
        {"$schema": ["not", "a", "string"]}, {"$schema": {}}, {"$schema": 7}, {"type": "string", "pattern": "(a)\\1"},
        {"type": "string", "pattern": "["}, {"type": "number", "minimum": math.inf}, {"type": "string", "const": "\x00"},
        {"properties": {"\ud800": {}}}, {"type": "object", "properties": {"label": {"$ref": "#/$defs/nowhere"}}}]),
        st.integers(0, 300).map(deep)),
    values)
manifest_values = {
    "name": mostly(st.sampled_from(["demo", "Demo", "-x", "x" * 65, "d\x00"]), values),
    "task_type": mostly(st.sampled_from(["classification", "", "a b"]), values),
    "version": mostly(st.sampled_from(["1.0.0", "", "1" * 40, "1.0\n"]), values),
    "result_schema_version": mostly(st.sampled_from(["1.0", "../1"]), values),
    "root": paths,
    "js": mostly(st.lists(paths, min_size=1, max_size=3), values),
    "css": mostly(st.lists(paths, max_size=3), values),
    "worker_fields": mostly(st.sampled_from([{"payload": ["text"]}, {"payload": "text"}, {"secret": []}]), values),
    "default_definition": mostly(st.fixed_dictionaries({
        "ui_config": mostly(st.just({"labels": ["a", "b"]}), values), "label_schema": schemas}), values),
}


#: A valid manifest, as ``make_plugin`` writes it into a plugins root named "plugins".
VALID = {"name": "demo", "task_type": "classification", "version": "1.0.0", "root": "plugins/demo",
         "js": ["plugin.js"], "css": ["plugin.css"], "result_schema_version": "1.0"}
#: The keys to change, the ones with deep checks more often.
CHANGED = ["root", "js", "js", "css", "default_definition", "default_definition", "worker_fields", "name",
           "task_type", "version", "result_schema_version"]


@st.composite
def manifests(draw):
    """A valid manifest with one or two fields changed (or left out), or, now and then, any value at all."""
    manifest = dict(VALID)
    for key in draw(st.lists(st.sampled_from(CHANGED), min_size=1, max_size=2, unique=True)):
        if draw(st.integers(0, 9)) == 0:
            manifest.pop(key, None)
        else:
            manifest[key] = draw(manifest_values[key])
    return draw(mostly(st.just(manifest), values))


@FUZZ
@given(manifests())
@example({**VALID, "js": ["x" * 300 + ".js"]})  # found by the campaign: OSError, a 500 on the plugin API
@example({**VALID, "root": "plugins/" + "x" * 300})
@example({**VALID, "css": ["\ud800.css"]})
@example({**VALID, "default_definition": {"label_schema": {"$schema": []}}})
@example({**VALID, "default_definition": {"label_schema": deep(3000)}})
def test_the_manifest_validator_refuses_with_a_validation_error_only(plugin, manifest):
    made, plugins_root = plugin
    assert made == VALID
    try:
        found = plugins.validate_manifest(manifest, plugins_root)
    except ValidationError as exc:
        assert exc.field.startswith("manifest") and exc.reason
        return
    assert found.root.is_relative_to(plugins_root.resolve())
    for key in ("js", "css"):
        for name in found.manifest[key]:
            assert (found.root / name).resolve().is_relative_to(plugins_root.resolve())
