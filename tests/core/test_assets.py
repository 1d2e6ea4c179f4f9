from __future__ import annotations

import hashlib

import boto3
import pytest
import requests
from moto import mock_aws
from sqlalchemy import select

from workbench import ConflictError, NotFoundError, ValidationError
from workbench.study import assets, definitions, plugins
from workbench.store.models import TaskType

from .test_plugins import make_plugin


def test_local_file_is_hashed_and_measured(study, image):
    asset = study.asset
    assert asset.sha256 == assets.sha256_of(image)
    assert (asset.media_type, asset.width, asset.height) == ("image", 32, 24)


def test_a_wrong_sha256_is_refused(study, image):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.register_file(s, "cats", image, sha256="0" * 64)
    assert caught.value.field == "sha256"


def test_missing_file_and_unknown_project(study, tmp_path, image):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.register_file(s, "cats", tmp_path / "nope.png")
    assert caught.value.field == "path"
    with pytest.raises(NotFoundError), study.store.transaction() as s:
        assets.register_file(s, "dogs", image)


@mock_aws
def test_s3_asset_gets_a_working_presigned_url(study, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="img/cat.png", Body=b"not really a png")
    with study.store.transaction() as s:
        asset = assets.register_s3(s, "cats", "img/cat.png", bucket="media", width=640, height=480,
                                   metadata={"license": "CC-BY"})
    url = assets.presigned_url(asset, expires_in=60, client=s3)
    assert "img/cat.png" in url and ("Signature=" in url or "X-Amz-Signature=" in url)
    # moto intercepts the request that a worker's browser would make
    assert requests.get(url, timeout=5).content == b"not really a png"
    with study.store.session() as s:
        assert [a.s3_key for a in assets.list_(s, "cats")] == [None, "img/cat.png"]


def test_s3_asset_validation(study, monkeypatch):
    monkeypatch.delenv("WORKBENCH_S3_BUCKET", raising=False)
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.register_s3(s, "cats", "k")
    assert caught.value.field == "bucket"
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.register_s3(s, "cats", "/abs", bucket="b")
    assert caught.value.field == "s3_key"
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.register_s3(s, "cats", "k", bucket="b", width=-1)
    assert caught.value.field == "width"


# -- registering many files at once: workbench assets add (issue 13) ---------------------
def png(path, size=(8, 6)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 200, 10)).save(path)
    return path


def test_add_takes_files_globs_and_folders_once_each(study, tmp_path):
    a = png(tmp_path / "shots" / "a.png", (8, 6))
    b = png(tmp_path / "shots" / "deep" / "b.png", (5, 7))
    png(tmp_path / "shots" / ".cache" / "hidden.png")
    (tmp_path / "shots" / ".DS_Store").write_bytes(b"\0")
    with study.store.transaction() as s:
        first = assets.add(s, "cats", [str(tmp_path / "shots")])
    assert [a_.local_path for a_ in first.assets] == [str(a), str(b)] and first.new == [True, True]
    assert [(x.width, x.height, x.sha256, x.meta["size_bytes"]) for x in first.assets] == [
        (8, 6, hashlib.sha256(a.read_bytes()).hexdigest(), len(a.read_bytes())),
        (5, 7, hashlib.sha256(b.read_bytes()).hexdigest(), len(b.read_bytes()))]
    with study.store.transaction() as s:
        again = assets.add(s, "cats", [str(tmp_path / "shots" / "**" / "*.png"), str(b)])
    assert [x.id for x in again.assets] == [first.assets[0].id, first.assets[1].id, first.assets[1].id]
    assert again.to_dict()["new"] == 0 and again.to_dict()["existing"] == 3
    with study.store.session() as s:
        assert len(assets.list_(s, "cats")) == 3  # the study's own image and the two files


def test_add_finds_a_file_registered_one_by_one(study, image):
    with study.store.transaction() as s:
        result = assets.add(s, "cats", [str(image)])
    assert [x.id for x in result.assets] == [study.asset.id] and result.new == [False]


def test_add_refuses_a_file_whose_content_changed(study, tmp_path):
    picture = png(tmp_path / "p.png", (4, 4))
    with study.store.transaction() as s:
        assets.add(s, "cats", [str(picture)])
    png(picture, (9, 9))
    with pytest.raises(ConflictError) as caught, study.store.transaction() as s:
        assets.add(s, "cats", [str(picture)])
    assert caught.value.field == "sha256" and str(picture) in str(caught.value)


@pytest.mark.parametrize("name, words", [("nowhere", "no such file or folder"), ("empty", "holds no file"),
                                         ("*.gif", "matches no file")])
def test_add_names_what_it_cannot_find(study, tmp_path, name, words):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.add(s, "cats", [str(tmp_path / name)])
    assert caught.value.field == "path" and words in str(caught.value)


def bucket(monkeypatch, name: str, objects: dict[str, bytes]):
    """A bucket holding ``objects`` in moto's S3 (inside ``mock_aws``), and a client of it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    return s3


@mock_aws
def test_add_registers_s3_keys_and_prefixes_once(study, monkeypatch, tmp_path):
    picture = png(tmp_path / "p.png", (12, 10)).read_bytes()
    s3 = bucket(monkeypatch, "media", {"birds/1.png": picture, "birds/notes/2.txt": b"a robin",
                                       "birds/.hidden.png": picture})
    with study.store.transaction() as s:
        first = assets.add(s, "cats", ["s3://media/birds/"], client=s3)
    assert [(x.s3_bucket, x.s3_key, x.media_type, x.width, x.height, x.meta["size_bytes"], x.sha256)
            for x in first.assets] == [
        ("media", "birds/1.png", "image", 12, 10, len(picture), hashlib.sha256(picture).hexdigest()),
        ("media", "birds/notes/2.txt", "text", None, None, 7, hashlib.sha256(b"a robin").hexdigest())]
    with study.store.transaction() as s:
        again = assets.add(s, "cats", ["s3://media/birds/1.png"], client=s3)
    assert [x.id for x in again.assets] == [first.assets[0].id] and again.new == [False]
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        assets.add(s, "cats", ["s3://media/birds/3.png"], client=s3)
    assert caught.value.field == "s3_key" and "no such object" in str(caught.value)


# -- which task types need an asset (issue 13) -------------------------------------------
def test_the_shipped_image_plugins_need_an_image(study):
    # bounding-box and polygon mark up an image; classification and free-text can work on payload text.
    expected = {"bounding-box": "image", "polygon": "image", "classification": None, "free-text": None}
    with study.store.transaction() as s:
        types = {slug: s.scalars(select(TaskType).where(TaskType.slug == slug)).one_or_none()
                 or definitions.create_type(s, slug) for slug in expected}
        assert {slug: assets.media_needed(s, row) for slug, row in types.items()} == expected


def test_a_registered_plugin_may_declare_its_media(study, tmp_path):
    root = tmp_path / "plugins"
    with study.store.transaction() as s:
        tagging = definitions.create_type(s, "audio-tags")
        boxes = definitions.create_type(s, "bounding-box")
        plugins.register(s, make_plugin(root, name="waves", task_type="audio-tags", asset_media="audio"), root)
        plugins.register(s, make_plugin(root, name="boxes", task_type="bounding-box", asset_media=None), root)
        assert (assets.media_needed(s, tagging), assets.media_needed(s, boxes)) == ("audio", None)
