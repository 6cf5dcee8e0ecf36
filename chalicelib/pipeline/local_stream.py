"""What Lambda's Kinesis event source mapping does, for the local stack: poll each shard, invoke the handler
with the real event shape, honour ``batchItemFailures`` (redeliver from the lowest failed sequence), and after
``max_retries`` park the failing records in the dead-letter queue, as the on-failure destination would.
"""
from __future__ import annotations

import base64
import logging
import threading
from typing import Any, Callable

from .. import aws
from ..config import get_settings
from . import dlq

log = logging.getLogger(__name__)


def lambda_event(shard: str, stream_arn: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    region = get_settings().region
    return {"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["PartitionKey"], "sequenceNumber": r["SequenceNumber"],
                    "data": base64.b64encode(r["Data"]).decode(),
                    "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp()},
        "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"{shard}:{r['SequenceNumber']}",
        "eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::123456789012:role/local",
        "awsRegion": region, "eventSourceARN": stream_arn} for r in records]}


class LocalStream:
    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], stream: str | None = None,
                 batch_size: int = 1000, max_retries: int = 3, start: str = "TRIM_HORIZON") -> None:
        self.handler, self.batch_size, self.max_retries = handler, batch_size, max_retries
        self.stream = stream or get_settings().kinesis_stream
        k = aws.client("kinesis")
        desc = k.describe_stream(StreamName=self.stream)["StreamDescription"]
        self.arn = desc["StreamARN"]
        self.iterators = {s["ShardId"]: k.get_shard_iterator(StreamName=self.stream, ShardId=s["ShardId"],
                                                            ShardIteratorType=start)["ShardIterator"]
                          for s in desc["Shards"]}
        self.retries: dict[str, int] = {}
        self.stats = {"batches": 0, "records": 0, "redelivered": 0, "parked": 0}

    def poll_once(self) -> int:
        """One round over the shards; returns how many records the handler saw."""
        k, seen = aws.client("kinesis"), 0
        for shard, it in list(self.iterators.items()):
            resp = k.get_records(ShardIterator=it, Limit=self.batch_size)
            recs = resp["Records"]
            if not recs:
                if resp.get("NextShardIterator") is None:  # a closed shard (after resharding) is done
                    del self.iterators[shard]
                else:
                    self.iterators[shard] = resp["NextShardIterator"]
                continue
            seen += len(recs)
            self.stats["batches"] += 1
            try:
                result = self.handler(lambda_event(shard, self.arn, recs), None) or {}
                failures = [f["itemIdentifier"] for f in result.get("batchItemFailures") or []]
            except Exception as exc:  # a crashed invocation fails the whole batch, as in Lambda
                log.exception("handler raised")
                failures, result = [r["SequenceNumber"] for r in recs], {"error": str(exc)}
            if not failures:
                self.retries.pop(shard, None)
                self.iterators[shard] = resp["NextShardIterator"]
                self.stats["records"] += len(recs)
                continue
            lowest = min(failures, key=int)
            tries = self.retries[shard] = self.retries.get(shard, 0) + 1
            if tries > self.max_retries:
                for r in recs:
                    if int(r["SequenceNumber"]) >= int(lowest):
                        dlq.park(f"retries exhausted ({self.max_retries}) on the stream handler",
                                 {"shard": shard, "seq": r["SequenceNumber"], "device": r["PartitionKey"],
                                  "text": r["Data"].decode("utf-8", "replace"), "size": len(r["Data"])},
                                 source="event-source-mapping")
                        self.stats["parked"] += 1
                self.retries.pop(shard, None)
                self.iterators[shard] = k.get_shard_iterator(
                    StreamName=self.stream, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber=recs[-1]["SequenceNumber"])["ShardIterator"]
            else:
                self.stats["redelivered"] += sum(1 for r in recs if int(r["SequenceNumber"]) >= int(lowest))
                self.iterators[shard] = k.get_shard_iterator(
                    StreamName=self.stream, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber=lowest)["ShardIterator"]
        return seen

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        while not stop.is_set():
            try:
                if self.poll_once():
                    continue
            except Exception:  # keep polling; Kinesis or the database may come back
                log.exception("stream delivery failed")
            stop.wait(interval)
