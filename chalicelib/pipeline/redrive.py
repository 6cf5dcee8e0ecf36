"""Bring parked records back: ``python -m chalicelib.manage redrive``.

Two kinds of message sit in the dead-letter queue. Ours carry the record itself (``data``: parked by the handler or
by the local stream after its retries). AWS's on-failure destination of the stream mapping carries only the range
of a failed batch (``KinesisBatchInfo``): those records are read back from the stream, which keeps them 7 days,
longer than the mapping retries them (a day). Either way the records go through the handler's commit as a
redrive: past the high-water marks, and once by identity (``identity``), so a second redrive changes nothing.
A message is deleted only after its records are committed (or parked again, with their new reason); an outage
stops the run and leaves the rest in the queue. Messages parked during the run are left for the next one.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import orjson

from .. import aws
from ..config import get_settings

log = logging.getLogger(__name__)


def _from_message(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    if "data" in body and body.get("sequence") is not None:
        text = body.get("data") or ""
        return [{"seq": str(body["sequence"]), "shard": body.get("shard") or "shard-unknown",
                 "device": body.get("device"), "arrival": float(body.get("arrival") or time.time()), "text": text,
                 "size": len(text.encode()), "problem": None, "rid": body.get("record_id"), "part": body.get("part")}]
    info = body.get("KinesisBatchInfo")
    if isinstance(info, dict) and info.get("shardId") and info.get("startSequenceNumber"):
        return _read_range(info)
    return None


def _read_range(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The failed batch's records, read back from the stream by shard and sequence range."""
    from .ingest import decode
    from .local_stream import lambda_event

    k = aws.client("kinesis")
    arn = info.get("streamArn") or ""
    where = {"StreamARN": arn} if arn else {"StreamName": get_settings().kinesis_stream}
    it = k.get_shard_iterator(**where, ShardId=info["shardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                              StartingSequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    end, out = int(info.get("endSequenceNumber") or info["startSequenceNumber"]), []
    while it:
        resp = k.get_records(ShardIterator=it, Limit=1000)
        recs = [r for r in resp["Records"] if int(r["SequenceNumber"]) <= end]
        out += [decode(r) for r in lambda_event(info["shardId"], arn, recs)["Records"]]
        if not resp["Records"] or len(recs) < len(resp["Records"]) or not resp.get("MillisBehindLatest", 1):
            break
        it = resp.get("NextShardIterator")
    return out


def run(limit: int | None = None) -> dict[str, Any]:
    """Redrive up to ``limit`` messages; the figures say what became of them."""
    from .ingest import reprocess

    sqs, url = aws.client("sqs"), get_settings().dlq_url
    started_ms = int(time.time() * 1000)
    out = {"messages": 0, "records": 0, "committed": 0, "already_committed": 0, "parked_again": 0,
           "unknown_messages": 0, "left_by_outage": 0}
    while limit is None or out["messages"] < limit:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300,
                                   AttributeNames=["SentTimestamp"]).get("Messages") or []
        msgs = [m for m in msgs if int(m.get("Attributes", {}).get("SentTimestamp", 0)) <= started_ms]
        if not msgs:
            break
        for m in msgs[: None if limit is None else limit - out["messages"]]:
            try:
                records = _from_message(orjson.loads(m["Body"]))
            except orjson.JSONDecodeError:
                records = None
            if records is None:  # not ours to read: left in the queue for a person to look at
                out["unknown_messages"] += 1
                out["messages"] += 1
                continue
            failed, counts = reprocess(records)
            if failed:
                out["left_by_outage"] += len(failed)
                log.error("redrive stopped by an outage; %d records stay parked", len(failed))
                for rest in msgs:  # handed back at once, for the next run
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=rest["ReceiptHandle"],
                                                  VisibilityTimeout=0)
                return out
            out["messages"] += 1
            out["records"] += len(records)
            out["already_committed"] += counts.get("RecordsDuplicate", 0)
            out["parked_again"] += counts.get("RecordsToDLQ", 0)
            out["committed"] += len(records) - counts.get("RecordsDuplicate", 0)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out
