"""Ids like MTurk's: never shared between simulators, reproducible only when a test asks for it."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from workbench.devtools.mturk_sim import Simulator

from .conftest import ROOT, make_client
from .documented import accept, hit

# Real ids seen on the wire: HIT 3PR3LXCWSFNV4OJWZBHIMQOIJVSX9G, assignment
# 3GNA64GUZFSVGOE209EB5MJ722VQ5K (https://github.com/NRGI/resourcecontracts.org/issues/1384,
# .../issues/1238): 30 upper-case letters and digits, as botocore's ^[A-Z0-9]+$ allows.
MTURK_ID = re.compile(r"^[A-Z0-9]{30}$")


def first_ids(**options) -> tuple[str, str]:
    """The first HIT id and first assignment id a fresh simulator hands out."""
    with Simulator(**options) as sim:
        hit_id = make_client(sim.url).create_hit(**hit())["HIT"]["HITId"]
        return hit_id, accept(sim, hit_id, "A1FIRST")


def test_fresh_simulators_never_share_ids(tmp_path):
    in_memory = [first_ids(), first_ids()]
    on_disk = [first_ids(db=str(tmp_path / "a.db")), first_ids(db=str(tmp_path / "b.db"))]
    for one, other in (in_memory, on_disk):
        assert one[0] != other[0] and one[1] != other[1]
    for hit_id, assignment_id in in_memory + on_disk:
        assert MTURK_ID.match(hit_id) and MTURK_ID.match(assignment_id)


def test_an_explicit_seed_repeats_ids(tmp_path):
    assert first_ids(seed=7) == first_ids(seed=7)
    assert first_ids(seed=7, db=str(tmp_path / "a.db")) == first_ids(seed=7, db=str(tmp_path / "b.db"))
    assert first_ids(seed=7) != first_ids(seed=8)


def test_a_reopened_seeded_file_hands_out_new_ids(tmp_path):
    db = str(tmp_path / "sim.db")
    assert first_ids(seed=7, db=db) != first_ids(seed=7, db=db)


def test_the_cli_seed_option(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": ROOT}
    procs = [subprocess.Popen([sys.executable, "-m", "workbench.devtools.mturk_sim", "--port", "0", "--seed",
                               "11", "--db", str(tmp_path / f"{name}.db")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                              cwd=ROOT) for name in ("a", "b")]
    try:
        urls = [re.search(r"listening on (http://\S+)", p.stdout.readline()).group(1) for p in procs]
        ids = [make_client(url).create_hit(**hit())["HIT"]["HITId"] for url in urls]
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=20)
    assert ids[0] == ids[1] and MTURK_ID.match(ids[0])
