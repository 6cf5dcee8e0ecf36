"""The Kinesis handler against a real moto server (Kinesis, S3, SNS, SQS) and SQLite / MariaDB."""
from __future__ import annotations

import gzip
import json
import time
import uuid

import pytest

from detectors.alerts import Alert, fingerprint

ATTACKER = "203.0.113.66"


def sample_alert(rule: str = "ci-test-rule", entity: dict | None = None, severity: str = "Alta", ts: float = 1.8e9,
                 count: int = 1) -> Alert:
    entity = entity or {"source.ip": ATTACKER}
    return Alert(rule_id=rule, title="Test alert", severity=severity, first_seen=ts, last_seen=ts, entity=entity,
                 attack=["credential-access", "T1110"], count=count, samples=[{"message": "x"}],
                 explanation={"summary": "because"}, device="srv-03", fingerprint=fingerprint(rule, entity, int(ts // 3600)))


def brute_force_lines(n: int, start: float, step: float = 1.0, src: str = ATTACKER) -> list[tuple[str, bytes]]:
    from detectors.simulate import _bsd

    return [("srv-03", f"{_bsd(start + i * step)} srv-03 sshd[{7000 + i}]: Failed password for root from {src} "
                       f"port {40000 + i % 20000} ssh2".encode()) for i in range(n)]


@pytest.fixture
def stream(db, monkeypatch):
    """A fresh stream, dead-letter queue and SNS subscription per test, so tests never read each other's data."""
    from chalicelib import aws, config

    name = f"test-{uuid.uuid4().hex[:8]}"
    k = aws.client("kinesis")
    k.create_stream(StreamName=name, ShardCount=1)
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    inbox = sqs.create_queue(QueueName=f"mail-{name}")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = aws.client("sns").create_topic(Name=f"topic-{name}")["TopicArn"]
    aws.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    monkeypatch.setenv("KINESIS_STREAM", name)
    monkeypatch.setenv("DLQ_URL", dlq)
    monkeypatch.setenv("SNS_TOPIC_ARN", topic)
    config.reset()
    yield {"name": name, "dlq": dlq, "inbox": inbox}
    monkeypatch.undo()
    config.reset()


def ship(lines: list[tuple[str, bytes]]) -> None:
    from chalicelib.pipeline.shipper import Shipper

    Shipper().send(lines)


def fetch_event(stream_name: str) -> dict:
    """Every record now in the stream as one Lambda event, exactly as the event source mapping builds it."""
    from chalicelib import aws
    from chalicelib.pipeline.local_stream import lambda_event

    k = aws.client("kinesis")
    shard = k.describe_stream(StreamName=stream_name)["StreamDescription"]["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName=stream_name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = k.get_records(ShardIterator=it, Limit=10000)["Records"]
    return lambda_event(shard, "arn:aws:kinesis:eu-west-1:123456789012:stream/" + stream_name, recs)


def drain(queue_url: str) -> list[dict]:
    from chalicelib import aws

    sqs, out = aws.client("sqs"), []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def alert_rows(db) -> list[dict]:
    return db.query("SELECT regla_id, huella, entidad_clave, conteo, primera_vez, ultima_vez FROM alertas ORDER BY huella")


def progress(db) -> dict[str, int]:
    return {r["clave"]: int(r["secuencia"]) for r in db.query("SELECT clave, secuencia FROM progreso_flujo")}


def archived(key_prefix: str = "logs/") -> dict[str, list[dict]]:
    from chalicelib import aws, config

    s3, bucket = aws.client("s3"), config.get_settings().logs_bucket
    out = {}
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=key_prefix).get("Contents", []):
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        out[obj["Key"]] = [json.loads(line) for line in body.splitlines()]
    return out


def test_records_become_archive_alerts_and_an_email(stream, db):
    from chalicelib.pipeline import ingest

    lines = brute_force_lines(30, 1.8e9) + [("srv-03", f"Jan 15 08:00:40 srv-03 sshd[7100]: Accepted password for root "
                                                      f"from {ATTACKER} port 50100 ssh2".encode())]
    ship(lines)
    event = fetch_event(stream["name"])
    assert ingest.handle(event) == {"batchItemFailures": []}
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    keys = [k for k in archived() if k.endswith(f"-{seqs[0]}-{seqs[-1]}.jsonl.gz")]
    assert len(keys) == 1 and "/hour=" in keys[0] and keys[0].startswith("logs/dt=")
    assert [line["data"].encode() for line in archived()[keys[0]]] == [data for _, data in lines]
    assert [line["seq"] for line in archived()[keys[0]]] == seqs

    rows = {(r["regla_id"], r["entidad_clave"]): r for r in alert_rows(db)}
    assert ("ci-anomaly-brute-force", f"source.ip={ATTACKER}") in rows
    mails = drain(stream["inbox"])
    subjects = [m["Subject"] for m in mails]
    assert any(s.startswith("[CyberIncident] HIGH: Authentication brute force") and ATTACKER in s for s in subjects)
    assert all(s.isascii() and len(s) < 100 for s in subjects)
    sent = db.query("SELECT message_id FROM notificaciones WHERE estado = 'enviada'")
    assert sent and {m["MessageId"] for m in mails} == {r["message_id"] for r in sent}


def test_the_same_batch_twice_changes_nothing(stream, db):
    from chalicelib.pipeline import ingest

    ship(brute_force_lines(25, 1.8e9))
    event = fetch_event(stream["name"])
    ingest.handle(event)
    first, keys = alert_rows(db), set(archived())
    mails = drain(stream["inbox"])
    assert first and mails
    assert ingest.handle(event) == {"batchItemFailures": []}
    assert alert_rows(db) == first
    assert set(archived()) == keys
    assert drain(stream["inbox"]) == []


class FailingDatabase:
    """The real database, whose connection is lost at the ``fail_at``-th transaction (an outage mid-batch)."""

    def __init__(self, db, fail_at: int) -> None:
        self._db, self.fail_at, self.n = db, fail_at, 0

    def __getattr__(self, name):
        return getattr(self._db, name)

    def transaction(self):
        from chalicelib.db.connection import DatabaseUnavailable

        self.n += 1
        if self.n >= self.fail_at:
            raise DatabaseUnavailable("(2013, 'Lost connection to server during query')")
        return self._db.transaction()


def test_database_down_mid_batch_redelivers_exactly_the_rest(stream, db, monkeypatch):
    from chalicelib import config, detector_state
    from chalicelib.pipeline import ingest

    monkeypatch.setenv("PIPELINE_CHUNK_RECORDS", "10")
    config.reset()
    ship(brute_force_lines(35, 1.8e9, step=2.0) + brute_force_lines(15, 1.8e9 + 80, src="198.51.100.7"))
    event = fetch_event(stream["name"])
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]

    ingest.handle(event)  # the reference: an undisturbed run
    reference = [(r["regla_id"], r["entidad_clave"], r["conteo"]) for r in alert_rows(db)]
    for table in ("alertas", "progreso_flujo", "estado_detectores", "notificaciones"):
        db.execute(f"DELETE FROM {table}")
    detector_state.reset()  # this container's mirror of the windows must forget them too

    failing = FailingDatabase(db, fail_at=3)  # chunks 1 and 2 commit, chunk 3 meets the outage
    monkeypatch.setattr(ingest, "get_db", lambda: failing)
    result = ingest.handle(event)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == seqs[20:]
    assert progress(db) == {"srv-03": int(seqs[19])}  # committed up to the 20th record, no further

    monkeypatch.setattr(ingest, "get_db", lambda: db)  # recovery: Lambda redelivers from the first failure
    redelivery = {"Records": [r for r in event["Records"] if r["kinesis"]["sequenceNumber"] in set(seqs[20:])]}
    assert ingest.handle(redelivery) == {"batchItemFailures": []}
    assert [(r["regla_id"], r["entidad_clave"], r["conteo"]) for r in alert_rows(db)] == reference
    assert progress(db) == {"srv-03": int(seqs[-1])}


def test_malformed_and_oversize_records_go_to_the_dead_letter_queue(stream, db, monkeypatch):
    from chalicelib import config
    from chalicelib.pipeline import ingest

    monkeypatch.setenv("MAX_RECORD_BYTES", "2000")
    config.reset()
    ship(brute_force_lines(12, 1.8e9) + [("srv-09", b"%%% this is not a log line %%%"), ("srv-09", b"x" * 3000)])
    event = fetch_event(stream["name"])
    event["Records"].append({**event["Records"][0], "kinesis": {**event["Records"][0]["kinesis"], "data": "@@not-base64@@",
                                                                "sequenceNumber": "99999999999999999999"}})
    assert ingest.handle(event) == {"batchItemFailures": []}
    parked = drain(stream["dlq"])
    reasons = sorted(p["reason"] for p in parked)
    assert len(parked) == 3
    assert any("exceeds the 2000-byte limit" in r for r in reasons)
    assert any("unrecognised format" in r for r in reasons)
    assert any("not valid base64" in r for r in reasons)
    assert any(p["data"] == "%%% this is not a log line %%%" and p["device"] == "srv-09" for p in parked)
    # the rest of the batch was processed: the brute force is there, every record is marked done
    assert any(r["regla_id"] == "ci-anomaly-brute-force" for r in alert_rows(db))
    assert progress(db) == {"srv-03": int(event["Records"][-1]["kinesis"]["sequenceNumber"]),
                            "srv-09": max(int(r["kinesis"]["sequenceNumber"]) for r in event["Records"]
                                          if r["kinesis"]["partitionKey"] == "srv-09")}
    assert ingest.handle(event) == {"batchItemFailures": []}
    assert drain(stream["dlq"]) == []  # a replay parks nothing twice

def test_a_thousand_failures_make_one_email_and_one_digest_entry(stream, db):
    from chalicelib import notify
    from chalicelib.pipeline import ingest

    ship(brute_force_lines(1000, 1.8e9, step=9.0))  # 2.5 hours: several windows, several hourly alerts
    assert ingest.handle(fetch_event(stream["name"])) == {"batchItemFailures": []}
    bf = [r for r in alert_rows(db) if r["regla_id"] == "ci-anomaly-brute-force"
          and r["entidad_clave"] == f"source.ip={ATTACKER}"]
    assert len(bf) >= 3  # one alert per hour bucket, each counting its repeats
    mails = [m for m in drain(stream["inbox"]) if ATTACKER in m["Subject"]]
    assert len(mails) == 1
    digest = notify.send_digest()
    assert digest is not None
    mails = drain(stream["inbox"])
    digests = [m for m in mails if m["Subject"].startswith("[CyberIncident] Digest")]
    assert len(digests) == 1
    lines = [ln for ln in digests[0]["Message"].splitlines() if f"source.ip={ATTACKER}" in ln]
    assert len(lines) == 1 and "ci-anomaly-brute-force" in lines[0] and f"{len(bf) - 1} alert(s)" in lines[0]
    assert notify.send_digest(force=True) is None  # nothing held back any more
    ship(brute_force_lines(40, 1.8e9 + 4 * 3600, step=9.0))  # the attack goes on: held back again…
    ingest.handle(fetch_event(stream["name"]))
    assert notify.send_digest() is None  # …but the next digest waits for the throttle window


def test_a_suppressed_rule_is_stored_but_neither_listed_nor_notified(stream, db, api):
    from chalicelib.pipeline import ingest

    r = api.as_role("analyst", "POST", "/api/suppressions",
                    {"rule_id": "ci-anomaly-brute-force", "entity_key": f"source.ip={ATTACKER}",
                     "reason": "pentest window", "hours": 2})
    assert r.status_code == 201, r.body
    ship(brute_force_lines(25, 1.8e9))
    ingest.handle(fetch_event(stream["name"]))
    assert not [m for m in drain(stream["inbox"]) if f"- source.ip={ATTACKER}" in m["Subject"]]
    listed = api.as_role("viewer", "GET", "/api/alerts?rule=ci-anomaly-brute-force").json_body["items"]
    assert all(a["entity_key"] != f"source.ip={ATTACKER}" for a in listed)
    hidden = api.as_role("viewer", "GET", "/api/alerts?rule=ci-anomaly-brute-force&suppressed=1").json_body["items"]
    assert any(a["suppressed"] and a["entity_key"] == f"source.ip={ATTACKER}" for a in hidden)
    hist = api.as_role("viewer", "GET", "/api/history?action=silencio_creado").json_body["items"]
    assert hist and "pentest window" in hist[0]["description"]


def test_local_stream_redelivers_failures_then_parks_them(stream, db):
    from chalicelib.pipeline.local_stream import LocalStream

    ship([("d1", f"line {i}".encode()) for i in range(6)])
    calls = []

    def handler(event, context):  # "line 4" and "line 5" always fail
        import base64

        calls.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in event["Records"]
                                      if base64.b64decode(r["kinesis"]["data"]) in (b"line 4", b"line 5")]}

    ls = LocalStream(handler, stream=stream["name"], max_retries=2, backoff=0)
    for _ in range(4):
        ls.poll_once()
    assert calls == [6, 2, 2]  # first delivery, two redeliveries from the failed record, then parked
    parked = drain(stream["dlq"])
    assert sorted(p["data"] for p in parked) == ["line 4", "line 5"]
    assert all("retries exhausted" in p["reason"] for p in parked)


