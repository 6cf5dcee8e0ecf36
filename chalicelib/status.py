"""``GET /status``: the state of each dependency, for load balancers and on-call scripts."""
from __future__ import annotations

import time
from typing import Any

from .config import get_settings
from .db import get_db


def check() -> tuple[dict[str, Any], int]:
    checks: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        get_db().scalar("SELECT 1 AS ok")
        checks["database"] = {"status": "ok", "engine": get_db().kind, "ms": round((time.perf_counter() - t0) * 1000, 1)}
    except Exception as exc:
        checks["database"] = {"status": "error", "error": type(exc).__name__}
    t0 = time.perf_counter()
    try:
        from .aws import client

        client("s3").head_bucket(Bucket=get_settings().evidence_bucket)
        checks["s3"] = {"status": "ok", "ms": round((time.perf_counter() - t0) * 1000, 1)}
    except Exception as exc:
        checks["s3"] = {"status": "error", "error": type(exc).__name__}
    ok = all(c["status"] == "ok" for c in checks.values())
    return {"status": "ok" if ok else "degraded", "checks": checks}, 200 if ok else 503
