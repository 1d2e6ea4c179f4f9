"""Tasks whose images live in S3 (moto) go through the MTurk lifecycle like any other."""

from __future__ import annotations

import boto3
from moto import mock_aws
from sqlalchemy import select

from workbench.study import assets, tasks
from workbench.crowd.providers import WorkSpec
from workbench.store.models import Annotation

from .conftest import work


def test_s3_asset_task_through_create_sync_ingest(mt, sim, study, store, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="study-images")
        s3.put_object(Bucket="study-images", Key="cats/1.png", Body=b"\x89PNG fake")
        with store.transaction() as s:
            asset = assets.register_s3(s, "cats", "cats/1.png", bucket="study-images")
            task = tasks.create(s, "cats", study.definition.id, asset_id=asset.id)
        hit_id = mt.create_work("cats", [task.id], WorkSpec(title="Label", description="d", reward_cents=5)).hit_ids[0]
        # The worker page would hand the browser this URL; moto serves it, the simulator serves MTurk.
        url = assets.presigned_url(asset, client=s3)
        assert "study-images" in url and "Signature" in url
        assert s3.get_object(Bucket="study-images", Key="cats/1.png")["Body"].read() == b"\x89PNG fake"
        assignment_id = work(sim, hit_id, "A1S3", {"label": "cat"})
        mt.sync()
        assert mt.ingest().ingested == 1
    with store.session() as s:
        note = s.scalars(select(Annotation).where(Annotation.submission_id == assignment_id)).one()
    assert note.task_id == task.id
