"""Uploading an export to S3 (credentials from the standard AWS chain, never from the workbench)."""

from __future__ import annotations

import os
from pathlib import Path

from workbench.errors import ValidationError, WorkbenchError


class UploadError(WorkbenchError):
    """S3 refused or could not be reached; the local file is still there."""

    status = 502
    code = "upload_failed"


def parse_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` to (bucket, key)."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ValidationError("s3", "must look like s3://bucket/key")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ValidationError("s3", "must name a bucket and an object key, like s3://bucket/exports/run.parquet")
    return bucket, key


def upload(path: Path, uri: str) -> str:
    """Upload the file (multipart for large ones, as boto3 does); return the URI."""
    # boto3 is heavy (~0.15 s); loaded only when an export goes to S3 (the CLI imports this module)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = parse_uri(uri)
    # An S3-compatible store (MinIO, the tests' moto) is reached through AWS_ENDPOINT_URL_S3.
    client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or None)
    try:
        client.upload_file(str(path), bucket, key)
    except (BotoCoreError, ClientError) as exc:
        raise UploadError(f"upload to {uri} failed: {exc}", hint="check the bucket and the AWS credentials") from exc
    return uri
