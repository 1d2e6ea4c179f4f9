"""Flood requests at the routes a worker's browser reaches (the annotate page, submissions, signed asset links,
static files, the login link, collaboration) and at Jupyter's own pages: one request per function, from a ``Draw``."""

from __future__ import annotations

import json

from benchmarks.hostile.draw import Draw
from benchmarks.hostile.payloads import CONTENT_TYPES, MALFORMED, NUMBERS, RANGES, SQLI, XSS, billion_laughs, xxe
from benchmarks.hostile.wire import Shot, enc, splice


def annotate(d: Draw) -> Shot:
    family, task = d.path_value("task_id", str(d.pick([d.study.page_task, *d.study.flood])))
    params = []
    if d.rng.random() < 0.8:
        for name, plausible in (("assignmentId", f"3PAGE{d.next_id()}"), ("hitId", "3PAGEHIT"),
                                ("workerId", "A1PAGEWORKER"), ("turkSubmitTo", "https://workersandbox.mturk.com")):
            if d.rng.random() < 0.85:
                kind, value = d.query_value(plausible)
                family = kind if kind != "plausible" else family
                params.append((name, value))
        if d.rng.random() < 0.1:
            params.append(("assignmentId", "ASSIGNMENT_ID_NOT_AVAILABLE"))
        if d.rng.random() < 0.1:
            params.append(("turkSubmitTo", enc(d.pick(["javascript:alert(1)", "https://evil.example",
                                                       f"{d.listener}", "https://www.mturk.com/x?y=1"]))))
    return d.shot(family, "GET /workbench/annotate/{task_id}", "GET",
                  f"/workbench/annotate/{task}" + (f"?{d.query(params)}" if params else ""))


def submission_field(d: Draw) -> Shot:
    n = d.next_id()
    base = d.honest_body(d.pick(d.study.flood), n)
    family, raw = d.hostile_json()
    where = d.pick(["task_id", "assignment_id", "hit_id", "worker_id", "result", "tool_version", "labels",
                    "label", "note", "extra"])
    token = d.token_for(base)
    if where in ("labels", "note"):
        inner = {"labels": ["cat"]} if where == "note" else {}
        body = splice(base, result=splice(inner, **{where: raw}).decode())
    elif where == "label":
        body = splice(base, result='{"labels": [%s]}' % raw)
    elif where == "extra":
        body = splice(base, **{d.pick(["__proto__", "constructor", "admin", "\u0000", "id"]): raw})
    else:
        body = splice(base, **{where: raw})
        if where in ("assignment_id", "worker_id", "hit_id", "task_id") and d.rng.random() < 0.5:
            try:  # a page minted for the hostile id, so the request gets past the token to what lies behind
                value = json.loads(raw)
                token = d.token_for({**base, where: value})
            except (ValueError, TypeError, UnicodeEncodeError, RecursionError, OverflowError):
                pass
    headers = [("Content-Type", "application/json"), ("X-Workbench-Token", token)]
    return d.shot(family, "POST /workbench/api/submissions", "POST", "/workbench/api/submissions", headers, body)


def submission_body(d: Draw) -> Shot:
    n = d.next_id()
    base = d.honest_body(d.pick(d.study.flood), n)
    good = d.token_for(base)
    r = d.rng.random()
    content_type, token = "application/json", good
    if r < 0.45:
        family, body = "malformed", d.pick(MALFORMED)
    elif r < 0.6:
        family, body = "content_type", json.dumps(base).encode()
        content_type = d.pick(CONTENT_TYPES)
    elif r < 0.75:
        family, body = "xml", d.pick([billion_laughs(), xxe("file:///etc/passwd"), xxe(d.listener)]).encode()
        content_type = d.pick(["application/xml", "text/xml", "application/json"])
    else:
        family, body = "signature", json.dumps(base).encode()
        token = d.pick(["", "1.forged", "99999999999999999999." + good.partition(".")[2], "\u00e9" * 43,
                        good.partition(".")[0] + "." + "\u00e9" * 43, "-1." + good.partition(".")[2],
                        good + "x", "<script>alert(1)</script>", good.upper(), "%00", "." * 200])
    headers = [("X-Workbench-Token", token)] if token else []
    if content_type:
        headers.append(("Content-Type", content_type))
    return d.shot(family, "POST /workbench/api/submissions", "POST", "/workbench/api/submissions", headers, body)


def asset_link(d: Draw) -> Shot:
    asset_family, asset = d.path_value("asset_id", str(d.study.asset))
    exp, sig = d.link["exp"], d.link["sig"]
    r = d.rng.random()
    family = "signature"
    if r < 0.2:
        pass  # the real link (or a hostile id with it)
    elif r < 0.35:
        exp = enc(d.pick(NUMBERS + ["", "abc", "\u0661"]))
    elif r < 0.5:
        sig = enc("\u00e9" * 43)
    elif r < 0.6:
        sig = "\u00e9" * 43  # raw UTF-8 in the request line
    elif r < 0.7:
        sig = d.other_link["sig"]
    elif r < 0.8:
        family, text = d.hostile_text()
        sig = enc(text)
    elif r < 0.9:
        sig = d.pick(["", "A" * 43, "A" * 5000, sig[:-1], sig + "=", "%00" + sig[1:], sig.swapcase()])
    else:
        return d.shot("signature", "GET /workbench/assets/{asset_id}", "GET",
                      f"/workbench/assets/{asset}?" + d.pick([f"sig={sig}", f"exp={exp}", "",
                                                              f"exp={exp}&sig={sig}&sig=x"]))
    return d.shot(asset_family if asset_family != "plausible" else family, "GET /workbench/assets/{asset_id}",
                  "GET", f"/workbench/assets/{asset}?exp={exp}&sig={sig}")


