"""Raw records to the logs bucket as gzip JSON lines, one object per delivered batch.

The key is derived from the batch itself (``logs/dt=YYYY-MM-DD/hour=HH/{shard}-{first seq}-{last seq}.jsonl.gz``,
the date from the first record's arrival time), so a replayed batch overwrites the same object with the same
bytes. Each line keeps the shard and sequence number: a deep scan can drop the overlap of a partial retry.
"""
from __future__ import annotations

import gzip
from datetime import datetime, timezone
from typing import Any

import orjson

from .. import aws
from ..config import get_settings


def key_for(shard: str, records: list[dict[str, Any]]) -> str:
    first, last = records[0], records[-1]
    dt = datetime.fromtimestamp(first["arrival"], tz=timezone.utc)
    return f"logs/dt={dt:%Y-%m-%d}/hour={dt:%H}/{shard}-{first['seq']}-{last['seq']}.jsonl.gz"


def body(shard: str, records: list[dict[str, Any]]) -> bytes:
    lines = b"".join(orjson.dumps({"shard": shard, "seq": r["seq"], "device": r["device"], "arrival": r["arrival"],
                                   "data": r["text"]}) + b"\n" for r in records)
    return gzip.compress(lines, compresslevel=6, mtime=0)  # mtime 0: the same batch gives the same bytes


def write(shard: str, records: list[dict[str, Any]]) -> str:
    key = key_for(shard, records)
    aws.client("s3").put_object(Bucket=get_settings().logs_bucket, Key=key, Body=body(shard, records),
                                ContentType="application/x-ndjson", ContentEncoding="gzip",
                                ServerSideEncryption="AES256")
    return key
