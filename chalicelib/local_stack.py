"""``make run``: the whole system on one machine, in one process, on embedded defaults.

A moto server stands in for S3, Kinesis, SNS, SQS, CloudWatch and ECS; SQLite (or ``DATABASE_URL``) holds
the data; the Chalice app is served on http://127.0.0.1:8000. Ctrl-C stops everything cleanly.
"""
from __future__ import annotations

import argparse
import importlib
import os
import secrets
import signal
import socket
import sys
import threading
from pathlib import Path

from .bootstrap import write_private

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_dir(path: Path) -> Path:
    """The local data directory: 0700, and everything the process creates in it 0600 (umask 077)."""
    os.umask(0o077)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    for child in path.iterdir():  # an older .local/ made before this rule
        child.chmod(0o700 if child.is_dir() else 0o600)
    return path


def _secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def configure_env(data_dir: Path, moto_port: int) -> None:
    """Point every AWS client at the moto server; local values never leave this machine."""
    env = os.environ
    for key, value in (("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local"),
                       ("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_REGION", "eu-west-1")):
        env[key] = value
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"
    env.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'cyberincident.db'}")
    env.setdefault("SECRET_KEY", _secret(data_dir))
    env.setdefault("SECURE_COOKIES", "0")
    env["SCAN_LAUNCHER"] = "local"  # deep scans run as a process beside the app (ECS in AWS)
    env.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    env.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one JSON line per batch is for CloudWatch, not a console  # EMF lines would drown the console; set 0 to see them


def create_resources() -> None:
    from . import aws, config

    config.reset()
    aws.reset()
    s = config.get_settings()
    s3 = aws.client("s3")
    for bucket in (s.evidence_bucket, s.logs_bucket, s.reports_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s.region},
                         ObjectLockEnabledForBucket=bucket == s.evidence_bucket)  # as in AWS (infra/stack.py)
    s3.put_bucket_versioning(Bucket=s.evidence_bucket, VersioningConfiguration={"Status": "Enabled"})
    # Browsers upload evidence straight to the bucket from the app's origin (as in AWS, set by infra/).
    s3.put_bucket_cors(Bucket=s.evidence_bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT", "POST"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    aws.client("kinesis").create_stream(StreamName=s.kinesis_stream, ShardCount=1)
    os.environ["SNS_TOPIC_ARN"] = aws.client("sns").create_topic(Name="cyberincident-alerts")["TopicArn"]
    os.environ["DLQ_URL"] = aws.client("sqs").create_queue(QueueName="cyberincident-dlq")["QueueUrl"]
    config.reset()


def deliver_events(stop: threading.Event, interval: float = 1.0) -> None:
    """What EventBridge does in AWS: hand each new evidence object to the same handler."""
    import logging

    from .evidence_arrival import deliver_pending

    log = logging.getLogger("local_stack")
    while not stop.wait(interval):
        try:
            deliver_pending()
        except Exception:  # keep delivering; the next round retries
            log.exception("evidence delivery failed")


def forget_stream_marks(db: object) -> int:
    """The stand-in's stream is new at every start and numbers its records from 1 again: the marks the last run
    left would make every new record look like a replay (it would be skipped). Local data only."""
    return db.execute("DELETE FROM progreso_flujo")[1]  # type: ignore[attr-defined]


def start_pipeline(stop: threading.Event, app_module: object, simulate: bool, schedule_s: float) -> None:
    """Kinesis → the app's own ``stream_ingest`` handler (real event shape), the schedule, and the fleet."""
    import logging

    from .pipeline import fleet, scheduled
    from .pipeline.local_stream import LocalStream

    log = logging.getLogger("local_stack")
    stream = LocalStream(app_module.stream_ingest)  # type: ignore[attr-defined]
    threading.Thread(target=stream.run, args=(stop,), name="kinesis-delivery", daemon=True).start()

    def schedule() -> None:
        while not stop.wait(schedule_s):
            try:
                scheduled.run()
            except Exception:
                log.exception("scheduled work failed")
    threading.Thread(target=schedule, name="schedule", daemon=True).start()
    if simulate:
        threading.Thread(target=fleet.run, args=(stop,), name="device-fleet", daemon=True).start()
        print("simulated device fleet streaming to Kinesis; the attack script starts in 5 s "
              "(alerts at /alerts, emails at /notifications)", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make run", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--data-dir", default=os.environ.get("CYBERINCIDENT_DATA", str(ROOT / ".local")))
    p.add_argument("--moto-port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--simulate", action="store_true", help="stream simulated device logs (attacks included)")
    p.add_argument("--schedule-seconds", type=float, default=30.0,
                   help="how often the scheduled work (digest, flatline, retention) runs; 5 minutes in AWS")
    args = p.parse_args(argv)

    data_dir = private_dir(Path(args.data_dir).resolve())
    import logging

    from .local_moto import SerialMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines drown the app's output

    moto_port = args.moto_port or free_port()
    moto = SerialMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    configure_env(data_dir, moto_port)
    os.environ.setdefault("PUBLIC_URL", f"http://{args.host}:{args.port}")  # links in e-mails follow --port
    create_resources()

    from . import bootstrap, config
    from .db import get_db

    result = bootstrap.prepare()
    db = get_db()
    forget_stream_marks(db)
    print(f"database: {db.kind} ({config.get_settings().database_url.split('@')[-1]}); "
          f"migrations applied now: {result['migrations_applied'] or 'none (up to date)'}", flush=True)
    if result["admin_password_generated"]:
        pw_file = data_dir / "admin-password"
        write_private(pw_file, result["admin_password_generated"] + "\n")
        print(f"first admin created: user 'admin', password in {pw_file} (mode 0600; delete it once you have "
              "changed the password; set CYBERINCIDENT_ADMIN_PASSWORD to choose it)", flush=True)
    stop = threading.Event()
    threading.Thread(target=deliver_events, args=(stop,), name="event-delivery", daemon=True).start()

    sys.path.insert(0, str(ROOT))
    app_module = importlib.import_module("app")
    app = app_module.app
    start_pipeline(stop, app_module, args.simulate, args.schedule_seconds)
    from chalice.config import Config
    from chalice.local import create_local_server

    server = create_local_server(app, Config.create(chalice_stage="dev", app_name=app.app_name), args.host, args.port)

    def shutdown(*_: object) -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"CyberIncident on http://{args.host}:{args.port}  (moto on 127.0.0.1:{moto_port}; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        moto.stop()
        db.close()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
