"""Liveness and readiness probes, request ids on every response, and JSON access logs without secrets."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from sqlalchemy import text

from workbench import logs

from .processes import TOKEN, get, public_server

ANON = {"Authorization": ""}


@pytest.mark.parametrize("wb_backend", ["sqlite", "postgresql"])
async def test_live_and_ready_follow_the_schema(fetch_json, wb_store):
    for path in ("health", "health/live", "health/ready"):
        status, data, response = await fetch_json(f"workbench/api/{path}", headers=dict(ANON))
        assert (status, data) == (200, {"status": "ok"}), path
        assert response.headers["Cache-Control"] == "no-store"
    current, head = wb_store.revision()
    with wb_store.engine.begin() as conn:  # as if a new release's migration had not run yet
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        status, data, response = await fetch_json("workbench/api/health/ready", headers=dict(ANON))
        assert (status, data) == (503, {"status": "unavailable"})
        assert b"0001" not in response.body and b"upgrade" not in response.body
        # the process itself is fine: not restarted, only taken out of the load balancer
        assert (await fetch_json("workbench/api/health/live", headers=dict(ANON)))[:2] == (200, {"status": "ok"})
    finally:
        with wb_store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert (await fetch_json("workbench/api/health/ready", headers=dict(ANON)))[0] == 200


async def test_ready_is_unavailable_when_the_store_is_gone(fetch_json, wb_store, jp_serverapp):
    app = jp_serverapp.web_app.settings["workbench"]
    app.store.path.unlink()  # the SQLite file removed under the running server: an empty store
    app.store.engine.dispose()
    status, data, _ = await fetch_json("workbench/api/health/ready", headers=dict(ANON))
    assert (status, data) == (503, {"status": "unavailable"})


async def test_every_response_carries_a_request_id(fetch_json, study):
    _, _, response = await fetch_json("workbench/api/health/live", headers=dict(ANON))
    generated = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    _, _, again = await fetch_json("workbench/api/health/live", headers=dict(ANON))
    assert again.headers["X-Request-Id"] != generated
    offered = "0123456789abcdef0123456789abcdef"
    _, _, response = await fetch_json("workbench/api/projects", headers={"X-Request-Id": offered})
    assert response.headers["X-Request-Id"] == offered
    # errors too, and Jupyter's own routes
    status, _, response = await fetch_json("workbench/annotate/999", headers={**ANON, "X-Request-Id": offered})
    assert status == 404 and response.headers["X-Request-Id"] == offered
    _, _, response = await fetch_json("api/status")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    for bad in ("short", "has space in it ok", "x" * 200, "<script>alert(1)</script>"):
        _, _, response = await fetch_json("workbench/api/health/live", headers={**ANON, "X-Request-Id": bad})
        assert response.headers["X-Request-Id"] != bad and re.fullmatch(r"[0-9a-f]{32}",
                                                                         response.headers["X-Request-Id"])


def test_json_formatter_carries_the_request_id_and_extras():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("workbench.test_json_logs")
    logger.handlers, logger.propagate = [handler], False
    logs.install("json", [logger])
    token = logs.request_id.set("abcdef0123456789")
    try:
        logger.warning("stored %d rows", 3, extra={"http": {"status": 201}})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logs.request_id.reset(token)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{"))
    assert first["message"] == "stored 3 rows" and first["level"] == "WARNING"
    assert first["request_id"] == "abcdef0123456789" and first["http"] == {"status": 201}
    assert second["message"] == "failed" and "ValueError: boom" in second["exc_info"]
    with pytest.raises(ValueError):
        logs.install("xml", [logger])


def test_style_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_LOG_FORMAT", "JSON")
    assert logs.style_from_env() == "json"
    monkeypatch.setenv("WORKBENCH_LOG_FORMAT", "yaml")
    assert logs.style_from_env() == "text"
    monkeypatch.delenv("WORKBENCH_LOG_FORMAT")
    assert logs.style_from_env() == "text"


def test_public_server_json_logs_name_each_request_and_leak_no_secret(make_store, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_LOG_FORMAT", "json")
    with public_server(make_store("sqlite").url, tmp_path) as (base, log_path):
        rid = "feedc0ffee0123456789abcdef012345"
        import urllib.request

        request = urllib.request.Request(base + "/workbench/annotate/77?workerId=WSECRET&token=tok-SECRET-1",
                                         headers={"X-Request-Id": rid})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and exc.headers["X-Request-Id"] == rid
        assert get(base + "/workbench/api/health/live")[0] == 200
        assert get(base + "/workbench/api/health/ready")[0] == 200
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(records) >= 0.9 * len(lines), "the server's log lines are JSON objects"
    access = [r for r in records if isinstance(r.get("http"), dict)]
    mine = [r for r in access if r["request_id"] == rid]
    assert len(mine) == 1 and mine[0]["http"]["path"] == "/workbench/annotate/77"
    assert mine[0]["http"]["status"] == 404 and mine[0]["level"] == "WARNING"
    # successes are logged too (INFO in json mode), each with a request id of its own
    ok = [r for r in access if r["http"]["path"].startswith("/workbench/api/health/") and r["http"]["status"] == 200]
    assert len(ok) >= 2 and len({r["request_id"] for r in ok}) == len(ok)
    text_all = log_path.read_text()
    assert "SECRET" not in text_all and TOKEN not in text_all


def test_the_access_log_makes_a_record_only_where_a_handler_writes_it():
    from server_ext.request_log import _emits

    parent = logging.getLogger("wb-test-emits")
    child = logging.getLogger("wb-test-emits.child")
    handler = logging.StreamHandler(io.StringIO())
    handler.setLevel(logging.WARNING)
    parent.handlers, parent.propagate, parent.level = [handler], False, logging.DEBUG
    try:
        assert parent.isEnabledFor(logging.DEBUG)  # Jupyter's shape: the logger says yes, the handler filters
        assert not _emits(child, logging.DEBUG) and not _emits(child, logging.INFO)
        assert _emits(child, logging.WARNING)
        handler.setLevel(logging.DEBUG)
        assert _emits(child, logging.DEBUG)
        parent.handlers = []  # no handler on the way: logging's last resort writes WARNING and up
        assert not _emits(child, logging.INFO) and _emits(child, logging.ERROR)
    finally:
        parent.handlers, parent.propagate = [], True
