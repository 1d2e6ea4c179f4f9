"""``workbench assets add|list`` and the loud refusals of ``workbench tasks import``, in-process."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from moto import mock_aws

from workbench.cli import cli

from ..core.test_assets import bucket, png



@pytest.fixture
def run(store):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--database-url", store.url, *args], catch_exceptions=False)

    assert invoke("project", "create", "birds").exit_code == 0
    return invoke


def test_add_a_folder_twice_and_list(run, tmp_path):
    first = png(tmp_path / "images" / "robin.png", (30, 20))
    second = png(tmp_path / "images" / "more" / "sparrow.png", (16, 12))
    added = run("assets", "add", str(tmp_path / "images"), "--project", "birds")
    assert added.exit_code == 0 and "2 asset(s) in birds: 2 new, 0 already registered" in added.output
    again = run("assets", "add", str(first), str(tmp_path / "images" / "**" / "*.png"), "--project", "birds")
    assert again.exit_code == 0 and "3 asset(s) in birds: 0 new, 3 already registered" in again.output
    listed = json.loads(run("assets", "list", "--project", "birds", "--json").output)
    assert [(a["local_path"], a["width"], a["height"], a["sha256"], a["meta"]["size_bytes"]) for a in listed] == [
        (str(p), w, h, hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size)
        for p, (w, h) in ((second, (16, 12)), (first, (30, 20)))]  # in path order: images/more/… first
    text = run("assets", "list", "--project", "birds").output.splitlines()
    assert len(text) == 2 and text[1].endswith(str(first)) and "30x20" in text[1]
    page = run("assets", "list", "--project", "birds", "--limit", "1").output.splitlines()
    assert page[0].endswith(str(second)) and "--offset 1 for more" in page[1]


def test_add_refusals_are_one_line(run, tmp_path):
    missing = run("assets", "add", str(tmp_path / "nope.png"), "--project", "birds")
    assert missing.exit_code == 1 and "no such file or folder" in missing.output
    assert len(missing.output.strip().splitlines()) == 1 and "Traceback" not in missing.output
    png(tmp_path / "a.png", (4, 4))
    unknown = run("assets", "add", str(tmp_path / "a.png"), "--project", "fish")
    assert unknown.exit_code == 1 and "project 'fish' not found" in unknown.output
    assert "no assets in birds yet" in run("assets", "list", "--project", "birds").output


def test_add_outside_the_asset_folders_is_refused_in_one_line(run, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ASSET_ROOTS", str(tmp_path / "photos"))
    png(tmp_path / "photos" / "robin.png", (4, 4))
    png(tmp_path / "elsewhere" / "secret.png", (4, 4))
    for source in ("elsewhere/secret.png", "elsewhere/none.png", "photos/../elsewhere", "/etc/passwd"):
        refused = run("assets", "add", str(tmp_path / source), "--project", "birds")
        assert refused.exit_code == 1 and "not inside an asset folder" in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1 and "Traceback" not in refused.output
    assert "1 new" in run("assets", "add", str(tmp_path / "photos"), "--project", "birds").output


@mock_aws
def test_add_s3_keys(run, monkeypatch, tmp_path):
    body = png(tmp_path / "cam.png", (64, 48)).read_bytes()
    bucket(monkeypatch, "birdcam", {"2026/cam-1.png": body, "2026/cam-2.png": body})
    added = run("assets", "add", "s3://birdcam/2026/", "s3://birdcam/2026/cam-1.png", "--project", "birds", "--json")
    data = json.loads(added.output)
    assert (data["new"], data["existing"]) == (2, 1)
    assert [(a["s3_key"], a["width"], a["sha256"], a["new"]) for a in data["assets"]] == [
        ("2026/cam-1.png", 64, hashlib.sha256(body).hexdigest(), True),
        ("2026/cam-2.png", 64, hashlib.sha256(body).hexdigest(), True),
        ("2026/cam-1.png", 64, hashlib.sha256(body).hexdigest(), False)]
    missing = run("assets", "add", "s3://birdcam/2027/cam-9.png", "--project", "birds")
    assert missing.exit_code == 1 and "s3://birdcam/2027/cam-9.png: no such object" in missing.output


@pytest.fixture
def boxes(run, tmp_path):
    (tmp_path / "def.json").write_text(json.dumps({"ui_config": {"labels": ["robin"]},
                                                   "label_schema": {"type": "object", "required": ["boxes"]}}))
    run("tasktype", "create", "bounding-box")
    assert run("definition", "create", "bounding-box:1.0", "--file", str(tmp_path / "def.json")).exit_code == 0
    png(tmp_path / "images" / "robin.png", (20, 20))
    assert run("assets", "add", str(tmp_path / "images"), "--project", "birds").exit_code == 0
    return lambda path: run("tasks", "import", str(path), "--project", "birds", "--definition", "bounding-box:1.0",
                            "--quiet")


def test_import_reads_an_excel_csv_and_refuses_image_tasks_without_images(run, boxes, tmp_path):
    excel = tmp_path / "excel.csv"
    excel.write_bytes("\ufeffasset;priority\r\nimages/robin.png;5\r\n".encode())
    good = boxes(excel)
    assert good.exit_code == 0 and "imported 1 tasks" in good.output
    urls = tmp_path / "urls.csv"
    urls.write_text("image_url,label\nhttps://example.org/robin.png,robin\n")
    bad = boxes(urls)
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1
    assert "row 1 (line 2)" in bad.output and "'image_url' is not a recognised column" in bad.output
    stats = json.loads(run("project", "stats", "birds", "--json").output)
    assert stats["tasks"]["total"] == 1
