"""Settings from the environment, read once per container.

No secret has a default here: the database password comes from Secrets Manager or an IAM token in AWS,
and the local stack writes its own generated values under its data folder.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str
    db_secret_arn: str | None
    db_iam_auth: bool
    secret_key: str | None
    secret_key_arn: str | None
    secret_max_age_s: int
    evidence_bucket: str
    logs_bucket: str
    reports_bucket: str
    kinesis_stream: str
    sns_topic_arn: str | None
    dlq_url: str | None
    region: str
    base_path: str
    session_hours: int
    secure_cookies: bool
    default_language: str
    evidence_max_bytes: int
    evidence_retention_days: int
    multipart_threshold: int
    multipart_part_size: int
    public_url: str
    notify_min_severity: str
    notify_throttle_s: int
    max_record_bytes: int
    chunk_records: int
    stream_max_retries: int  # the local stream's retries of a failing batch before it parks the records
    stream_backoff_s: float  # its first backoff, doubled per retry
    stream_backoff_max_s: float
    db_lock_timeout_s: float  # how long a query waits for a lock before it is an outage (503, or a retry)
    record_id_window_s: int  # how long producer record ids are kept (a retry within it is dropped)
    record_id_ttl_s: int  # how long redriven records are remembered
    scan_launcher: str  # ecs (AWS) | local (a process beside the app, make run)
    ecs_cluster: str
    ecs_task_definition: str
    ecs_container: str
    ecs_subnets: tuple[str, ...]
    ecs_security_groups: tuple[str, ...]
    scan_max_days: int
    scan_progress_s: float
    scan_stale_s: int
    scan_start_timeout_s: int


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).lower() in ("1", "true", "yes", "on")


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ.get
    return Settings(
        database_url=env("DATABASE_URL", "sqlite:///.local/cyberincident.db"),
        db_secret_arn=env("DB_SECRET_ARN") or None,
        db_iam_auth=_flag("DB_IAM_AUTH"),
        secret_key=env("SECRET_KEY") or None,
        secret_key_arn=env("SECRET_KEY_ARN") or None,
        secret_max_age_s=int(env("SECRET_MAX_AGE_SECONDS", "300")),
        evidence_bucket=env("EVIDENCE_BUCKET", "cyberincident-evidence"),
        logs_bucket=env("LOGS_BUCKET", "cyberincident-logs"),
        reports_bucket=env("REPORTS_BUCKET", "cyberincident-reports"),
        kinesis_stream=env("KINESIS_STREAM", "cyberincident-events"),
        sns_topic_arn=env("SNS_TOPIC_ARN") or None,
        dlq_url=env("DLQ_URL") or None,
        region=env("AWS_REGION", env("AWS_DEFAULT_REGION", "eu-west-1")),
        base_path=env("BASE_PATH", "").rstrip("/"),
        session_hours=int(env("SESSION_HOURS", "8")),
        secure_cookies=_flag("SECURE_COOKIES", "1"),
        default_language=env("DEFAULT_LANGUAGE", "es"),
        evidence_max_bytes=int(env("EVIDENCE_MAX_BYTES", str(5 * 1024**3))),
        evidence_retention_days=int(env("EVIDENCE_RETENTION_DAYS", "0")),
        multipart_threshold=int(env("EVIDENCE_MULTIPART_THRESHOLD", str(100 * 1024**2))),
        multipart_part_size=int(env("EVIDENCE_PART_SIZE", str(64 * 1024**2))),
        public_url=env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        notify_min_severity=env("NOTIFY_MIN_SEVERITY", "Alta"),
        notify_throttle_s=int(env("NOTIFY_THROTTLE_SECONDS", "3600")),
        max_record_bytes=int(env("MAX_RECORD_BYTES", str(1024 * 1024))),
        chunk_records=int(env("PIPELINE_CHUNK_RECORDS", "500")),
        stream_max_retries=int(env("STREAM_MAX_RETRIES", "20")),
        stream_backoff_s=float(env("STREAM_BACKOFF_SECONDS", "1")),
        stream_backoff_max_s=float(env("STREAM_BACKOFF_MAX_SECONDS", "60")),
        db_lock_timeout_s=float(env("DB_LOCK_TIMEOUT_SECONDS", "5")),
        record_id_window_s=int(env("RECORD_ID_WINDOW_SECONDS", "3600")),
        record_id_ttl_s=int(env("RECORD_ID_TTL_SECONDS", str(8 * 86400))),
        scan_launcher=env("SCAN_LAUNCHER", "ecs" if env("AWS_LAMBDA_FUNCTION_NAME") else "local"),
        ecs_cluster=env("ECS_CLUSTER", "cyberincident"),
        ecs_task_definition=env("ECS_TASK_DEFINITION", "cyberincident-analyzer"),
        ecs_container=env("ECS_CONTAINER", "analyzer"),
        ecs_subnets=tuple(x for x in env("ECS_SUBNETS", "").split(",") if x),
        ecs_security_groups=tuple(x for x in env("ECS_SECURITY_GROUPS", "").split(",") if x),
        scan_max_days=int(env("SCAN_MAX_DAYS", "92")),
        scan_progress_s=float(env("SCAN_PROGRESS_SECONDS", "3")),
        scan_stale_s=int(env("SCAN_STALE_SECONDS", "300")),
        scan_start_timeout_s=int(env("SCAN_START_TIMEOUT_SECONDS", "900")),
    )


def reset() -> None:
    """Forget cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
