"""Every researcher route refuses an unauthenticated call; the public ones are exactly the worker surface."""

from __future__ import annotations

import re

import pytest
from tornado import web

from server_ext.handlers import all_handlers
from workbench.crowd import providers

SAMPLES = {"slug": "cats", "task_id": "1", "asset_id": "1", "version": "1.0", "name": "classification",
           "annotation_id": "1", "path": "swagger-ui.css", "hit_id": "NOSUCHHIT", "assignment_id": "NOSUCHASSIGNMENT",
           "worker_id": "A1NOSUCHWORKER", "qualification_type_id": "NOSUCHTYPE"}
PUBLIC = {
    ("GET", "/workbench/api/health"), ("GET", "/workbench/api/health/live"), ("GET", "/workbench/api/health/ready"),
    ("POST", "/workbench/api/submissions"),
    ("GET", "/workbench/annotate/{task_id}"), ("GET", "/workbench/login"),
    # Prolific's study URL (the link-out visit), and its webhook: public but signed (X-Prolific-Request-Signature).
    ("GET", "/workbench/prolific/entry"), ("POST", "/workbench/prolific/hooks"),
    # A link-out panel's entry URL (the link-out visit with the panel's participant id).
    ("GET", "/workbench/link/entry"),
    ("GET", "/workbench/assets/{asset_id}"), ("GET", "/workbench/plugins/{name}/{version}/{path}"),
    ("HEAD", "/workbench/plugins/{name}/{version}/{path}"), ("GET", "/workbench/static/{path}"),
    ("HEAD", "/workbench/static/{path}"),
    ("GET", "/workbench/collab/join"), ("GET", "/workbench/collab/ws/{session_id}"),
    ("GET", "/workbench/collab/static/{path}"), ("HEAD", "/workbench/collab/static/{path}"),
}


def spec_path(pattern: str) -> str:
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)


def methods(handler) -> list[str]:
    return [m for m in handler.SUPPORTED_METHODS
            if getattr(handler, m.lower()) is not getattr(web.RequestHandler, m.lower())
            and m not in ("OPTIONS",)]


def operations():
    for pattern, handler, *_ in all_handlers():
        for method in methods(handler):
            yield method, spec_path(pattern)


def per_provider(ops):
    """Each operation once per registered provider where its path names one (``/workbench/api/{provider}/...``)."""
    for method, path in ops:
        names = providers.names() if "{provider}" in path else [None]
        yield from ((method, path.replace("{provider}", name) if name else path) for name in names)


def test_the_public_surface_is_exactly_the_worker_endpoints():
    public = {(m, p) for m, p in operations()
              if getattr(getattr(dict((spec_path(h[0]), h[1]) for h in all_handlers())[p], m.lower()),
                         "__allow_unauthenticated", False)}
    assert public == PUBLIC


RESEARCHER = sorted(per_provider(op for op in operations() if op not in PUBLIC))


@pytest.mark.parametrize("method, path", RESEARCHER, ids=[f"{m} {p}" for m, p in RESEARCHER])
async def test_researcher_route_refuses_anonymous(fetch_json, study, method, path):
    url = path.format(**SAMPLES).strip("/").split("/")
    body = "{}" if method in ("POST", "PUT", "PATCH") else None
    status, data, response = await fetch_json(*url, method=method, body=body, headers={"Authorization": ""})
    if path.startswith("/workbench/api/"):  # the spec's 403, in JSON, for every operation (Swagger UI's too)
        assert (status, response.headers["Content-Type"]) == (403, "application/json"), (status, data)
    elif status == 302:
        assert "/login" in response.headers["Location"]
    else:
        assert status == 403, (status, data)
    # and the same call with the token is not refused for lack of it
    status, _, _ = await fetch_json(*url, method=method, body=body)
    assert status not in (302, 403)
