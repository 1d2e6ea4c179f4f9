"""S3 objects as assets: the client, presigned URLs, listing a prefix and downloading (hashed as it goes).

``workbench.study.assets`` registers them and re-exports ``s3_client`` and ``presigned_url``. boto3 and
botocore are imported where they are used: the CLI imports this module, and most commands never touch S3.
"""

from __future__ import annotations

import hashlib
import os
from typing import IO, Any

from workbench.errors import ValidationError
from workbench.store.models import Asset


def s3_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client in ``AWS_REGION`` (default us-east-1); ``endpoint_url`` for MinIO or a test server."""
    # boto3 is heavy (~0.15 s); loaded only when S3 is used (the CLI imports this module)
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url)


def presigned_url(asset: Asset, *, expires_in: int = 3600, client: Any = None) -> str:
    """A time-limited GET URL for an S3 asset; the worker's browser never sees credentials."""
    if not asset.s3_key:
        raise ValidationError("asset", "is a local file, not an S3 object")
    client = client or s3_client()
    return client.generate_presigned_url("get_object", Params={"Bucket": asset.s3_bucket, "Key": asset.s3_key},
                                         ExpiresIn=expires_in)


def download(client: Any, bucket: str, key: str, into: IO[bytes]) -> str:
    """Copy the object into ``into``, a megabyte at a time; its sha256 (hex). A missing object or a refusal is a
    ValidationError naming ``s3_key``."""
    # botocore comes with boto3, loaded only when S3 is used (the CLI imports this module)
    from botocore.exceptions import BotoCoreError, ClientError

    digest = hashlib.sha256()
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
            into.write(chunk)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        reason = "no such object" if code in ("NoSuchKey", "404") else code or str(exc)
        raise ValidationError("s3_key", f"s3://{bucket}/{key}: {reason}") from None
    except BotoCoreError as exc:
        raise ValidationError("s3_key", f"s3://{bucket}/{key}: {exc}") from None
    return digest.hexdigest()


def list_keys(client: Any, bucket: str, prefix: str, source: str) -> list[str]:
    """Every key under ``prefix``, as S3 lists them; a refusal is a ValidationError naming ``source``."""
    # botocore comes with boto3, loaded only when S3 is used (the CLI imports this module)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]
    except (BotoCoreError, ClientError) as exc:
        raise ValidationError("source", f"{source}: {exc}") from None
