"""Nothing lost, nothing twice, under faults that outlast the retries: each test injects the fault into the real
stack (moto Kinesis and SQS, SQLite / MariaDB), then counts: every line sent is committed exactly once, or parked
with its data and brought in exactly once by a redrive."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.integration.test_pipeline import FailingDatabase, alert_rows, drain, fetch_event, stream  # noqa: F401

RULE = "9f0c6c7e-6d0b-4b8f-9a57-1f1a0b6b2a01"  # ssh_invalid_user: one alert per source, counted per line


def invalid_users(n: int, start: int = 0, device: str = "srv-03", src: str = "203.0.113.66") -> list[tuple[str, bytes]]:
    return [(device, f"Nov 22 10:{(start + i) // 60 % 60:02d}:{(start + i) % 60:02d} {device} sshd[{900 + start + i}]: "
                     f"Invalid user u{start + i} from {src} port {40000 + start + i}".encode()) for i in range(n)]


def counted(db) -> int:
    """How many lines the invalid-user rule has counted, over every alert it raised."""
    return sum(r["conteo"] for r in alert_rows(db) if r["regla_id"] == RULE)


class DownDatabase(FailingDatabase):
    """Every transaction meets the outage (a long lock, a failover) while ``down`` is set."""

    def __init__(self, db, error: Exception) -> None:
        super().__init__(db, fail_at=1)
        self.down, self.error = True, error

    def transaction(self):
        if self.down:
            raise self.error
        return self._db.transaction()


def put(stream_name: str, lines: list[tuple[str, bytes]]) -> None:
    from chalicelib.pipeline.shipper import Shipper

    Shipper(stream=stream_name).send(lines)


@pytest.mark.parametrize("error", [sqlite3.OperationalError("database is locked"),
                                   sqlite3.DatabaseError("database disk image is malformed")],
                         ids=["locked", "malformed"])
def test_an_outage_past_the_retries_parks_with_data_and_a_redrive_counts_each_line_once(stream, db, monkeypatch,
                                                                                       error):
    from chalicelib.pipeline import ingest, redrive
    from chalicelib.pipeline.local_stream import LocalStream

    down = DownDatabase(db, error)
    monkeypatch.setattr(ingest, "get_db", lambda: down)
    put(stream["name"], invalid_users(40))
    ls = LocalStream(lambda ev, ctx: ingest.handle(ev), stream=stream["name"], max_retries=2, backoff=0)
    for _ in range(4):
        ls.poll_once()
    assert ls.stats["parked"] == 40 and counted(db) == 0  # the outage outlasted every retry

    down.down = False  # the database is back; later lines of the same device move its mark past the parked ones
    put(stream["name"], invalid_users(10, start=40))
    ls.poll_once()
    assert counted(db) == 10

    before = json.dumps(drain_copy(stream["dlq"]))
    result = redrive.run()
    assert result["records"] == 40 and result["committed"] == 40 and result["left_by_outage"] == 0
    assert counted(db) == 50  # every line once
    requeue(stream["dlq"], json.loads(before))  # the queue delivers the same messages again (at least once)
    again = redrive.run()
    assert again["already_committed"] == 40 and counted(db) == 50
    assert drain(stream["dlq"]) == []


def drain_copy(queue_url: str) -> list[dict]:
    """The queue's messages, left in the queue (visible again at once)."""
    from chalicelib import aws

    sqs, out = aws.client("sqs"), []
    handles = []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages")
        if not msgs:
            break
        out += [json.loads(m["Body"]) for m in msgs]
        handles += [m["ReceiptHandle"] for m in msgs]
    for h in handles:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=h, VisibilityTimeout=0)
    return out


def requeue(queue_url: str, bodies: list[dict]) -> None:
    from chalicelib import aws

    for b in bodies:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(b))


