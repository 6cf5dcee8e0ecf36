"""S3 for evidence: presigned POST and multipart plans, streaming reads, quarantine moves, presigned GET."""
from __future__ import annotations

import hashlib
from typing import Any, Iterator

from .aws import client
from .config import get_settings

CHUNK = 1024 * 1024


def bucket() -> str:
    return get_settings().evidence_bucket


def presigned_post(key: str, max_size: int, expires: int, fields: dict[str, str] | None = None,
                   key_prefix: bool = False, min_size: int = 1) -> dict[str, Any]:
    """Policy pins the key (or its prefix for ``${filename}`` forms), the size range (the declared size exactly,
    when one was declared) and encryption."""
    f = {"x-amz-server-side-encryption": "AES256", **(fields or {})}
    conditions: list[Any] = [{"x-amz-server-side-encryption": "AES256"},
                             ["content-length-range", min_size, max_size]]
    conditions += [{k: v} for k, v in (fields or {}).items() if k != "success_action_redirect"]
    if fields and "success_action_redirect" in fields:
        conditions.append({"success_action_redirect": fields["success_action_redirect"]})
    if key_prefix:
        conditions.append(["starts-with", "$key", key])
        key = key + "${filename}"
    return client("s3").generate_presigned_post(bucket(), key, Fields=f, Conditions=conditions, ExpiresIn=expires)


def start_multipart(key: str, size: int, part_size: int, expires: int) -> dict[str, Any]:
    s3 = client("s3")
    upload_id = s3.create_multipart_upload(Bucket=bucket(), Key=key, ServerSideEncryption="AES256")["UploadId"]
    count = max(1, -(-size // part_size))
    parts = [{"part_number": n, "url": s3.generate_presigned_url(
        "upload_part", Params={"Bucket": bucket(), "Key": key, "UploadId": upload_id, "PartNumber": n},
        ExpiresIn=expires)} for n in range(1, count + 1)]
    return {"upload_id": upload_id, "part_size": part_size, "parts": parts}


def complete_multipart(key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
    client("s3").complete_multipart_upload(
        Bucket=bucket(), Key=key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": int(p["part_number"]), "ETag": str(p["etag"])} for p in parts]})


def head(key: str) -> dict[str, Any] | None:
    try:
        return client("s3").head_object(Bucket=bucket(), Key=key)
    except client("s3").exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def read_head(key: str, n: int, version_id: str | None = None) -> bytes:
    extra = {"VersionId": version_id} if version_id else {}
    return client("s3").get_object(Bucket=bucket(), Key=key, Range=f"bytes=0-{n - 1}", **extra)["Body"].read()


def iter_chunks(key: str, version_id: str | None = None) -> Iterator[bytes]:
    extra = {"VersionId": version_id} if version_id else {}
    body = client("s3").get_object(Bucket=bucket(), Key=key, **extra)["Body"]
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def sha256_of(key: str, version_id: str | None = None) -> tuple[str, int]:
    """Stream the object through SHA-256 in 1 MiB chunks: constant memory whatever its size."""
    h, size = hashlib.sha256(), 0
    for chunk in iter_chunks(key, version_id):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def move(src: str, dst: str) -> None:
    s3 = client("s3")
    s3.copy_object(Bucket=bucket(), Key=dst, CopySource={"Bucket": bucket(), "Key": src},
                   ServerSideEncryption="AES256", MetadataDirective="COPY")
    s3.delete_object(Bucket=bucket(), Key=src)


def move_version(src: str, version_id: str, dst: str) -> None:
    """One version out of the evidence prefix (a later upload to a used form), the stored one untouched."""
    s3 = client("s3")
    s3.copy_object(Bucket=bucket(), Key=dst, CopySource={"Bucket": bucket(), "Key": src, "VersionId": version_id},
                   ServerSideEncryption="AES256", MetadataDirective="COPY")
    s3.delete_object(Bucket=bucket(), Key=src, VersionId=version_id)


def lock(key: str, version_id: str | None, days: int) -> None:
    """Object Lock (governance) on one stored version: the bucket has Object Lock but no default retention,
    because a default would make S3 demand a Content-MD5 on every browser upload."""
    from datetime import datetime, timedelta, timezone

    extra = {"VersionId": version_id} if version_id else {}
    client("s3").put_object_retention(Bucket=bucket(), Key=key, **extra, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": datetime.now(timezone.utc) + timedelta(days=days)})


def delete(key: str) -> str | None:
    """Delete (a delete marker under versioning); returns the error text when Object Lock refuses."""
    try:
        client("s3").delete_object(Bucket=bucket(), Key=key)
        return None
    except Exception as exc:  # Object Lock retention or legal hold
        return str(exc)[:300]


def presigned_get(key: str, download_name: str, expires: int, version_id: str | None = None) -> str:
    params = {"Bucket": bucket(), "Key": key, "ResponseContentDisposition": download_name,
              "ResponseContentType": "application/octet-stream"}
    if version_id:
        params["VersionId"] = version_id
    return client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
