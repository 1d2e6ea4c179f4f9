"""Prolific's own OpenAPI spec as the oracle: validate a response against the schema the spec
gives for its path, method and status, and keep a registry of the operations validated."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

SPEC_PATH = Path("/work/shared/contracts/prolific-openapi.yml")
if not SPEC_PATH.exists():  # the checkout's own copy, when the shared folder is elsewhere
    SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "contracts" / "prolific-openapi.yml"

VALIDATED: set[tuple[str, str]] = set()


@lru_cache(maxsize=1)
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def response_spec(method: str, path: str, status: int) -> dict:
    """The spec's response object for (method, path, status): exact code, then 2XX/4XX, then default."""
    op = spec()["paths"][path][method.lower()]
    responses = op["responses"]
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return responses[key]
    raise AssertionError(f"{method} {path}: the spec defines no {status} response ({sorted(responses)})")


def schema_for(method: str, path: str, status: int) -> dict | None:
    content = response_spec(method, path, status).get("content") or {}
    media = content.get("application/json")
    return None if media is None else media.get("schema")


def validator(schema: dict) -> OAS30ReadValidator:
    # the spec's $refs are "#/components/...": resolve them inside a root carrying the components
    return OAS30ReadValidator(dict(schema, components=spec()["components"]))


def errors(body, method: str, path: str, status: int) -> list[str]:
    schema = schema_for(method, path, status)
    if schema is None:
        return [] if body in (None, b"", "") else [f"the spec gives no body for {status}, got {body!r}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(schema).iter_errors(body)]


def check(response, method: str, path: str, expect: int | None = None):
    """Assert `response` (an httpx.Response) matches the spec for (method, path, its status).

    `path` is the spec's path template; returns the decoded body (None if empty)."""
    assert path in spec()["paths"], f"{path} is not in the spec"
    if expect is not None:
        assert response.status_code == expect, (response.status_code, response.text)
    body = response.json() if response.content else None
    problems = errors(body, method, path, response.status_code)
    assert not problems, f"{method} {path} {response.status_code} breaks the spec: {problems}\n{body}"
    VALIDATED.add((method.upper(), path))
    return body


def template_of(url_path: str) -> str:
    """The spec path a concrete /api/v1/... path belongs to (literal paths win)."""
    candidates = []
    for template in spec()["paths"]:
        rx = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(rx, url_path):
            candidates.append(template)
    assert candidates, f"{url_path} matches no path of the spec"
    return min(candidates, key=lambda t: t.count("{"))


# prolific-openapi.yml contradicts itself here: the Hooks section confirms a subscription with
# {"secret": <X-Hook-Secret>}, while the operation's request schema is SubscriptionDetail
REQUEST_SCHEMA_WAIVED = {("POST", "/api/v1/hooks/subscriptions/{subscription_id}/")}


def request_errors(body, method: str, path: str) -> list[str]:
    """What is wrong with a request body by the spec's requestBody schema for (method, path)."""
    if (method.upper(), path) in REQUEST_SCHEMA_WAIVED:
        return []
    op = spec()["paths"][path][method.lower()]
    media = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
    if media is None or "schema" not in media:
        return [] if body is None else [f"the spec takes no JSON body for {method} {path}"]
    schema = dict(media["schema"], components=spec()["components"])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in OAS30WriteValidator(schema).iter_errors(body)]
