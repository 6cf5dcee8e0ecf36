"""The SQS dead-letter queue: a record the pipeline cannot use is parked here with its reason, never dropped."""
from __future__ import annotations

from typing import Any

import orjson

from .. import aws
from ..config import get_settings

MAX_BYTES = 250_000  # SQS takes 256 KiB per message; the raw text is cut to fit, and the message says so


def park(reason: str, record: dict[str, Any], source: str = "kinesis-handler") -> str:
    text = record.get("text") or ""
    body = {"reason": reason, "source": source, "shard": record.get("shard"), "sequence": record.get("seq"),
            "device": record.get("device"), "arrival": record.get("arrival"), "bytes": record.get("size"),
            "record_id": record.get("rid"), "part": record.get("part"), "data": text, "truncated": False}
    encoded = orjson.dumps(body)
    while len(encoded) > MAX_BYTES:  # SQS counts bytes, and escaping can triple a character: trim until it fits
        keep = max(0, len(body["data"]) * MAX_BYTES // len(encoded) - 1000)
        body["data"], body["truncated"] = body["data"][:keep], True
        encoded = orjson.dumps(body)
    url = get_settings().dlq_url
    if not url:
        raise RuntimeError("DLQ_URL is not set")
    return aws.client("sqs").send_message(QueueUrl=url, MessageBody=encoded.decode())["MessageId"]