def test_shipper_retries_only_the_records_a_partial_failure_names():
    from chalicelib.pipeline.shipper import Shipper

    class PartlyFailingKinesis:  # real Kinesis throttles under load; moto never does
        def __init__(self):
            self.calls = []

        def put_records(self, StreamName, Records):
            self.calls.append([r["Data"] for r in Records])
            if len(self.calls) == 1:
                return {"FailedRecordCount": 2, "Records": [
                    {"ErrorCode": "ProvisionedThroughputExceededException"} if i in (1, 3) else {"SequenceNumber": "1"}
                    for i in range(len(Records))]}
            return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "2"}] * len(Records)}

    fake = PartlyFailingKinesis()
    s = Shipper(stream="s", client=fake, base_delay=0.001)
    assert s.send([("d", f"r{i}".encode()) for i in range(5)]) == 5
    assert fake.calls[1] == [b"r1", b"r3"] and s.retried == 2


def test_shipper_splits_batches_at_500_records():
    from chalicelib.pipeline.shipper import Shipper

    class Kinesis:
        def __init__(self):
            self.sizes = []

        def put_records(self, StreamName, Records):
            self.sizes.append(len(Records))
            return {"FailedRecordCount": 0, "Records": [{}] * len(Records)}

    k = Kinesis()
    Shipper(stream="s", client=k).send([("d", b"x")] * 1201)
    assert k.sizes == [500, 500, 201]


