"""Runs last (file order): every operation the simulator serves was validated against the spec
by the tests of this folder (spec_check.VALIDATED is filled by each checked answer)."""
from __future__ import annotations

import pytest

from workbench.devtools.prolific_sim import OPERATIONS

from .spec_check import VALIDATED, spec


def test_served_operations_exist_in_the_spec():
    for method, path in OPERATIONS:
        assert method.lower() in spec()["paths"].get(path, {}), f"{method} {path} is not in the spec"


def test_every_served_operation_was_validated(request):
    ran = {item.module.__name__.rsplit(".", 1)[-1] for item in request.session.items}
    if not {"test_contract", "test_hooks_restart_pyrolific"} <= ran:
        pytest.skip("run the whole folder: the registry is filled by its other modules")
    missing = sorted(set(OPERATIONS) - VALIDATED)
    assert not missing, f"served but never validated against the spec: {missing}"
