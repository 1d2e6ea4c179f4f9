"""The OpenAPI spec is valid, served, and matches the routes both ways."""

from __future__ import annotations

import yaml
from openapi_spec_validator import validate

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
