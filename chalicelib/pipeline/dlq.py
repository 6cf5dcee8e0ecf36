"""The SQS dead-letter queue: a record the pipeline cannot use is parked here with its reason, never dropped."""
from __future__ import annotations

from typing import Any

import orjson

from .. import aws
from ..config import get_settings

MAX_BODY = 200_000  # SQS takes 256 KiB; the raw text is cut to fit and says so


def park(reason: str, record: dict[str, Any], source: str = "kinesis-handler") -> str:
    text = record.get("text") or ""
    body = {"reason": reason, "source": source, "shard": record.get("shard"), "sequence": record.get("seq"),
            "device": record.get("device"), "arrival": record.get("arrival"), "bytes": record.get("size"),
            "data": text[:MAX_BODY], "truncated": len(text) > MAX_BODY}
    url = get_settings().dlq_url
    if not url:
        raise RuntimeError("DLQ_URL is not set")
    return aws.client("sqs").send_message(QueueUrl=url, MessageBody=orjson.dumps(body).decode())["MessageId"]
