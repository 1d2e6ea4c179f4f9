"""Benchmark-sized state: 10,000 HITs, 1,000 of them with 3 submissions, served by indexed queries."""
from __future__ import annotations

import json

from workbench.devtools.mturk_sim.answers import parse_answer_xml

from .conftest import make_client


def plan(sim, sql, params):
    return " ".join(r[3] for r in sim.store.q("EXPLAIN QUERY PLAN " + sql, params))


def test_ten_thousand_hits_with_a_thousand_reviewable(sim):
    hits = sim.seed_hits(10_000, max_assignments=3)
    done = hits[:1000]
    assignments = sim.seed_submissions(
        done, per_hit=3, answer=lambda k, hit_id, worker: {"result": {"label": k, "hit": hit_id}})
    assert len(assignments) == 3000
    client = make_client(sim.url)
    reviewable, calls = [], 0
    for page in client.get_paginator("list_reviewable_hits").paginate(
            PaginationConfig={"PageSize": 100}):
        reviewable += [h["HITId"] for h in page["HITs"]]
        calls += 1
    assert reviewable == done and calls == 10
    asgs = client.list_assignments_for_hit(HITId=done[500], MaxResults=100)["Assignments"]
    assert [json.loads(parse_answer_xml(a["Answer"])["result"])["label"] for a in asgs] == [0, 1, 2]
    assert sim.call_count["ListReviewableHITs"] == 10
    assert client.get_hit(HITId=hits[-1])["HIT"]["HITStatus"] == "Assignable"


def test_list_queries_use_indexes(sim):
    sim.seed_hits(50)
    reviewable = plan(sim, "SELECT * FROM hits WHERE status=? AND seq>? ORDER BY seq LIMIT ?",
                      ("Reviewable", 0, 11))
    by_type = plan(sim, "SELECT * FROM hits WHERE hit_type_id=? AND status=? AND seq>?"
                        " ORDER BY seq LIMIT ?", ("x", "Reviewable", 0, 11))
    assignments = plan(sim, "SELECT * FROM assignments WHERE hit_id=? AND status IN (?,?,?)"
                            " AND seq>? ORDER BY seq LIMIT ?",
                       ("x", "Submitted", "Approved", "Rejected", 0, 11))
    expiry = plan(sim, "SELECT id FROM hits WHERE status IN ('Assignable','Unassignable')"
                       " AND expiration<=?", (0,))
    assert "hits_by_status" in reviewable
    assert "hits_by_type_status" in by_type
    assert "asg_by_hit" in assignments
    assert "hits_by_status_expiration" in expiry
    late = plan(sim, "SELECT id, hit_id FROM assignments WHERE status='Accepted' AND deadline<=?",
                (0,))
    due = plan(sim, "SELECT * FROM assignments WHERE status='Submitted' AND auto_approval_time<=?",
               (0,))
    assert "asg_by_status_deadline" in late and "asg_by_status_approval" in due