def test_a_redrive_stopped_by_an_outage_leaves_the_rest_parked(stream, db, monkeypatch):
    from chalicelib.pipeline import dlq, ingest, redrive

    for i, (dev, data) in enumerate(invalid_users(3)):
        dlq.park("retries exhausted (3) on the stream handler",
                 {"shard": "shardId-000000000000", "seq": str(1000 + i), "device": dev, "text": data.decode(),
                  "size": len(data)})
    down = DownDatabase(db, sqlite3.OperationalError("database is locked"))
    monkeypatch.setattr(ingest, "get_db", lambda: down)
    assert redrive.run()["left_by_outage"] == 1
    assert counted(db) == 0
    down.down = False
    result = redrive.run()  # the messages the outage stopped were handed back to the queue at once
    assert result["committed"] == 3 and counted(db) == 3 and drain(stream["dlq"]) == []


def test_a_producer_retry_after_a_timeout_counts_once(stream, db):
    """The SDK resends a batch whose answer it never got: the same data under new sequence numbers."""
    from chalicelib.pipeline import ingest
    from chalicelib.pipeline.shipper import Line, records

    lines = [Line("fd01-2a", i * 100, data + b"\n") for i, (_, data) in enumerate(invalid_users(25))]
    recs = list(records(lines, "srv-03", pack=1))
    put(stream["name"], recs)
    put(stream["name"], recs)  # the retry
    event = fetch_event(stream["name"])
    assert len(event["Records"]) == 50
    assert ingest.handle(event) == {"batchItemFailures": []}
    assert counted(db) == 25


