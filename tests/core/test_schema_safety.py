"""A label schema makes the server run nothing a worker's input could abuse: no reference fetched, no backtracking.

Both result validators are checked: jsonschema's (``definitions.validate_result``, which words
every error) and the compiled one of the submission hot path (``fast_validation.checker``).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import fastjsonschema
import jsonschema
import pytest
import referencing.exceptions

from workbench.study import definitions, fast_validation, json_safety
from workbench.errors import ValidationError
from workbench.store.models import TaskDefinition

ROOT = Path(__file__).resolve().parents[2]
CATASTROPHIC = "^(a+)+$"  # the issue's pattern: 2.9 s on 26 characters with a backtracking engine


@pytest.fixture
def listener():
    """A local HTTP server that records every request and answers a schema that would accept anything."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(self.path)
            body = json.dumps({"type": "string"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"type": "string", "description": "TOP-SECRET-7731"}))
    return path


def _schema(ref: str) -> dict:
    return {"type": "object", "required": ["label"], "properties": {"label": {"$ref": ref}}}


def _refs(url: str, secret: Path) -> list[str]:
    return [f"{url}/label.json", secret.as_uri(), "https://example.invalid/label.json"]


def _task_type(s):
    return definitions.create_type(s, "classification")


def test_a_definition_with_a_remote_ref_is_refused_and_nothing_is_fetched(store, listener, secret_file):
    url, seen = listener
    with store.transaction() as s:
        _task_type(s)
        for n, ref in enumerate(_refs(url, secret_file)):
            with pytest.raises(ValidationError) as caught:
                definitions.create_definition(s, "classification", f"1.{n}", {"label_schema": _schema(ref)})
            assert caught.value.field == "definition.label_schema.properties.label.$ref"
            assert "local reference" in caught.value.reason and "TOP-SECRET" not in str(caught.value.to_dict())
        # A base URI of the schema's own makes a relative reference remote too.
        relative = {**_schema("label.json"), "$id": f"{url}/schemas/"}
        with pytest.raises(ValidationError) as caught:
            definitions.create_definition(s, "classification", "2.0", {"label_schema": relative})
        assert caught.value.field == "definition.label_schema.properties.label.$ref"
        made = definitions.create_definition(s, "classification", "3.0", {"label_schema": {
            **_schema("#/$defs/label"), "$defs": {"label": {"enum": ["cat", "dog"]}}}})
        with pytest.raises(ValidationError) as caught:
            definitions.update_definition(s, made.id, {"label_schema": _schema(f"{url}/label.json")})
        assert caught.value.field == "definition.label_schema.properties.label.$ref"
        definitions.validate_result(made, {"label": "cat"})  # a local reference is followed
        with pytest.raises(ValidationError) as caught:
            definitions.validate_result(made, {"label": "eel"})
        assert caught.value.field == "result.label"
    assert seen == []


def test_a_stored_definition_with_a_remote_ref_fails_closed_in_both_validators(store, listener, secret_file):
    """Stored before the rule (or written around it): every result is refused, nothing is fetched or read."""
    url, seen = listener
    with store.transaction() as s:
        owner = _task_type(s)
        schemas = [_schema(ref) for ref in _refs(url, secret_file)]
        schemas.append({**_schema("label.json"), "$id": f"{url}/schemas/"})
        schemas.append(_schema("#/$defs/missing"))  # local, but leads nowhere: refused when checked, not a 500
        rows = [TaskDefinition(task_type_id=owner.id, version=f"9.{n}", definition={"label_schema": schema})
                for n, schema in enumerate(schemas)]
        s.add_all(rows)
        s.flush()
        for row in rows:
            check = fast_validation.checker(row.id, row.version, row.label_schema)
            for validate in (lambda result: definitions.validate_result(row, result), check):
                with pytest.raises(ValidationError) as caught:
                    validate({"label": "cat"})
                said = json.dumps(caught.value.to_dict())
                assert caught.value.field.startswith("definition.label_schema"), said
                assert "TOP-SECRET" not in said and url not in said and "secret" not in said
    assert seen == []


