"""With ``plugins_url`` set, worker pages load the task's plugin version from the bucket, and the CSP allows it alone."""

from __future__ import annotations

from urllib.parse import urlsplit

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import select

from server_ext.app import WorkbenchApp
from workbench.study import tasks
from workbench.study.plugin_upload import upload
from workbench.store.models import Plugin

from .conftest import PLUGINS
from .test_worker import ANON, MTURK, open_page, parse_page

BUCKET_URL = "https://wb-static.s3.amazonaws.com/plugins"


@pytest.fixture
def wb_config():
    return {"plugins_url": BUCKET_URL + "/"}


def directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="wb-static")
        yield client


@pytest.mark.parametrize("params", [None, MTURK], ids=["preview", "assignment"])
async def test_page_loads_the_uploaded_files_of_its_plugin_version(fetch_json, study, s3, params):
    upload("wb-static", plugins_dir=PLUGINS, client=s3, use_entry_points=False)
    response = await open_page(fetch_json, study.task_ids[0], params)
    text, _, page, _, _ = parse_page(response)
    plugin = page["plugin"]
    assert (plugin["name"], plugin["version"]) == ("classification", "1.1.0")
    assert plugin["js"] == [f"{BUCKET_URL}/classification/1.1.0/plugin.js"]
    assert plugin["css"] == [f"{BUCKET_URL}/classification/1.1.0/plugin.css"]
    assert f'<script src="{plugin["js"][0]}" defer>' in text and f'href="{plugin["css"][0]}"' in text
    for url in [*plugin["js"], *plugin["css"]]:  # each is an object that upload put there
        head = s3.head_object(Bucket="wb-static", Key=urlsplit(url).path.lstrip("/"))
        assert "immutable" in head["CacheControl"]
    policy = directives(response.headers["Content-Security-Policy"])
    bucket = "https://wb-static.s3.amazonaws.com"
    assert policy["script-src"] == ["'self'", bucket] and policy["style-src"] == ["'self'", bucket]
    assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'none'"]
    # the page's own scripts still come from the server, hashed
    assert "/workbench/static/worker.js?v=" in text


async def test_each_page_loads_the_plugin_version_its_task_was_created_with(fetch_json, study):
    with study.store.transaction() as s:
        old = s.scalars(select(Plugin).where(Plugin.name == "classification", Plugin.active.is_(True))).one()
        old.active = False
        s.add(Plugin(name="classification", version="2.0.0", manifest={**old.manifest, "version": "2.0.0"},
                     active=True, task_type_id=old.task_type_id))
        s.flush()
        first = tasks.get(s, study.task_ids[0])
        newer = tasks.create(s, first.project_id, first.definition_id, asset_id=first.asset_id)
    for task_id, version in ((study.task_ids[0], "1.1.0"), (newer.id, "2.0.0")):
        _, _, page, _, _ = parse_page(await open_page(fetch_json, task_id))
        assert page["plugin"]["js"] == [f"{BUCKET_URL}/classification/{version}/plugin.js"]


async def test_without_plugins_url_the_server_serves_them_and_csp_is_self_only(fetch_json, study, jp_serverapp):
    jp_serverapp.web_app.settings["workbench"].plugins_url = None
    response = await open_page(fetch_json, study.task_ids[0])
    _, _, page, _, _ = parse_page(response)
    (src,) = page["plugin"]["js"]
    assert src.startswith("/") and src.endswith("/workbench/plugins/classification/1.1.0/plugin.js")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    status, _, served = await fetch_json("workbench/plugins/classification/1.1.0/plugin.js", headers=dict(ANON))
    assert status == 200 and "immutable" in served.headers["Cache-Control"]


def test_plugins_url_defaults_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS_URL", "https://cdn.example.org/wb/plugins/")
    assert WorkbenchApp().plugins_url == "https://cdn.example.org/wb/plugins"
    monkeypatch.setenv("WORKBENCH_PLUGINS_URL", "")
    assert WorkbenchApp().plugins_url is None
