"""The campaign's figures: what the answers, the server's log, the burst, the socket and the sync came to, and which
of them fail the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.hostile.study import spec_operations
from benchmarks.hostile.wire import Tally

#: Figures that fail the run when they are not zero.
MUST_BE_ZERO = ("5xx", "tracebacks", "honest_refused", "honest_lost", "xss_reflected", "outbound_fetches")
#: Figures that fail the run when they are not true.
MUST_HOLD = ("sync_ok", "ws_survived")


def count_tracebacks(log: Path) -> tuple[int, list[str]]:
    """How often the log says "Traceback", and the exception line of the first few (the first of a chain)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    firsts: list[str] = []
    for n, line in enumerate(lines):
        if "Traceback" not in line or len(firsts) >= 3:
            continue
        indent = len(line) - len(line.lstrip())
        for later in lines[n + 1:n + 500]:
            if later.strip() and len(later) - len(later.lstrip()) == indent:
                if later.strip() not in firsts:
                    firsts.append(later.strip()[:300])
                break
    return text.count("Traceback"), firsts


def figures(tally: Tally, log: Path, probe: dict[str, Any], burst_out: dict[str, Any], stored: set[str],
            mturk: dict[str, Any], jobs: dict[str, int | None], listener_hits: int,
            flood_seconds: float) -> dict[str, Any]:
    """The figures of one campaign, from what each of its phases returned."""
    tracebacks, traceback_firsts = count_tracebacks(log)
    honest_refused = len(burst_out["refused"])
    honest_lost = len(burst_out["acknowledged"] - stored)
    operations = {f"{op.method} {op.path}" for op in spec_operations()}
    runs = mturk["runs"]
    sync_runs_ok = sum(1 for r in runs if r.get("sync") == "ok" and not r.get("skipped"))
    ingest_runs_ok = sum(1 for r in runs if r.get("ingest") == "ok")
    jobs_ok = all(status == 200 for status in jobs.values())
    sync_ok = (sync_runs_ok == len(runs) and ingest_runs_ok == len(runs) and jobs_ok and not mturk["honest_missing"]
               and not mturk["problems"])
    server_errors = list(tally.server_errors)
    server_errors += [f"{status} POST /workbench/api/mturk/{name}" for name, status in jobs.items()
                      if status is not None and status >= 500]
    return {
        "requests": tally.sent,
        "status": {k: tally.classes.get(k, 0) for k in ("2xx", "3xx", "4xx", "5xx")},
        "no_answer": dict(tally.unanswered),
        "5xx": len(server_errors),
        "5xx_first": server_errors[:5],
        "tracebacks": tracebacks,
        "tracebacks_first": traceback_firsts,
        "timeouts_first": tally.timeouts[:5],
        "dropped_first": tally.dropped[:5],
        "slowest": [f"{seconds:.2f}s {where}" for seconds, where in tally.slowest],
        "error_body_violations": tally.bad_error_count,
        "error_body_violations_first": tally.bad_errors[:5],
        "api_redirects": sum(tally.redirects.values()),
        "api_redirects_by_route": dict(tally.redirects.most_common(5)),
        "xss_reflected": len(tally.echoes),
        "xss_reflected_first": tally.echoes[:5],
        "outbound_fetches": listener_hits,
        **probe,
        "honest": len(burst_out["honest_ids"]),
        "honest_refused": honest_refused,
        "honest_refused_first": burst_out["refused"][:5],
        "honest_lost": honest_lost,
        "poisoned": burst_out["poisoned"],
        "poisoned_refused": burst_out["poisoned_refused"],
        "poison_answers": burst_out["poison_answers"],
        "hostile_answers": mturk["hostile_answers"],
        "invalid_answers_recorded": len(mturk["invalid_workers"]),
        "honest_answers": mturk["honest_answers"],
        "honest_ingested": mturk["totals"].get("ingested", 0),
        "honest_already_stored": mturk["totals"].get("duplicates", 0),
        "honest_answers_missing": mturk["honest_missing"],
        "hostile_answers_stored": mturk["hostile_stored"],
        "sync_runs_ok": sync_runs_ok,
        "ingest_runs_ok": ingest_runs_ok,
        "sync_runs": runs,
        "mturk_problems": mturk["problems"],
        "http_jobs": jobs,
        "sync_ok": sync_ok,
        "families": dict(sorted(tally.families.items())),
        "spec_operations": len(operations),
        "spec_operations_hit": len(operations & tally.routes),
        "flood_seconds": round(flood_seconds, 1),
    }


def failures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures that fail the run, by name: the exit status is 1 when there is any."""
    failed = {name: figures[name] for name in MUST_BE_ZERO if figures[name]}
    failed.update({name: False for name in MUST_HOLD if not figures[name]})
    return failed
