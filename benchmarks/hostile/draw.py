"""The flood's draws: one seeded generator and what every kind of request takes from it (ids, hostile values, auth).

The same seed and size give the same campaign: every choice comes from ``Draw.rng``, in the order the requests are
drawn (``flood.shots``).
"""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

from benchmarks.hostile.payloads import (
    DEEP,
    HUGE_IDS,
    NONFINITE,
    NUMBERS,
    RAW_BYTES,
    RAW_PATHS,
    TEXT_FAMILIES,
    billion_laughs,
    xxe,
)
from benchmarks.hostile.study import TOKEN, spec_operations
from benchmarks.hostile.wire import Shot, build, enc


class Draw:
    """The seeded generator of one campaign and the study it aims at; the helpers the request kinds share."""

    def __init__(self, seed: int, port: int, study: SimpleNamespace, listener: str) -> None:
        from workbench.study import bundles, signing
        from workbench.crowd.submissions import page_token

        self.rng = random.Random(seed)
        self.port, self.study, self.listener = port, study, listener
        self.page_token = page_token
        self.ops = spec_operations()
        # Every operation in turn, in an order of the seed's: a small campaign still reaches each of them.
        self.op_cycle = self.rng.sample(self.ops, len(self.ops))
        self.link = signing.sign(bundles.asset_message(study.asset), expires_in=24 * 3600)
        self.other_link = signing.sign(bundles.asset_message(study.asset + 1000), expires_in=24 * 3600)
        self.counter = 0

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def hostile_text(self) -> tuple[str, str]:
        family = self.pick(list(TEXT_FAMILIES))
        return family, self.pick(TEXT_FAMILIES[family])

    def hostile_json(self) -> tuple[str, str]:
        """(family, raw JSON text) of a hostile value."""
        family = self.pick(["xss", "traversal", "sqli", "unicode", "numbers", "nonfinite", "deep", "xml", "types"])
        if family in TEXT_FAMILIES:
            return family, json.dumps(self.pick(TEXT_FAMILIES[family]))
        if family == "numbers":
            return family, self.pick(NUMBERS)
        if family == "nonfinite":
            return family, self.pick(NONFINITE)
        if family == "deep":
            return family, self.pick(DEEP)
        if family == "xml":
            return family, json.dumps(self.pick([billion_laughs(), xxe("file:///etc/passwd"), xxe(self.listener)]))
        return family, self.pick(["null", "true", "[]", "{}", '""', "[[[[[]]]]]", '{"$ref": "%s"}' % self.listener,
                                  '{"__proto__": {"admin": true}}', '"' + "x" * 70_000 + '"'])

    def path_value(self, name: str, plausible: str) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.3:
            return "plausible", plausible
        if r < 0.55:
            return "huge_id", enc(self.pick(HUGE_IDS)) if self.rng.random() < 0.8 else self.pick(HUGE_IDS[:5])
        if r < 0.8:
            family, text = self.hostile_text()
            return family, enc(text)
        if r < 0.92:
            return "traversal", self.pick(RAW_PATHS).replace("/", "%2f") if name != "path" else self.pick(RAW_PATHS)
        return "raw_bytes", self.pick(RAW_BYTES)

    def query(self, pairs: list[tuple[str, str]]) -> str:
        return "&".join(f"{enc(k)}={v}" for k, v in pairs)

    def query_value(self, plausible: str) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.35:
            return "plausible", enc(plausible)
        if r < 0.7:
            family, text = self.hostile_text()
            return family, enc(text)
        if r < 0.85:
            return "numbers", enc(self.pick(NUMBERS))
        if r < 0.93:
            return "nul", self.pick(["%00", "a%00b", "%00%00", "%ed%a0%80", "%ff", "%", "%zz"])
        return "raw_bytes", self.pick(RAW_BYTES)

    def auth(self) -> tuple[str, list[tuple[str, str | bytes]], bool]:
        """(label, headers, authenticated): the token, none, or a forged one."""
        r = self.rng.random()
        if r < 0.5:
            return "token", [("Authorization", f"token {TOKEN}")], True
        if r < 0.75:
            return "anonymous", [], False
        forged = self.pick([f"token {TOKEN}x", "token ' OR 1=1 --", "token <script>alert(1)</script>",
                            "Bearer " + TOKEN, "Basic YWRtaW46YWRtaW4=", "token " + "a" * 5000, "token",
                            "token \u00e9\u00e9", "token %00"])
        return "forged_token", [("Authorization", forged)], False

    def honest_body(self, task_id: int, n: int) -> dict:
        return {"task_id": task_id, "assignment_id": f"3FLOOD{n:06d}", "hit_id": "3FLOODHIT",
                "worker_id": f"A1FLOOD{n:06d}", "result": {"labels": ["cat"]}}

    def token_for(self, body: dict) -> str:
        return self.page_token("mturk", body["task_id"], body["assignment_id"], body["worker_id"], body["hit_id"],
                               expires_in=3600)

    def shot(self, family: str, route: str, method: str, target: str | bytes, headers=(), body: bytes | None = None,
             *, length: bool = True, framing: bool = False) -> Shot:
        raw_target = target if isinstance(target, bytes) else target.encode("utf-8", "surrogatepass")
        raw = build(method, raw_target, self.port, list(headers), body, length=length)
        return Shot(family, route, method, raw, api=raw_target.startswith(b"/workbench/api/"), framing=framing)
