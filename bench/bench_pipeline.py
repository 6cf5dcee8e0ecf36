"""The Kinesis handler end to end (decode, parse, archive to S3, detect, alert writes, outbox) in batches of
1,000 records, on SQLite and (with BENCH_MYSQL_URL or TEST_MYSQL_URL) MariaDB, beside detection alone on the
same corpus; then the latency from PutRecords to the alert row under the local stack (p50/p95).
"""
from __future__ import annotations

import base64
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LINES = int(os.environ.get("BENCH_PIPELINE_LINES", "20000"))
BATCH = 1000


def setup_aws() -> object:
    from chalicelib.local_moto import SerialMotoServer

    from chalicelib import local_stack

    port = local_stack.free_port()
    server = SerialMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1",
                       "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                       "SECRET_KEY": "bench-only", "POWERTOOLS_METRICS_DISABLED": "1",
                       "POWERTOOLS_LOG_LEVEL": "WARNING"})
    local_stack.create_resources()
    return server


def use_db(url: str) -> None:
    from chalicelib import config
    from chalicelib.db import get_db, reset_db
    from chalicelib.db.migrations import migrate

    os.environ["DATABASE_URL"] = url
    config.reset()
    reset_db()
    if url.startswith("mysql"):
        db = get_db()
        db.execute("SET FOREIGN_KEY_CHECKS = 0")
        for row in db.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"):
            db.execute(f"DROP TABLE IF EXISTS `{row['t']}`")
        db.execute("SET FOREIGN_KEY_CHECKS = 1")
    migrate(get_db())


def events_for(data: list[tuple[str, str]], start_seq: int) -> list[dict]:
    now = time.time()
    out = []
    for b in range(0, len(data), BATCH):
        recs = []
        for i, (dev, line) in enumerate(data[b:b + BATCH]):
            seq = str(start_seq + b + i)
            recs.append({"kinesis": {"partitionKey": dev, "sequenceNumber": seq, "approximateArrivalTimestamp": now,
                                     "data": base64.b64encode(line.encode()).decode()},
                         "eventSource": "aws:kinesis", "eventID": f"shardId-000000000000:{seq}"})
        out.append({"Records": recs})
    return out


def handler_throughput(kind: str, url: str, data: list[tuple[str, str]]) -> dict:
    from chalicelib.db import get_db
    from chalicelib.pipeline import ingest

    use_db(url)
    ingest.detector()  # built once per container, outside the timing
    batches = events_for(data, 10 ** 6)
    t0 = time.perf_counter()
    failures = sum(len(ingest.handle(ev)["batchItemFailures"]) for ev in batches)
    secs = time.perf_counter() - t0
    db = get_db()
    alerts = int(db.scalar("SELECT COUNT(*) AS n FROM alertas") or 0)
    t0 = time.perf_counter()
    replay = sum(len(ingest.handle(ev)["batchItemFailures"]) for ev in batches[:5])  # replays: marks only
    replay_secs = time.perf_counter() - t0
    return {"bench": f"pipeline_handler_{kind}", "records": len(data), "batch": BATCH, "handler_eps": int(len(data) / secs),
            "per_batch_ms": round(secs / len(batches) * 1000, 1), "alerts": alerts, "failures": failures + replay,
            "replayed_batch_ms": round(replay_secs / 5 * 1000, 1)}


def latency(samples: int = 20) -> dict:
    from chalicelib import aws, config
    from chalicelib.db import get_db
    from chalicelib.pipeline import ingest
    from chalicelib.pipeline.local_stream import LocalStream
    from detectors.simulate import _bsd

    use_db(f"sqlite:///{tempfile.mkdtemp()}/latency.db")
    ingest.detector()
    stop = threading.Event()
    stream = LocalStream(lambda ev, ctx: ingest.handle(ev), start="LATEST")
    threading.Thread(target=stream.run, args=(stop,), daemon=True).start()
    k, name, db, out = aws.client("kinesis"), config.get_settings().kinesis_stream, get_db(), []
    for i in range(samples):
        ip = f"192.0.2.{i + 1}"
        line = f"{_bsd(time.time())} srv-01 sshd[{900 + i}]: Accepted password for root from {ip} port 5000 ssh2"
        t0 = time.perf_counter()
        k.put_records(StreamName=name, Records=[{"PartitionKey": "srv-01", "Data": line.encode()}])
        while not db.scalar("SELECT COUNT(*) AS n FROM alertas WHERE entidad_clave LIKE %s", (f"%source.ip={ip}|%",)):
            if time.perf_counter() - t0 > 30:
                raise SystemExit(f"no alert for {ip} within 30 s")
            time.sleep(0.005)
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.2)
    stop.set()
    q = statistics.quantiles(out, n=20)
    return {"bench": "pipeline_latency_local_stack", "samples": samples, "p50_ms": round(statistics.median(out), 1),
            "p95_ms": round(q[18], 1), "poll_interval_ms": 500}


def main() -> None:
    from detectors.parsers import parse_line
    from detectors.pipeline import Detector
    from detectors.simulate import lines as simulated

    server = setup_aws()
    try:
        data = simulated(LINES, seed=5, start=time.time() - 3600)
        det = Detector()
        events = [e for dev, ln in data for e in parse_line(ln, device=dev)]
        t0 = time.perf_counter()
        det.process(events)
        detect = int(len(events) / (time.perf_counter() - t0))
        print(json.dumps({"bench": "pipeline_detection_only", "events": len(events), "detect_eps": detect}), flush=True)
        rows = [handler_throughput("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db", data)]
        mysql = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
        if mysql:
            rows.append(handler_throughput("mariadb", mysql, data))
        else:
            print(json.dumps({"bench": "pipeline_handler_mariadb", "skipped": "set BENCH_MYSQL_URL"}), flush=True)
        for row in rows:
            row["vs_detection_only"] = round(row["handler_eps"] / detect, 3)
            print(json.dumps(row), flush=True)
        print(json.dumps(latency()), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
