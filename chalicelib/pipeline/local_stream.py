"""What Lambda's Kinesis event source mapping does, for the local stack: poll each shard, invoke the handler
with the real event shape, honour ``batchItemFailures`` (redeliver from the lowest failed sequence, backing off),
and after ``max_retries`` park the failing records, with their data, in the dead-letter queue (AWS's on-failure
destination gets only the range; ``redrive`` reads either back).
"""
from __future__ import annotations

import base64
import logging
import threading
import time
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
    """Retries a failing shard with exponential backoff (``backoff`` seconds doubling up to ``backoff_max``): the
    defaults ride out a database outage of more than ten minutes (1+2+4+…+60 s over 20 retries) before parking."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], stream: str | None = None,
                 batch_size: int = 1000, max_retries: int | None = None, start: str = "TRIM_HORIZON",
                 backoff: float | None = None, backoff_max: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        cfg = get_settings()
        self.handler, self.batch_size = handler, batch_size
        self.max_retries = cfg.stream_max_retries if max_retries is None else max_retries
        self.backoff = cfg.stream_backoff_s if backoff is None else backoff
        self.backoff_max = cfg.stream_backoff_max_s if backoff_max is None else backoff_max
        self.clock = clock
        self.not_before: dict[str, float] = {}
        self.stream = stream or get_settings().kinesis_stream
        self.start = start
        self.position: dict[str, str] = {}  # the last sequence number handled, per shard
        self.iterators: dict[str, str] = {}
        self.created: Any = None  # the stream's creation time: a restarted stand-in has a new one
        self._reset()
        self.retries: dict[str, int] = {}
        self.stats = {"batches": 0, "records": 0, "redelivered": 0, "parked": 0}

    def _reset(self) -> None:
        """(Re)open every shard after the last record handled: at start, and after the stand-in restarted (its
        iterators are gone, and a restarted moto holds a new, empty stream: read from its start)."""
        from botocore.exceptions import ClientError

        k = aws.client("kinesis")
        desc = k.describe_stream(StreamName=self.stream)["StreamDescription"]
        if desc.get("StreamCreationTimestamp") != self.created:  # another stream under the same name
            self.position, self.created = ({} if self.created is not None else self.position), \
                desc.get("StreamCreationTimestamp")
        self.arn, its = desc["StreamARN"], {}
        for shard in (s["ShardId"] for s in desc["Shards"]):
            last = self.position.get(shard)
            try:
                kw = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": last} if last else \
                    {"ShardIteratorType": self.start}
                its[shard] = k.get_shard_iterator(StreamName=self.stream, ShardId=shard, **kw)["ShardIterator"]
            except ClientError:  # that sequence number is not in this stream: a new one, from its start
                its[shard] = k.get_shard_iterator(StreamName=self.stream, ShardId=shard,
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.iterators = its

    def poll_once(self) -> int:
        """One round over the shards; returns how many records the handler saw."""
        k, seen = aws.client("kinesis"), 0
        for shard, it in list(self.iterators.items()):
            if self.clock() < self.not_before.get(shard, 0.0):
                continue  # backing off after a failure
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
                self.not_before.pop(shard, None)
                self.position[shard] = recs[-1]["SequenceNumber"]
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
                self.not_before.pop(shard, None)
                self.position[shard] = recs[-1]["SequenceNumber"]
                self.iterators[shard] = k.get_shard_iterator(
                    StreamName=self.stream, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber=recs[-1]["SequenceNumber"])["ShardIterator"]
            else:
                self.not_before[shard] = self.clock() + min(self.backoff_max, self.backoff * 2 ** (tries - 1))
                self.stats["redelivered"] += sum(1 for r in recs if int(r["SequenceNumber"]) >= int(lowest))
                self.iterators[shard] = k.get_shard_iterator(
                    StreamName=self.stream, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber=lowest)["ShardIterator"]
        return seen

    def restarted(self) -> bool:
        """Whether the stream was recreated (a restarted moto answers the old iterators with nothing, not errors)."""
        desc = aws.client("kinesis").describe_stream(StreamName=self.stream)["StreamDescription"]
        return desc.get("StreamCreationTimestamp") != self.created

    def run(self, stop: threading.Event, interval: float = 0.5, check_s: float = 5.0) -> None:
        broken, checked = False, self.clock()
        while not stop.is_set():
            try:
                if broken:
                    self._reset()
                    broken = False
                if self.poll_once():
                    continue
                if self.clock() - checked >= check_s:
                    checked = self.clock()
                    broken = self.restarted()
            except Exception:  # keep polling; Kinesis (a restarted stand-in) or the database may come back
                log.exception("stream delivery failed; reopening the shards")
                broken = True
            stop.wait(interval)
