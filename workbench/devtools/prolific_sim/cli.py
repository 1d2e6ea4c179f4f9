"""The `prolific-sim` command: serve the local Prolific API until Ctrl-C."""
from __future__ import annotations

import click

from ..background_server import serve_until_interrupted
from .faults import Faults
from .simulator import Simulator

SNIPPET = """\
import httpx
api = httpx.Client(base_url="{url}/api/v1/", headers={{"Authorization": "Token sim"}})
print(api.get("users/me/").json())
# a participant takes a published study: open {url}/_sim/participants/<PID>/start?study_id=<ID>
# and finishes at {url}/submissions/complete?cc=<CODE>"""


@click.command("prolific-sim")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8444, show_default=True, type=int, help="Port to listen on; 0 picks a free one.")
@click.option("--db", "db", default=None, type=click.Path(dir_okay=False),
              help="SQLite file for the simulator's state (default: in memory).")
@click.option("--seed", default=None, type=int,
              help="For reproducible tests only: the same seed hands out the same ids.")
@click.option("--realtime", is_flag=True, help="Let the clock follow wall time.")
@click.option("--processing-reads", default=0, type=int,
              help="Reads a just-completed submission shows PROCESSING.")
@click.option("--duplicate-deliveries", default=0, type=int, help="Extra copies of every hook event.")
@click.option("--late-delivery-seconds", default=0.0, type=float,
              help="Hold hook events until the clock has moved this far.")
@click.option("--out-of-order", is_flag=True, help="Deliver hook events due together newest first.")
def prolific_sim(host, port, db, seed, realtime, processing_reads, duplicate_deliveries,
                 late_delivery_seconds, out_of_order):
    """Serve a local Prolific researcher API (prolific-openapi.yml) with participants and hooks."""
    faults = Faults(processing_reads=processing_reads, duplicate_deliveries=duplicate_deliveries,
                    late_delivery_seconds=late_delivery_seconds, out_of_order=out_of_order)
    sim = Simulator(db=db, host=host, port=port, seed=seed, realtime=realtime, faults=faults)
    serve_until_interrupted(sim, "Prolific simulator", SNIPPET, realtime=realtime)


if __name__ == "__main__":
    prolific_sim()
