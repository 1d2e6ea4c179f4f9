"""The `mturk-sim` command: serve the local MTurk endpoint until Ctrl-C."""
from __future__ import annotations

import click

from ..background_server import serve_until_interrupted
from .faults import Faults
from .simulator import Simulator

SNIPPET = """\
import boto3
mturk = boto3.client("mturk", endpoint_url="{url}", region_name="us-east-1",
                     aws_access_key_id="sim", aws_secret_access_key="sim")
print(mturk.get_account_balance()["AvailableBalance"])"""


@click.command("mturk-sim")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8443, show_default=True, type=int,
              help="Port to listen on; 0 picks a free one.")
@click.option("--db", "db", default=None, type=click.Path(dir_okay=False),
              help="SQLite file for the simulator's state (default: in memory).")
@click.option("--latency-ms", default=0.0, type=float, help="Latency added to every API call.")
@click.option("--throttle-rate", default=0.0, type=click.FloatRange(0, 1),
              help="Fraction of API calls answered with ThrottlingException.")
@click.option("--balance", default="10000.00", show_default=True,
              help="Starting account balance in dollars (a new database only).")
@click.option("--realtime", is_flag=True, help="Let the clock follow wall time.")
@click.option("--seed", default=None, type=int,
              help="For reproducible tests only: the same seed hands out the same HIT and "
                   "assignment ids. Without it ids are random and never repeat, as on MTurk.")
def mturk_sim(host, port, db, latency_ms, throttle_rate, balance, realtime, seed):
    """Serve a local MTurk requester endpoint for boto3's endpoint_url."""
    sim = Simulator(db=db, host=host, port=port, balance=balance, realtime=realtime, seed=seed,
                    faults=Faults(latency_ms=latency_ms, throttle_rate=throttle_rate))
    serve_until_interrupted(sim, "MTurk simulator", SNIPPET, realtime=realtime)


if __name__ == "__main__":
    mturk_sim()
