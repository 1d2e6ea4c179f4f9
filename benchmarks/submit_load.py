"""Worker submissions per second against a running ``jupyter workbench`` on SQLite, with its ceiling.

Load: ``wrk`` (Debian's /usr/bin/wrk) with 64 connections posting valid, distinct
submissions (one assignment id each) for a fixed time. Baseline in the same run: a bare
tornado handler that parses the same JSON and inserts the same row with sqlite3, one
commit per request (the ceiling of the hardware and the stack). Afterwards the store is
counted: every submission acknowledged with 201 must be there once ("lost" counts the
missing, "duplicated" counts assignment ids stored more than once).

    python benchmarks/submit_load.py [--seconds 10] [--connections 64] [--tasks 500]

One wrk thread drives the 64 connections, for the ceiling and for the workbench alike: on a
2-core machine a second load thread competes with the server (its event loop and its
submission writer) for the cores, and wrk's latency clock then also counts its own wait
for a core (measured here: p99 about 52 ms with two threads where one gives 43 ms).

The rate limits are switched off for the run (all load comes from one address); the
page-token check (each submission carries the signed token its worker's page would have,
minted here beforehand with the server's secret), the JSON Schema validation, the events,
the task status updates and the assignment rows recorded on arrival stay on. The last line
is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.devtools.child_servers import free_port, serving  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
SCHEMA = {"type": "object", "required": ["labels"], "additionalProperties": False,
          "properties": {"labels": {"type": "array", "minItems": 1, "items": {"enum": ["cat", "dog"]}}}}

LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  created = 0
  other = 0
  tokens = {}
  for line in io.lines(TOKENS .. "/tokens-" .. id .. ".txt") do table.insert(tokens, line) end
end
function request()
  counter = counter + 1
  local a = "bench-" .. id .. "-" .. counter
  local body = string.format('{"task_id":%d,"assignment_id":"%s","hit_id":"H1","worker_id":"W%s",'
    .. '"result":{"labels":["cat"]}}', (counter % NTASKS) + 1, a, a)
  local headers = {["Content-Type"] = "application/json", ["X-Workbench-Token"] = tokens[counter] or ""}
  return wrk.format("POST", PATH, headers, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format("WB %d %d %f %f %d %f %f %f\n", c, o, latency:percentile(50), latency:percentile(99),
    summary.duration, latency:percentile(90), latency:percentile(99.9), latency.max))
end
"""

CEILING_SERVER = r"""
import json, sqlite3, sys
import tornado.ioloop, tornado.web
db = sqlite3.connect(sys.argv[2], isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE annotations (id INTEGER PRIMARY KEY, task_id INTEGER, result TEXT, actor TEXT,"
           " submission_id TEXT, raw_payload TEXT, UNIQUE (task_id, submission_id))")
class Submit(tornado.web.RequestHandler):
    def post(self):
        body = json.loads(self.request.body)
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute("INSERT INTO annotations (task_id, result, actor, submission_id, raw_payload)"
                         " VALUES (?, ?, ?, ?, ?)", (body["task_id"], json.dumps(body["result"]), body["worker_id"],
                                                     body["assignment_id"], json.dumps({"hit_id": body["hit_id"]})))
        db.execute("COMMIT")
        self.set_status(201)
        self.finish({"id": cur.lastrowid})
app = tornado.web.Application([("/submit", Submit)])
app.listen(int(sys.argv[1]), "127.0.0.1")
tornado.ioloop.IOLoop.current().start()
"""