def test_transient_errors_are_outages_and_bad_records_are_not():
    import botocore.exceptions as bex

    from chalicelib.db.connection import DatabaseUnavailable
    from chalicelib.pipeline.ingest import is_outage

    transient = [sqlite3.OperationalError("database is locked"), sqlite3.DatabaseError("database disk image is malformed"),
                 DatabaseUnavailable("gone"), ConnectionResetError(104, "reset"), TimeoutError("timed out"),
                 OSError(113, "No route to host"), bex.EndpointConnectionError(endpoint_url="http://x"),
                 bex.ReadTimeoutError(endpoint_url="http://x"), bex.ConnectTimeoutError(endpoint_url="http://x"),
                 bex.ClientError({"Error": {"Code": "ThrottlingException"}}, "PutItem"),
                 bex.ClientError({"Error": {"Code": "X"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "Get")]
    try:
        import pymysql

        transient += [pymysql.err.OperationalError(2013, "Lost connection"), pymysql.err.InterfaceError(0, "")]
    except ImportError:  # pragma: no cover
        pass
    transient += [sqlite3.OperationalError("database table is locked"), sqlite3.OperationalError("disk I/O error"),
                  sqlite3.OperationalError("unable to open database file")]
    permanent = [ValueError("bad"), KeyError("x"), sqlite3.IntegrityError("UNIQUE"), FileNotFoundError(2, "no"),
                 sqlite3.OperationalError("no such column: x"), sqlite3.OperationalError('near "SELEC": syntax error'),
                 bex.ClientError({"Error": {"Code": "ValidationException"},
                                  "ResponseMetadata": {"HTTPStatusCode": 400}}, "Put"), TypeError("t")]
    assert [type(e).__name__ for e in transient if not is_outage(e)] == []
    assert [type(e).__name__ for e in permanent if is_outage(e)] == []


class FlakyKinesis:
    """The real (moto) Kinesis behind an endpoint that is unreachable for the first ``down`` calls, and a process
    that is killed right after its ``kill_after``-th shipped batch (before it can save its position)."""

    def __init__(self, down: int = 0, kill_after: int | None = None) -> None:
        from chalicelib import aws

        self.k, self.down, self.kill_after, self.calls, self.shipped = aws.client("kinesis"), down, kill_after, 0, 0

    def put_records(self, **kw):
        import botocore.exceptions as bex

        self.calls += 1
        if self.calls <= self.down:
            raise bex.EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        out = self.k.put_records(**kw)
        self.shipped += 1
        if self.kill_after is not None and self.shipped == self.kill_after:
            raise KeyboardInterrupt  # killed before the position of this batch is saved
        return out


def test_a_shipper_waits_out_the_endpoint_and_resumes_after_a_kill_without_loss_or_double_count(stream, db,
                                                                                               tmp_path, capsys):
    from chalicelib.pipeline import ingest
    from chalicelib.pipeline.shipper import Position, Shipper, run_follow

    log, state = tmp_path / "auth.log", str(tmp_path / "state" / "shipper.json")
    log.write_bytes(b"".join(data + b"\n" for _, data in invalid_users(30)))
    idle = {"n": 0}

    def stop():  # end the tail once the file is shipped and idle
        idle["n"] += 1
        return idle["n"] > 3

    flaky = FlakyKinesis(down=3, kill_after=2)
    shipper = Shipper(stream=stream["name"], client=flaky, max_attempts=1)
    with pytest.raises(KeyboardInterrupt):  # 10 lines per batch: batch 2 shipped, then the process dies
        run_follow(shipper, str(log), "srv-03", 1, 0.0, Position(state), from_start=True, poll=0.01, stop=stop,
                   retry_s=0.01)
    assert "cannot ship yet" in capsys.readouterr().err and "Traceback" not in capsys.readouterr().err
    with open(log, "ab") as fh:  # lines written while the shipper is down
        fh.write(b"".join(data + b"\n" for _, data in invalid_users(20, start=30)))
    idle["n"] = 0
    run_follow(Shipper(stream=stream["name"]), str(log), "srv-03", 1, 0.0, Position(state), poll=0.01, stop=stop)
    event = fetch_event(stream["name"])
    assert ingest.handle(event) == {"batchItemFailures": []}
    assert counted(db) == 50  # nothing lost, the batch shipped twice across the kill counted once
    assert len(event["Records"]) > 50


def test_the_local_stream_stand_in_keeps_every_record_under_concurrent_writers(stream):
    """Sixteen producers at once (moto's own threaded server gave 15,874 distinct sequence numbers to 16,000
    acknowledged records here): every record has its own number and is read back."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib import aws

    def produce(w: int) -> list[str]:
        k = aws.client("kinesis")
        seqs = []
        for b in range(10):
            recs = [{"PartitionKey": f"dev-{w}", "Data": f"{w}-{b}-{i}".encode()} for i in range(100)]
            seqs += [r["SequenceNumber"] for r in k.put_records(StreamName=stream["name"], Records=recs)["Records"]]
        return seqs

    with ThreadPoolExecutor(16) as pool:
        acked = [s for seqs in pool.map(produce, range(16)) for s in seqs]
    k = aws.client("kinesis")
    shard = k.describe_stream(StreamName=stream["name"])["StreamDescription"]["Shards"][0]["ShardId"]
    it, got = k.get_shard_iterator(StreamName=stream["name"], ShardId=shard,
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"], []
    while True:
        resp = k.get_records(ShardIterator=it, Limit=10000)
        if not resp["Records"]:
            break
        got += [r["SequenceNumber"] for r in resp["Records"]]
        it = resp["NextShardIterator"]
    assert len(acked) == 16000 and len(set(acked)) == 16000
    assert sorted(got, key=int) == sorted(acked, key=int)


def test_the_local_stream_recovers_after_the_stand_in_restarts(stream, db):
    """A restarted stand-in holds a new stream numbered from 1: delivery reopens it, and the local stack forgets
    the old stream's marks, so its records are processed, not skipped as replays."""
    import threading

    from chalicelib import aws
    from chalicelib.local_stack import forget_stream_marks
    from chalicelib.pipeline import ingest
    from chalicelib.pipeline.local_stream import LocalStream

    put(stream["name"], invalid_users(5))
    ls = LocalStream(lambda ev, ctx: ingest.handle(ev), stream=stream["name"], backoff=0)
    ls.poll_once()
    assert counted(db) == 5
    k = aws.client("kinesis")  # the stand-in restarts: the same stream name, empty, numbered from 1 again
    k.delete_stream(StreamName=stream["name"])
    k.create_stream(StreamName=stream["name"], ShardCount=1)
    assert forget_stream_marks(db) == 1
    put(stream["name"], invalid_users(3, start=5))
    stop = threading.Event()
    worker = threading.Thread(target=ls.run, args=(stop, 0.05, 0.0))
    worker.start()
    deadline = time.time() + 10
    while counted(db) < 8 and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join()
    assert counted(db) == 8
