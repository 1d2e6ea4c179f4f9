"""MTurk: HITs on the local simulator, honest and hostile answers (through externalSubmit, and replaced in its store
as a hostile MTurk would hand them back), sync and ingest twice each way in this process, then over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from types import SimpleNamespace
from typing import Any

from benchmarks.hostile.payloads import billion_laughs
from benchmarks.hostile.study import TOKEN


def mturk_phase(url: str, sim, base: str, study: SimpleNamespace, listener: str) -> dict[str, Any]:
    """HITs on the simulator; honest and hostile answers; sync and ingest twice each way; the store's account."""
    from sqlalchemy import select

    from workbench.devtools.mturk_sim.answers import ANSWERS_NS
    from workbench.devtools.mturk_sim.workers import SimulatedWorker
    from workbench.crowd.providers import WorkSpec
    from workbench.crowd.providers.mturk import MTurkProvider
    from workbench.crowd.providers.mturk.client import make_client
    from workbench.store import Store
    from workbench.store.models import Annotation, Assignment

    def answer(free_text: str) -> str:
        return (f'<QuestionFormAnswers xmlns="{ANSWERS_NS}"><Answer><QuestionIdentifier>result</QuestionIdentifier>'
                f"<FreeText>{free_text}</FreeText></Answer></QuestionFormAnswers>")

    hostile_forms = {"A1DEEP": "[" * 3000 + "]" * 3000, "A1SURROGATE": '{"labels": ["cat \\ud800"]}',
                     "A1NUL": '{"labels": ["cat\\u0000"]}', "A1NAN": '{"labels": ["cat"], "confidence": NaN}',
                     "A1XMLTEXT": billion_laughs()}
    hostile_raw = {  # answers a hostile MTurk (or a man in the middle) hands back: replaced in the simulator's store
        "A1UTF7": '<?xml version="1.0" encoding="UTF-7"?>' + answer("+AHsAIg-labels+ACI-: +AFsAIg-cat+ACIAXQB9-"),
        "A1XMLBOMB": billion_laughs("QuestionFormAnswers", "&lol9;").replace(
            "<QuestionFormAnswers>&lol9;</QuestionFormAnswers>", answer("&lol9;")),
        "A1XXE": (f'<?xml version="1.0"?><!DOCTYPE QuestionFormAnswers [<!ENTITY e SYSTEM "{listener}/xxe">]>'
                  + answer("&e;")),
    }
    direct, page = ["A1HONESTDIRECT1", "A1HONESTDIRECT2", "A1HONESTDIRECT3"], ["A1HONESTPAGE1", "A1HONESTPAGE2"]
    store = Store(url)
    mt = MTurkProvider(store, environment="local",
                       client=make_client("local", endpoint_url=sim.url, retry_mode="standard", max_attempts=3))
    per_hit = len(hostile_forms) + len(hostile_raw) + len(direct) + len(page)
    spec = WorkSpec(title="Label an image", description="Cat or dog?", reward_cents=10, max_assignments=per_hit)
    [hit_id] = mt.create_work("cats", study.mturk[:1], spec, base_url=base).hit_ids
    made: dict[str, str] = {}  # assignment id -> worker id
    problems: list[str] = []

    def form(worker_id: str, fields: dict[str, str]) -> str:
        worker = SimulatedWorker(sim.url, worker_id)
        accepted = worker.accept(hit_id)
        status = worker.submit_to_mturk(accepted["AssignmentId"], fields)
        if status != 200:
            problems.append(f"externalSubmit for {worker_id}: {status}")
        made[accepted["AssignmentId"]] = worker_id
        return accepted["AssignmentId"]

    for worker_id in page:  # the whole flow: MTurk's frame, the real worker page, its submission, MTurk's form
        worker = SimulatedWorker(sim.url, worker_id)
        accepted = worker.accept(hit_id)
        visit = worker.open_page(accepted)
        status, body = (worker.post_result(visit, accepted, {"labels": ["dog"]}) if visit.bundle
                        else (visit.status, None))
        if status not in (200, 201):
            problems.append(f"worker page for {worker_id}: {status} {body}")
        worker.submit_to_mturk(accepted["AssignmentId"], {"result": json.dumps({"labels": ["dog"]})})
        made[accepted["AssignmentId"]] = worker_id
    for worker_id in direct:
        form(worker_id, {"result": json.dumps({"labels": ["cat"]})})
    for worker_id, result in hostile_forms.items():
        form(worker_id, {"result": result})
    for worker_id, xml in hostile_raw.items():
        assignment_id = form(worker_id, {"result": json.dumps({"labels": ["cat"]})})
        with sim.store.transaction() as s:
            s.conn.execute("UPDATE assignments SET answer=? WHERE id=?", (xml, assignment_id))

    runs: list[dict[str, Any]] = []
    totals = Counter()
    for round_ in (1, 2):
        for method in ("reviewable", "poll"):
            entry: dict[str, Any] = {"round": round_, "method": method}
            try:
                synced = mt.sync(method=method, **({"max_unseen": 0} if round_ == 2 else {}))
                entry.update(sync="ok", new=synced.assignments_new, skipped=synced.skipped)
            except Exception as exc:  # noqa: BLE001 - reported, and the campaign fails
                entry["sync"] = f"{type(exc).__name__}: {exc}"[:300]
            try:
                ingested = mt.ingest()
                entry.update(ingest="ok", ingested=ingested.ingested, duplicates=ingested.duplicates,
                             invalid=ingested.invalid)
                totals.update(ingested=ingested.ingested, duplicates=ingested.duplicates, invalid=ingested.invalid)
            except Exception as exc:  # noqa: BLE001
                entry["ingest"] = f"{type(exc).__name__}: {exc}"[:300]
            runs.append(entry)
    with store.session() as s:
        rows = {a.assignment_id: a
                for a in s.scalars(select(Assignment).where(Assignment.assignment_id.in_(list(made))))}
        noted = set(s.scalars(select(Annotation.submission_id).where(Annotation.submission_id.in_(list(made)))))
    store.dispose()
    hostile_workers = set(hostile_forms) | set(hostile_raw)
    invalid = sorted(made[a] for a, row in rows.items()
                     if (row.payload or {}).get("ingest", {}).get("outcome") == "invalid")
    honest_missing = sorted(w for a, w in made.items() if w not in hostile_workers and a not in noted)
    hostile_stored = sorted(w for a, w in made.items() if w in hostile_workers and a in noted)
    return {"runs": runs, "totals": dict(totals), "problems": problems, "hostile_answers": len(hostile_workers),
            "invalid_workers": invalid, "honest_answers": len(direct) + len(page), "honest_missing": honest_missing,
            "hostile_stored": hostile_stored, "assignments_seen": len(rows), "assignments_made": len(made)}


def http_jobs(port: int) -> dict[str, int | None]:
    """The researcher's sync and ingest over HTTP, after the hostile answers: their statuses."""
    out: dict[str, int | None] = {}
    for name, path, body in (("sync", "sync", {"environment": "local"}),
                             ("sync_poll", "sync", {"environment": "local", "method": "poll"}),
                             ("ingest", "ingest", {"environment": "local"})):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/workbench/api/mturk/{path}", method="POST",
                                         data=json.dumps(body).encode(),
                                         headers={"Authorization": f"token {TOKEN}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                out[name] = response.status
        except urllib.error.HTTPError as exc:
            out[name] = exc.code
        except OSError:
            out[name] = None
    return out