def run_wrk(url: str, script: Path, headers: dict[str, str], args) -> dict:
    command = [WRK, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
               "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=args.seconds + 60).stdout
    line = next(l for l in out.splitlines() if l.startswith("WB "))
    created, other, p50, p99, duration, p90, p999, most = line.split()[1:]
    return {"created": int(created), "other": int(other), "p50_ms": float(p50) / 1000, "p99_ms": float(p99) / 1000,
            "p90_ms": float(p90) / 1000, "p999_ms": float(p999) / 1000, "max_ms": float(most) / 1000,
            "per_s": int(created) / (int(duration) / 1e6), "raw": out}


def lua(path: str, tasks: int, tokens: Path) -> str:
    return LUA.replace("NTASKS", str(tasks)).replace("PATH", json.dumps(path)).replace("TOKENS", json.dumps(str(tokens)))


def measure_ceiling(folder: Path, args) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/submit"
    # /submit takes only POST: a 405 to the probe says the server is up.
    with serving([sys.executable, "-c", CEILING_SERVER, str(port), str(folder / "ceiling.db")], url, dict(os.environ),
                 folder / "ceiling.log", timeout=60, any_answer=True, poll=0.1):
        script = folder / "ceiling.lua"
        script.write_text(lua("/submit", args.tasks, mint_tokens(folder, args)))  # the same requests, token and all
        return run_wrk(url, script, {}, args)


def seed_study(store, tasks_count: int) -> None:
    """The benchmark's study in a migrated store: one project, one definition, ``tasks_count`` open tasks."""
    from workbench.study import bulk, definitions, projects

    with store.transaction() as s:
        projects.create(s, "bench")
        definitions.create_type(s, "classification")
        definitions.create_definition(s, "classification", "1.0", {"ui_config": {"labels": ["cat", "dog"]},
                                                                   "label_schema": SCHEMA})
        bulk.import_records(s, "bench", "classification:1.0",
                            [{"target_annotations": 1_000_000, "payload": {"n": i}} for i in range(tasks_count)])


def prepare_store(folder: Path, tasks_count: int) -> str:
    from workbench.store import Store

    store = Store(f"sqlite:///{folder / 'workbench.db'}")
    store.upgrade(backup=False)
    seed_study(store, tasks_count)
    store.dispose()
    return store.url


def measure_workbench(folder: Path, url: str, args) -> dict:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(folder / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(folder / "rt"), "JUPYTER_DATA_DIR": str(folder / "data"),
           "WORKBENCH_HOME": str(folder)}
    argv = [sys.executable, "-c", "from server_ext.public import main; main()", f"--port={port}", "--ip=127.0.0.1",
            "--IdentityProvider.token=bench", f"--WorkbenchApp.database_url={url}", f"--ServerApp.root_dir={folder}",
            "--WorkbenchApp.rate_limit_ip=0", "--WorkbenchApp.rate_limit_worker=0",
            *([] if any(a.startswith("--log-level") for a in args.server_arg) else ["--log-level=WARN"]),
            *(["--allow-root"] if os.getuid() == 0 else []), *args.server_arg]
    base = f"http://127.0.0.1:{port}"
    with serving(argv, base + "/workbench/api/health/ready", env, folder / "server.log", timeout=60, poll=0.1):
        return post_submissions(base, folder, args)


def post_submissions(base: str, folder: Path, args) -> dict:
    """The load: wrk posting distinct submissions to ``base``, each with the token its worker's page carries."""
    script = folder / "workbench.lua"
    script.write_text(lua("/workbench/api/submissions", args.tasks, mint_tokens(folder, args)))
    return run_wrk(base + "/workbench/api/submissions", script, {}, args)


def mint_tokens(folder: Path, args, per_second: int = 10_000) -> Path:
    """One file per wrk thread: line n is the page token of that thread's n-th submission (as the Lua script makes
    them), signed with ``WORKBENCH_SECRET``, the servers' secret too."""
    from workbench.crowd.submissions import page_token

    out = folder / "tokens"
    out.mkdir(exist_ok=True)
    for thread in range(args.threads):
        lines = []
        for n in range(1, per_second * args.seconds + 1):
            a = f"bench-{thread}-{n}"
            lines.append(page_token("mturk", n % args.tasks + 1, a, f"W{a}", "H1", expires_in=3600))
        (out / f"tokens-{thread}.txt").write_text("\n".join(lines) + "\n")
    return out


def count_store(url: str) -> tuple[int, int]:
    path = url.removeprefix("sqlite:///")
    db = sqlite3.connect(path)
    stored = db.execute("SELECT count(*) FROM annotations WHERE submission_id LIKE 'bench-%'").fetchone()[0]
    doubled = db.execute("SELECT count(*) FROM (SELECT submission_id FROM annotations "
                         "GROUP BY submission_id HAVING count(*) > 1)").fetchone()[0]
    db.close()
    return stored, doubled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (one: a second competes with the server for a 2-core machine's cores)")
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--server-arg", action="append", default=[], help="extra jupyter workbench argument")
    args = parser.parse_args()
    if not Path(WRK).exists():
        sys.exit("wrk is required: apt-get install wrk")
    os.environ.setdefault("WORKBENCH_SECRET", secrets.token_hex(32))  # the server's and the tokens' secret
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ceiling = measure_ceiling(folder, args)
        url = prepare_store(folder, args.tasks)
        result = measure_workbench(folder, url, args)
        stored, doubled = count_store(url)
        if result["other"]:
            print("non-201 responses:", result["other"], file=sys.stderr)
            print((folder / "server.log").read_text()[-3000:], file=sys.stderr)
    figures = {
        "submissions_per_s": round(result["per_s"], 1),
        "p50_ms": round(result["p50_ms"], 2),
        "p99_ms": round(result["p99_ms"], 2),
        "p90_ms": round(result["p90_ms"], 2),
        "p999_ms": round(result["p999_ms"], 2),
        "max_ms": round(result["max_ms"], 2),
        "ceiling_per_s": round(ceiling["per_s"], 1),
        "ratio_to_ceiling": round(result["per_s"] / ceiling["per_s"], 3),
        "ceiling_p99_ms": round(ceiling["p99_ms"], 2),
        "acknowledged": result["created"],
        "refused": result["other"],
        "stored": stored,
        "lost": max(0, result["created"] - stored),
        "duplicated": doubled,
        "connections": args.connections,
        "seconds": args.seconds,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
