"""``workbench plugins upload``: every plugin version to S3 (moto), immutable headers, no source maps, idempotent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from workbench.cli import cli
from workbench.errors import ConflictError, ValidationError
from workbench.study.plugin_upload import CACHE_CONTROL, upload


PLUGINS_DIR = Path(__file__).resolve().parents[2] / "plugins"
NAMES = ("bounding-box", "classification", "free-text", "polygon")


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="wb-static")
        yield client


@pytest.fixture
def plugins_dir(tmp_path):
    """A copy of the repository's plugins with a source map and an editor's hidden file added."""
    folder = tmp_path / "plugins"
    shutil.copytree(PLUGINS_DIR, folder)
    (folder / "classification" / "plugin.js.map").write_text('{"sources": ["secret-source.ts"]}')
    (folder / "classification" / ".DS_Store").write_bytes(b"\0")
    return folder


def keys(client, prefix=""):
    listed = client.list_objects_v2(Bucket="wb-static", Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_upload_publishes_each_version_with_immutable_headers(s3, plugins_dir):
    result = upload("wb-static", plugins_dir=plugins_dir, client=s3, use_entry_points=False)
    assert sorted(p.split("@")[0] for p in result.plugins) == list(NAMES)
    stored = keys(s3)
    for name in NAMES:
        manifest = json.loads((plugins_dir / name / "manifest.json").read_text())
        for path in [*manifest["js"], *manifest["css"], "manifest.json"]:
            assert f"plugins/{name}/{manifest['version']}/{path}" in stored
    assert not [k for k in stored if k.endswith(".map") or "/." in k]
    assert "plugins/classification/1.1.0/plugin.js.map" in result.excluded
    assert sorted(result.uploaded) == stored
    js = s3.head_object(Bucket="wb-static", Key="plugins/classification/1.1.0/plugin.js")
    css = s3.head_object(Bucket="wb-static", Key="plugins/classification/1.1.0/plugin.css")
    assert js["CacheControl"] == css["CacheControl"] == CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert js["ContentType"] == "text/javascript; charset=utf-8" and css["ContentType"] == "text/css; charset=utf-8"
    body = s3.get_object(Bucket="wb-static", Key="plugins/classification/1.1.0/plugin.js")["Body"].read()
    assert body == (plugins_dir / "classification" / "plugin.js").read_bytes()
    manifest = s3.get_object(Bucket="wb-static", Key="plugins/classification/1.1.0/manifest.json")
    assert manifest["ContentType"] == "application/json" and manifest["CacheControl"] == CACHE_CONTROL


def test_upload_again_changes_nothing_and_a_changed_file_needs_a_new_version(s3, plugins_dir):
    first = upload("wb-static", plugins_dir=plugins_dir, client=s3, use_entry_points=False)
    again = upload("wb-static", plugins_dir=plugins_dir, client=s3, use_entry_points=False)
    assert again.uploaded == [] and sorted(again.unchanged) == sorted(first.uploaded)
    before = {k: s3.head_object(Bucket="wb-static", Key=k)["ETag"] for k in keys(s3)}
    # Same version, other bytes: refused before anything is written.
    (plugins_dir / "free-text" / "plugin.css").write_text("body { color: red }")
    (plugins_dir / "polygon" / "extra.css").write_text("/* new */")
    with pytest.raises(ConflictError) as caught:
        upload("wb-static", plugins_dir=plugins_dir, client=s3, use_entry_points=False)
    assert caught.value.field == "version" and "free-text" in str(caught.value)
    assert {k: s3.head_object(Bucket="wb-static", Key=k)["ETag"] for k in keys(s3)} == before
    # A new version is a new folder; the old one stays for the tasks that use it.
    manifest_path = plugins_dir / "free-text" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = "1.1.1"
    manifest_path.write_text(json.dumps(manifest))
    (plugins_dir / "polygon" / "extra.css").unlink()
    bumped = upload("wb-static", plugins_dir=plugins_dir, client=s3, use_entry_points=False)
    assert sorted(bumped.uploaded) == sorted(k.replace("/1.1.0/", "/1.1.1/")
                                             for k in before if k.startswith("plugins/free-text/"))
    assert keys(s3, "plugins/free-text/1.1.0/") and keys(s3, "plugins/free-text/1.1.1/")


def test_bad_bucket_prefix_or_folder_is_named(s3, plugins_dir, tmp_path):
    for bucket in ("", "UPPER", "a", "has space"):
        with pytest.raises(ValidationError) as caught:
            upload(bucket, plugins_dir=plugins_dir, client=s3, use_entry_points=False)
        assert caught.value.field == "bucket"
    for prefix in ("../up", "a/../b", "with space"):
        with pytest.raises(ValidationError) as caught:
            upload("wb-static", prefix=prefix, plugins_dir=plugins_dir, client=s3, use_entry_points=False)
        assert caught.value.field == "prefix"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError) as caught:
        upload("wb-static", plugins_dir=tmp_path / "empty", client=s3, use_entry_points=False)
    assert caught.value.field == "plugins_dir"
    assert keys(s3) == []


def test_cli_upload_with_a_prefix(s3, plugins_dir):
    runner = CliRunner()
    result = runner.invoke(cli, ["plugins", "upload", "--bucket", "wb-static", "--prefix", "static/plugins/",
                                 "--plugins-dir", str(plugins_dir), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["plugins_url"] == "https://wb-static.s3.amazonaws.com/static/plugins"
    assert data["uploaded"] == len(keys(s3, "static/plugins/")) > 0
    assert "static/plugins/classification/1.1.0/plugin.js" in keys(s3)
    text = runner.invoke(cli, ["plugins", "upload", "--bucket", "wb-static", "--prefix", "static/plugins",
                               "--plugins-dir", str(plugins_dir)])
    assert text.exit_code == 0 and text.output.startswith("0 file(s) uploaded")
    bad = runner.invoke(cli, ["plugins", "upload", "--bucket", "Bad_Bucket", "--plugins-dir", str(plugins_dir)])
    assert bad.exit_code == 1 and "bucket" in bad.output