def files(d: Draw) -> Shot:
    prefix, plausible = d.pick([
        ("/workbench/static/", "worker.css"), ("/workbench/plugins/classification/1.1.0/", "plugin.js"),
        ("/workbench/collab/static/", "collab.js"), ("/workbench/api/docs/static/", "swagger-ui.css"),
        ("/workbench/plugins/%s/%s/" % (
            d.pick(["..", "%2e%2e", "classification%00", enc("<script>"), "x" * 300]),
            d.pick(["1.1.0", "..", "%00", "9" * 40])), "plugin.js")])
    family, path = d.path_value("path", plausible)
    headers = []
    if d.rng.random() < 0.25:
        headers.append(("Range", d.pick(RANGES)))
        family = "range" if family == "plausible" else family
    if d.rng.random() < 0.1:
        headers.append(("If-Modified-Since", d.pick(["yesterday", "\u00e9", "Mon, 99 Feb 99999 99:99:99 GMT"])))
    if d.rng.random() < 0.1:
        headers.append(("If-None-Match", d.pick(['"x"', "*", "W/" + "a" * 3000])))
    method = d.pick(["GET", "GET", "HEAD"])
    route = prefix if not prefix.startswith("/workbench/plugins/") else "/workbench/plugins/{name}/{version}/"
    return d.shot(family, f"{method} {route}{{path}}", method, prefix + path, headers)


def link_out(d: Draw) -> Shot:
    params, family = [], "plausible"
    for name, plausible in (("assignmentId", f"3LINK{d.next_id()}"), ("workerId", "A1LINKWORKER"),
                            ("hitId", "3LINKHIT"), ("project", "cats")):
        if d.rng.random() < 0.85:
            kind, value = d.query_value(plausible)
            family = kind if kind != "plausible" else family
            params.append((name, value))
    headers = []
    if d.rng.random() < 0.2:
        headers.append(("Cookie", d.pick(["wb_session_0123456789abcdef=<script>", "a=" + "b" * 3000,
                                          "wb_session_x=\u00e9", "=;=;;"])))
    return d.shot(family, "GET /workbench/login", "GET", "/workbench/login?" + d.query(params), headers)


def collab(d: Draw) -> Shot:
    if d.rng.random() < 0.3:
        family, session = d.path_value("session_id", "1")
        headers = []
        if d.rng.random() < 0.6:
            headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                       ("Sec-WebSocket-Key", d.pick(["dGhlIHNhbXBsZSBub25jZQ==", "", "\u00e9", "x" * 500])),
                       ("Sec-WebSocket-Version", d.pick(["13", "8", "999999999999999999999"])),
                       ("Origin", d.pick(["http://evil.example", "null", "<script>"]))]
        return d.shot(family, "GET /workbench/collab/ws/{session_id}", "GET", f"/workbench/collab/ws/{session}",
                      headers)
    params, family = [], "plausible"
    for name, plausible in (("study", d.pick(["pairs", "nosuch"])), ("workerId", f"A1COLLAB{d.next_id()}"),
                            ("assignmentId", f"3COLLAB{d.counter}"), ("hitId", "3COLLABHIT")):
        if d.rng.random() < 0.9:
            kind, value = d.query_value(plausible)
            family = kind if kind != "plausible" else family
            params.append((name, value))
    return d.shot(family, "GET /workbench/collab/join", "GET", "/workbench/collab/join?" + d.query(params))


def jupyter_pages(d: Draw) -> Shot:
    path = d.pick(["/login", "/login", "/api", "/api/status", "/api/kernels", "/api/contents", "/logout",
                   "/tree", "/lab", "/nosuch", "/workbench", "/workbench/", "/workbench/nosuch",
                   "/static/../../etc/passwd", "/api/" + "%00", "/workbench/api", "/files/etc/passwd"])
    method = d.pick(["GET", "GET", "POST", "DELETE", "PUT"])
    auth_label, headers, _ = d.auth()
    body = None
    family = auth_label
    if method in ("POST", "PUT"):
        family = d.pick(["sqli", "xss", "malformed"])
        fields = {"password": d.pick(SQLI + XSS), "_xsrf": d.pick(["", "x", "\u00e9"]),
                  "next": d.pick(["//evil.example", "javascript:alert(1)", "/workbench/../../etc"])}
        form = "&".join(f"{k}={enc(v)}" for k, v in fields.items())
        body = d.pick([form.encode(), b"&".join([b"a=1"] * 1500), b"--b\r\nContent-Disposition: form-data",
                       json.dumps(fields).encode()])
        headers.append(("Content-Type", d.pick(["application/x-www-form-urlencoded",
                                                "multipart/form-data; boundary=b", "multipart/form-data",
                                                "application/json"])))
    return d.shot(family, f"{method} {path}", method, path, headers, body)