def test_detector_state_survives_a_json_round_trip(db):
    from chalicelib import detector_state
    from chalicelib.detector_state import DbStateStore

    st = DbStateStore(db)
    with db.transaction():
        st.put("w:1", {"n": 3, "items": {"22": 1, "80": 1}}, now=100.0, ttl=60)
        st.flush()
    detector_state.reset()  # a new container: everything comes from the table
    fresh = DbStateStore(db)
    assert fresh.get("w:1", now=150.0) == {"n": 3, "items": {"22": 1, "80": 1}}
    assert fresh.get("w:1", now=161.0) is None  # expired at event time
    # another container changes the window: the next chunk's sync sees it without a full reload
    db.execute("UPDATE estado_detectores SET valor = %s, actualizado = %s, escritor = 'another-container' "
               "WHERE clave = 'w:1'",
               ('{"n": 9, "items": {}}', time.time()))
    assert DbStateStore(db).get("w:1", now=150.0) == {"n": 9, "items": {}}


def test_a_failed_chunk_leaves_no_window_ahead_of_the_alerts(db):
    from chalicelib.detector_state import DbStateStore

    st = DbStateStore(db)
    try:
        with db.transaction():
            st.put("w:2", {"n": 1}, now=100.0, ttl=60)
            st.flush()
            raise RuntimeError("database lost mid-chunk")
    except RuntimeError:
        st.discard()
    assert DbStateStore(db).get("w:2", now=120.0) is None



