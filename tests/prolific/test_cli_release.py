"""``workbench prolific payments release``: a bonus whose pay answer was lost, settled from the command line."""

from __future__ import annotations

import json

from workbench.crowd import payments

from .test_cli import run  # noqa: F401 - the CLI runner on this test's store and simulator
from .test_ledger_outcomes import _paid_on_prolific, _unknown


def test_release_from_the_command_line(run, provider, sim, store, study):  # noqa: F811
    sub_id, _ = _unknown(provider, sim, store, study, 90, "well done", "cli-lost", reached=False)
    asked = run("prolific", "payments", "release", "cli-lost", ok=False)
    assert asked.exit_code == 1 and "does not show this payment" in asked.output
    refused = run("prolific", "payments", "release", "cli-lost", "--not-paid", ok=False)
    assert refused.exit_code == 1 and "reason" in refused.output
    done = json.loads(run("prolific", "payments", "release", "cli-lost", "--not-paid", "--reason",
                          "not in Prolific's list", "--json").output)
    assert done["status"] == "pending"
    assert payments.bonus(provider, sub_id, 90, "well done", key="cli-lost").status == "paid"
    assert _paid_on_prolific(sim, sub_id) == [90]
    again = run("prolific", "payments", "release", "cli-lost", "--paid", "--reason", "x", ok=False)
    assert again.exit_code == 1 and "nothing to release" in again.output
