"""Every Prolific operation the provider calls is one of Prolific's (its OpenAPI spec) and one the simulator serves.

The simulator's folder (tests/prolific_sim/) validates every operation it serves against the spec's response
schemas and fails when one was never validated; so an operation that passes here is contract-tested. The calls are
read from the provider's source (each call names its path as a literal or an f-string), so a new call that the
simulator does not serve, or that Prolific does not have, fails here before it reaches a researcher.
"""

from __future__ import annotations

import re
from pathlib import Path

from workbench.devtools.prolific_sim import OPERATIONS

from tests.prolific_sim.spec_check import spec

PACKAGE = Path(__file__).resolve().parents[2] / "workbench" / "crowd" / "providers" / "prolific"
CALL = re.compile(r"""(?:client|self)\.(get|post|patch|delete|listing|request)\(\s*(?:"(GET|POST|PATCH|DELETE)",\s*)?f?"([^"]+/)\"""")
VERB = {"get": "GET", "listing": "GET", "post": "POST", "patch": "PATCH", "delete": "DELETE"}


def calls() -> set[tuple[str, str]]:
    found = set()
    for source in PACKAGE.glob("*.py"):
        for verb, explicit, path in CALL.findall(source.read_text()):
            found.add((explicit or VERB[verb], "/api/v1/" + re.sub(r"\{[^{}]*(?:\([^)]*\))?[^{}]*\}", "{}", path)))
    return found


def template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_call_is_a_spec_operation_the_simulator_serves():
    made = calls()
    # prolific-openapi.yml paths the provider is known to use (a floor, so that a broken scan cannot pass empty)
    assert {("POST", "/api/v1/studies/"), ("POST", "/api/v1/studies/{}/transition/"),
            ("POST", "/api/v1/submissions/bonus-payments/"), ("POST", "/api/v1/bulk-bonus-payments/{}/pay/"),
            ("POST", "/api/v1/submissions/{}/transition/"), ("GET", "/api/v1/workspaces/")} <= made
    in_spec = {(method.upper(), template(path)) for path, item in spec()["paths"].items() for method in item
               if method in ("get", "post", "patch", "delete")}
    served = {(method, template(path)) for method, path in OPERATIONS}
    assert sorted(made - in_spec) == [], "called, but not an operation of Prolific's spec"
    assert sorted(made - served) == [], "called, but the simulator does not serve (so no contract test covers) it"
    assert len(made) >= 25, sorted(made)
