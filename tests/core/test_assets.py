from __future__ import annotations

import boto3
import pytest
import requests
from moto import mock_aws

from workbench import NotFoundError, ValidationError, assets


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