def test_a_collaboration_answer_is_checked_without_fetching_or_backtracking(listener, secret_file):
    """The collaboration page's answers (assisted labelling) go through the same validator as submissions."""
    from workbench.collab.live import LiveSession, Member

    url, seen = listener
    annotator = Member(1, "human", "annotator", "W1")
    schemas = [_schema(ref) for ref in _refs(url, secret_file)]
    schemas.append({"type": "object", "properties": {"label": {"type": "string", "pattern": "(a)\\1"}}})
    for schema in schemas:
        game = {"task_id": 1, "label_schema": schema, "proposal": None, "current": None, "final": None,
                "turn": "annotator", "result": None}
        live = LiveSession(1, "s", "assisted_labelling", {}, {}, "active", {"game": game}, {1: annotator})
        with pytest.raises(ValidationError) as caught:
            live.act(annotator, {"kind": "submit", "result": {"label": "aa"}}, datetime.now(timezone.utc))
        said = json.dumps(caught.value.to_dict())
        assert caught.value.field.startswith("definition.label_schema"), said
        assert "TOP-SECRET" not in said and url not in said
    assert seen == []


def test_result_validators_retrieve_nothing_even_when_asked(listener, secret_file):
    """The registry behind the result validators refuses every retrieval, whatever reaches it."""
    url, seen = listener
    for ref in _refs(url, secret_file):
        validator = jsonschema.Draft202012Validator(_schema(ref), registry=json_safety.LOCAL_ONLY)
        with pytest.raises(referencing.exceptions.Unresolvable) as caught:
            list(validator.iter_errors({"label": "cat"}))
        assert "TOP-SECRET" not in str(caught.value)
    assert seen == []


def test_the_compiled_validator_resolves_no_uri_of_any_scheme(listener, secret_file):
    """fastjsonschema fetches with urllib any scheme it has no handler for; the workbench gives it one for all."""
    url, seen = listener
    for ref in _refs(url, secret_file):
        with pytest.raises(fastjsonschema.JsonSchemaDefinitionException) as caught:
            fastjsonschema.compile(_schema(ref), handlers=fast_validation.RefuseEveryScheme())
        assert "TOP-SECRET" not in str(caught.value)
    assert seen == []


@pytest.mark.parametrize("keyword, pattern", [
    ("pattern", r"^(a)\1$"),  # a backreference
    ("pattern", r"^(?=a)\w+$"),  # a lookahead
    ("pattern", r"(?<!x)y"),  # a lookbehind
    ("patternProperties", r"^(\w)\1$"),
])
def test_a_pattern_re2_cannot_run_is_refused_naming_the_field(store, keyword, pattern):
    label = {"type": "string", "pattern": pattern} if keyword == "pattern" else {
        "type": "object", "patternProperties": {pattern: {"type": "string"}}}
    with store.transaction() as s:
        _task_type(s)
        with pytest.raises(ValidationError) as caught:
            definitions.create_definition(s, "classification", "1.0", {"label_schema": {
                "type": "object", "properties": {"label": label}}})
    assert caught.value.field == f"definition.label_schema.properties.label.{keyword}"
    assert "linear time" in caught.value.reason and "backreferences" in caught.value.reason


def test_unevaluated_properties_beside_pattern_properties_is_refused(store):
    with store.transaction() as s:
        _task_type(s)
        with pytest.raises(ValidationError) as caught:
            definitions.create_definition(s, "classification", "1.0", {"label_schema": {
                "type": "object", "patternProperties": {"^x-": {}}, "unevaluatedProperties": False}})
    assert caught.value.field == "definition.label_schema.unevaluatedProperties"