def test_each_batch_emits_emf_metrics_and_a_correlated_log_line(stream, db, capsys, monkeypatch):
    from chalicelib.pipeline import ingest

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "0")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    ship(brute_force_lines(12, 1.8e9) + [("srv-09", b"%%% not a log %%%")])
    event = fetch_event(stream["name"])
    capsys.readouterr()
    ingest.handle(event)
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(d for d in docs if "_aws" in d)
    names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"RecordsIn", "EventsIn", "ParseErrors", "RecordsToDLQ", "AlertsHigh", "EndToEndLatency"} <= names
    value = lambda v: sum(v) if isinstance(v, list) else v  # noqa: E731  (EMF may carry a list of values)
    assert value(emf["RecordsIn"]) == 13 and value(emf["RecordsToDLQ"]) == 1 and emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CyberIncident"
    log = next(d for d in docs if d.get("message") == "batch done")
    first = event["Records"][0]
    assert log["correlation_id"] == first["eventID"] and log["records"] == 13 and log["failed"] == 0


def test_archive_unavailable_fails_the_whole_batch_and_commits_nothing(stream, db, monkeypatch):
    from chalicelib import config
    from chalicelib.pipeline import ingest

    ship(brute_force_lines(12, 1.8e9))
    event = fetch_event(stream["name"])
    monkeypatch.setenv("LOGS_BUCKET", "no-such-bucket-here")
    config.reset()
    result = ingest.handle(event)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    assert progress(db) == {} and alert_rows(db) == []
    monkeypatch.delenv("LOGS_BUCKET")
    config.reset()
    assert ingest.handle(event) == {"batchItemFailures": []}  # redelivered once S3 is back: processed once
    assert progress(db) == {"srv-03": int(event["Records"][-1]["kinesis"]["sequenceNumber"])}


