"""The OpenAPI spec is valid, served, and matches the routes both ways."""

from __future__ import annotations

import pydantic
import pytest
import yaml
from openapi_spec_validator import validate

from server_ext import api_models, api_models_crowd, openapi_gen
from server_ext.handlers import all_handlers
from server_ext.handlers.docs import SPEC

from .test_auth import methods, spec_path


def test_spec_is_valid_openapi():
    validate(yaml.safe_load(SPEC.read_text()))


def test_routes_and_spec_paths_match_both_ways():
    spec = yaml.safe_load(SPEC.read_text())
    routed = {}
    for pattern, handler, *_ in all_handlers():
        if methods(handler):  # not the catch-all 404s, which answer every method in prepare
            routed[spec_path(pattern)] = {m.lower() for m in methods(handler)} - {"head"}
    documented = {path: {m for m in ops if m in ("get", "post", "put", "patch", "delete")}
                  for path, ops in spec["paths"].items()}
    assert set(routed) == set(documented), (set(routed) ^ set(documented))
    for path, ops in routed.items():
        assert ops == documented[path], path


async def test_spec_served_as_json_and_docs_page(fetch_json):
    status, data, _ = await fetch_json("workbench/api/openapi.json")
    assert status == 200 and data["openapi"].startswith("3.") and "/workbench/api/submissions" in data["paths"]
    status, _, response = await fetch_json("workbench/api/docs")
    html = response.body.decode()
    assert status == 200 and "workbench/api/docs/static/swagger-ui-bundle.js" in html and "http" not in html.split(
        "<body>")[0].replace("http-equiv", "")
    status, _, response = await fetch_json("workbench/api/docs/static/swagger-ui-bundle.js")
    assert status == 200 and b"SwaggerUIBundle" in response.body


def test_the_checked_in_spec_has_the_request_models_current_schemas():
    # The request bodies' schemas are generated from server_ext/api_models*.py; a model changed without
    # `python -m server_ext.openapi_gen` leaves the file behind, which this catches.
    assert openapi_gen.main(["--check"]) == 0, "run: python -m server_ext.openapi_gen"
    spec = yaml.safe_load(SPEC.read_text())
    for (path, method), model in openapi_gen.REQUEST_BODIES.items():
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model.__name__}"}, (path, method)
        assert model.__name__ in spec["components"]["schemas"]


def test_the_generator_refuses_a_route_whose_body_is_not_its_model():
    text = SPEC.read_text().replace('schema: {$ref: "#/components/schemas/NewProject"}', "schema: {type: object}", 1)
    with pytest.raises(ValueError, match="POST /workbench/api/projects: its body must be"):
        openapi_gen.render(text)


def test_generated_schemas_agree_with_the_models_on_sample_bodies():
    # The schema the spec publishes and the model the handler reads with accept and refuse the same bodies.
    from jsonschema import Draft4Validator  # OpenAPI 3.0's schemas are close to draft 4 (nullable aside)
    spec = yaml.safe_load(SPEC.read_text())
    resolver_root = {"components": spec["components"]}
    samples = [
        (api_models.NewProject, {"slug": "ok-1"}, True),
        (api_models.NewProject, {"slug": "Not OK"}, False),
        (api_models.NewProject, {}, False),
        (api_models.NewTask, {"project": "p", "definition": "t:1", "priority": 3}, True),
        (api_models.NewTask, {"project": "p", "definition": "t:1", "target_annotations": 0}, False),
        (api_models.NewTask, {"project": "p", "definition": "t:1", "surprise": 1}, False),
        (api_models_crowd.Bonus, {"amount_cents": 25, "reason": "thanks"}, True),
        (api_models_crowd.Bonus, {"amount_cents": "25", "reason": "thanks"}, False),
        (api_models_crowd.Rejection, {"feedback": " "}, False),
    ]
    for model, body, valid in samples:
        schema = {**spec["components"]["schemas"][model.__name__], **resolver_root}
        by_schema = Draft4Validator(schema).is_valid(body)
        try:
            model.model_validate(body)
            by_model = True
        except pydantic.ValidationError:
            by_model = False
        assert (by_schema, by_model) == (valid, valid), (model.__name__, body)