def test_a_definition_holding_what_no_store_keeps_is_refused(store):
    with store.transaction() as s:
        _task_type(s)
        for schema, field in (({"type": "number", "maximum": float("nan")}, "definition.label_schema.maximum"),
                              ({"type": "string", "const": "a\x00b"}, "definition.label_schema.const")):
            with pytest.raises(ValidationError) as caught:
                definitions.create_definition(s, "classification", "1.0", {"label_schema": schema})
            assert caught.value.field == field


_RUN_BOTH = """
import json, sys
import fastjsonschema
from workbench import definitions, fast_validation
from workbench.errors import ValidationError
schema, good, bad = json.loads(sys.stdin.read())
text = json.dumps(schema, sort_keys=True)

def passes(check, value):
    try:
        check(value)
        return True
    except (ValidationError, fastjsonschema.JsonSchemaException):
        return False

out = {"jsonschema": [passes(lambda v: definitions.check_result(1, "1", text, v), x) for x in (good, bad)],
       "submission check": [passes(fast_validation.checker(1, "1", schema), x) for x in (good, bad)]}
compiled = fast_validation._compiled(schema)
if compiled is not None:
    out["compiled"] = [passes(compiled, x) for x in (good, bad)]
print(json.dumps(out))
"""


@pytest.mark.parametrize("schema, good, bad, compiled", [
    ({"type": "object", "properties": {"code": {"type": "string", "pattern": CATASTROPHIC}}},
     {"code": "a" * 5000}, {"code": "a" * 5000 + "!"}, True),
    ({"type": "object", "patternProperties": {CATASTROPHIC: {"type": "integer"}}, "additionalProperties": False},
     {"a" * 5000: 1}, {"a" * 5000 + "!": 1}, False),
    ({"type": "object", "propertyNames": {"pattern": CATASTROPHIC}}, {"a" * 5000: 1}, {"a" * 5000 + "!": 1}, False),
])
def test_a_catastrophic_pattern_finishes_in_both_validators(schema, good, bad, compiled):
    """Run in a child process: a backtracking engine holds the GIL for hours on these inputs, so a thread could not
    be given up on. The generous timeout only keeps a regression from hanging the suite; the result is asserted."""
    done = subprocess.run([sys.executable, "-c", _RUN_BOTH], input=json.dumps([schema, good, bad]), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["jsonschema"] == out["submission check"] == [True, False]
    assert out.get("compiled") == ([True, False] if compiled else None)
    json_safety.check_label_schema(schema)  # and a definition may say it: RE2 runs it


def test_the_submission_check_refuses_a_catastrophic_mismatch_with_the_field(store):
    with store.transaction() as s:
        _task_type(s)
        made = definitions.create_definition(s, "classification", "1.0", {"label_schema": {
            "type": "object", "required": ["code"], "properties": {"code": {"type": "string", "pattern": CATASTROPHIC}}}})
    check = fast_validation.checker(made.id, made.version, made.label_schema)
    check({"code": "a" * 26})
    with pytest.raises(ValidationError) as caught:
        check({"code": "a" * 26 + "!"})
    assert caught.value.field == "result.code" and "does not match" in caught.value.reason


# -- found by review: keyword-named properties, and references that never reach the end of the answer ---------
@pytest.mark.parametrize("schema, field", [
    ({"type": "object", "properties": {"enum": {"type": "object", "patternProperties": {"^(a+)+$": {}},
                                                "unevaluatedProperties": False}}},
     "definition.label_schema.unevaluatedProperties"),
    ({"type": "object", "properties": {"const": {"$ref": "http://127.0.0.1:9/label.json"}}},
     "definition.label_schema.properties.const.$ref"),
    ({"type": "object", "properties": {"default": {"type": "string", "pattern": "(a)\\1"}}},
     "definition.label_schema.properties.default.pattern"),
    ({"$ref": "#/enum/0", "enum": [{"pattern": "(?=a)"}]}, "definition.label_schema.enum[0].pattern"),
])
def test_a_schema_under_a_keyword_like_name_is_checked_too(store, schema, field):
    with store.transaction() as s:
        _task_type(s)
        with pytest.raises(ValidationError) as caught:
            definitions.create_definition(s, "classification", "1.0", {"label_schema": schema})
    assert caught.value.field == field


CYCLES = [
    ({"$ref": "#"}, "definition.label_schema.$ref"),
    ({"allOf": [{"$ref": "#"}]}, "definition.label_schema.allOf[0].$ref"),
    ({"$ref": "#/$defs/a", "$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}}},
     None),
    ({"$defs": {"x": {"$anchor": "x", "if": {"$ref": "#x"}}}, "$ref": "#/$defs/x"}, None),
]


@pytest.mark.parametrize("schema, field", CYCLES)
def test_a_reference_that_comes_back_without_reading_the_answer_is_refused(store, schema, field):
    with store.transaction() as s:
        _task_type(s)
        with pytest.raises(ValidationError) as caught:
            definitions.create_definition(s, "classification", "1.0", {"label_schema": schema})
    assert caught.value.field.startswith("definition.label_schema") and caught.value.field.endswith("$ref")
    assert field is None or caught.value.field == field
    assert "without reading" in caught.value.reason


def test_a_schema_may_refer_to_itself_one_level_down_the_answer(store):
    tree = {"type": "object", "required": ["label"], "properties": {
        "label": {"enum": ["cat", "dog"]}, "parts": {"type": "array", "items": {"$ref": "#"}}}}
    with store.transaction() as s:
        _task_type(s)
        made = definitions.create_definition(s, "classification", "1.0", {"label_schema": tree})
        definitions.validate_result(made, {"label": "cat", "parts": [{"label": "dog", "parts": [{"label": "cat"}]}]})
        with pytest.raises(ValidationError) as caught:
            definitions.validate_result(made, {"label": "cat", "parts": [{"label": "cow"}]})
    assert caught.value.field == "result.parts[0].label"


@pytest.mark.parametrize("schema", [schema for schema, _ in CYCLES])
def test_a_stored_schema_that_refers_to_itself_fails_closed(store, schema):
    """Stored before the rule: every result is refused on the definition (a 400, never a RecursionError)."""
    from workbench.collab.live import LiveSession, Member

    with store.transaction() as s:
        row = TaskDefinition(task_type_id=_task_type(s).id, version="9.0", definition={"label_schema": schema})
        s.add(row)
        s.flush()
        check = fast_validation.checker(row.id, row.version, row.label_schema)
        for validate in (lambda result: definitions.validate_result(row, result), check):
            with pytest.raises(ValidationError) as caught:
                validate({"label": "cat"})
            assert caught.value.field.startswith("definition.label_schema")
    annotator = Member(1, "human", "annotator", "W1")
    game = {"task_id": 1, "label_schema": schema, "proposal": None, "current": None, "final": None,
            "turn": "annotator", "result": None}
    live = LiveSession(1, "s", "assisted_labelling", {}, {}, "active", {"game": game}, {1: annotator})
    with pytest.raises(ValidationError) as caught:
        live.act(annotator, {"kind": "submit", "result": {"label": "cat"}}, datetime.now(timezone.utc))
    assert caught.value.field.startswith("definition.label_schema")


def test_a_schema_that_recurses_at_run_time_fails_closed_not_with_a_recursion_error():
    """What the creation check cannot see (a dynamic scope, say) is still no RecursionError when it runs."""
    validator = jsonschema.Draft202012Validator({"$ref": "#"}, registry=json_safety.LOCAL_ONLY)
    with pytest.raises(ValidationError) as caught:
        json_safety.first_error(validator, {"label": "cat"}, schema_version="1.0")
    assert (caught.value.field, caught.value.to_dict()["schema_version"]) == ("definition.label_schema", "1.0")
    assert "itself without end" in caught.value.reason