def test_the_schedule_reports_a_device_that_went_silent_once(stream, db):
    from chalicelib.pipeline import ingest, scheduled

    ship(brute_force_lines(12, 1.8e9, step=5.0))
    ingest.handle(fetch_event(stream["name"]))
    last = max(r["ultima_vez"] for r in alert_rows(db))
    from chalicelib.timeutil import parse

    silent_since = parse(last).timestamp()
    first = scheduled.run(now=silent_since + 3600)
    assert first["flatline_alerts"] == 1
    flat = [r for r in alert_rows(db) if r["regla_id"] == "ci-anomaly-flatline"]
    assert len(flat) == 1 and flat[0]["entidad_clave"] == "device=srv-03"
    assert any("Device stopped sending" in m["Subject"] for m in drain(stream["inbox"]))
    assert scheduled.run(now=silent_since + 7200)["flatline_alerts"] == 0  # said once, not every five minutes


def test_a_record_the_code_cannot_handle_is_parked_and_the_shard_goes_on(stream, db, monkeypatch):
    from detectors.anomaly import BruteForce

    from chalicelib.pipeline import ingest

    real = BruteForce.observe

    def buggy(self, event, state):  # a detector bug that only one record triggers, every time
        if "poison" in (event.get("message") or ""):
            raise KeyError("boom")
        return real(self, event, state)

    monkeypatch.setattr(BruteForce, "observe", buggy)
    lines = brute_force_lines(12, 1.8e9)
    lines.insert(5, ("srv-03", b"Jan 15 08:00:05 srv-03 sshd[1]: poison pill"))
    ship(lines)
    event = fetch_event(stream["name"])
    assert ingest.handle(event) == {"batchItemFailures": []}
    parked = drain(stream["dlq"])
    assert len(parked) == 1 and "processing error: KeyError" in parked[0]["reason"]
    assert "poison pill" in parked[0]["data"]
    assert any(r["regla_id"] == "ci-anomaly-brute-force" for r in alert_rows(db))  # the other 12 were processed
    assert progress(db) == {"srv-03": int(event["Records"][-1]["kinesis"]["sequenceNumber"])}


def test_hostile_fields_do_not_break_a_batch(stream, db):
    """A 300-character user name, a clock in the year 2999, and device names differing only in case."""
    from chalicelib.pipeline import ingest
    from detectors.simulate import _bsd

    long_user = "u" * 300
    lines = [("SRV-03", f"{_bsd(1.8e9 + i)} srv-03 sshd[1]: Failed password for {long_user} from 198.51.100.20 "
                        f"port 4000 ssh2".encode()) for i in range(25)]
    lines.insert(3, ("srv-03", json.dumps({"@timestamp": "2999-01-01T00:00:00Z", "message": "clock from the future",
                                            "host": {"name": "srv-03"}}).encode()))
    ship(lines)
    event = fetch_event(stream["name"])
    assert ingest.handle(event) == {"batchItemFailures": []}
    assert drain(stream["dlq"]) == []
    keys = {r["entidad_clave"] for r in alert_rows(db) if r["regla_id"] == "ci-anomaly-brute-force"}
    assert f"user.name={long_user}"[:255] in keys and "source.ip=198.51.100.20" in keys
    assert set(progress(db)) == {"srv-03", "SRV-03"}  # two devices, two marks, on MariaDB too


def test_a_notification_is_never_sent_twice_by_two_senders(stream, db, monkeypatch):
    from chalicelib import notify
    from chalicelib.pipeline import ingest

    ship(brute_force_lines(12, 1.8e9))
    monkeypatch.setattr(notify, "send_pending", lambda *a, **k: {})  # hold the outbox
    ingest.handle(fetch_event(stream["name"]))
    monkeypatch.undo()
    pending = db.scalar("SELECT COUNT(*) AS n FROM notificaciones WHERE estado = 'pendiente'")
    assert pending >= 1
    real_publish, inner = notify._publish, []

    def publish_while_another_container_runs(subject, body):
        inner.append(notify.send_pending())  # a second sender meanwhile: it must find the row claimed
        return real_publish(subject, body)

    monkeypatch.setattr(notify, "_publish", publish_while_another_container_runs)
    first = notify.send_pending()
    monkeypatch.undo()
    mails = drain(stream["inbox"])
    assert first["sent"] + sum(i.get("sent", 0) for i in inner) == pending == len(mails)
    assert len({m["Subject"] for m in mails}) == len(mails)


def test_a_lifted_silence_brings_a_continuing_attack_back(stream, db, api):
    from chalicelib.pipeline import ingest

    sid = api.as_role("analyst", "POST", "/api/suppressions", {"rule_id": "ci-anomaly-brute-force",
                                                               "reason": "maintenance", "hours": 1}).json_body["id"]
    ship(brute_force_lines(12, 1.8e9))
    ingest.handle(fetch_event(stream["name"]))
    assert api.as_role("viewer", "GET", "/api/alerts?rule=ci-anomaly-brute-force").json_body["total"] == 0
    drain(stream["inbox"])
    api.as_role("analyst", "DELETE", f"/api/suppressions/{sid}")
    ship(brute_force_lines(12, 1.8e9 + 60))  # same hour, same fingerprint: a repeat of the silenced alert
    ingest.handle(fetch_event(stream["name"]))
    listed = api.as_role("viewer", "GET", "/api/alerts?rule=ci-anomaly-brute-force").json_body["items"]
    assert listed and not any(a["suppressed"] for a in listed)
    assert any("Authentication brute force" in m["Subject"] for m in drain(stream["inbox"]))


def test_digest_lists_at_most_a_hundred_pairs(stream, db):
    from chalicelib import notify

    for i in range(150):
        db.execute("INSERT INTO notificaciones (tipo, estado, regla_id, entidad_clave, severidad, asunto, cuerpo) "
                   "VALUES ('alerta', 'retenida', 'r', %s, 'Alta', 's', 'b')", (f"source.ip=10.0.{i // 250}.{i % 250}",))
    out = notify.send_digest(force=True)
    assert out["held"] == 150 and out["groups"] == 150
    body = [m for m in drain(stream["inbox"]) if m["Subject"].startswith("[CyberIncident] Digest")][0]["Message"]
    assert body.count("\n- ") == 101 and "and 50 more" in body
    assert db.scalar("SELECT COUNT(*) AS n FROM notificaciones WHERE estado = 'retenida'") == 0


def test_ids_that_only_look_numeric_are_rejected_cleanly(api, db):
    assert api.as_role("viewer", "GET", "/api/alerts?incident_id=%C2%B2").status_code == 400
    assert api.as_role("analyst", "POST", "/api/alerts/1/attach", {"incident_id": "²"}).status_code in (400, 404)


def test_shipper_holds_partial_lines_and_reports_oversize_ones(tmp_path, capsys):
    from chalicelib.pipeline.shipper import follow, records

    skipped = []
    out = list(records([b"a\n", b"x" * (1024 * 1024 + 1) + b"\n", b"b\n"], "d", 1, skipped))
    assert out == [("d", b"a"), ("d", b"b")] and skipped == [2]
    assert "over Kinesis' 1 MiB record limit" in capsys.readouterr().err
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    gen = follow(str(log), poll=0.01)
    assert next(gen) is None  # started: tailing from the end of the (empty) file
    with open(log, "ab") as fh:
        fh.write(b"first half ")
        fh.flush()
        assert next(gen) is None  # nothing complete yet
        fh.write(b"second half\n")
    got = [g.data for g in (next(gen) for _ in range(3)) if g is not None]
    assert got == [b"first half second half\n"]
