"""Warm handler latency of the incident list with 10,000 incidents, on SQLite and (if configured) MariaDB.

Baseline of the same run: the two SQL statements the handler issues (count + page), timed bare, so the
ratio shows what routing, auth, validation and JSON cost on top of the database.
MariaDB is used when BENCH_MYSQL_URL or TEST_MYSQL_URL is set (its tables are dropped and recreated).
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
N_INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "10000"))
N_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 2)


def seed(db) -> None:
    from chalicelib.db.migrations import migrate
    from chalicelib.timeutil import db_str
    from datetime import datetime, timedelta, timezone

    migrate(db)
    rnd = random.Random(7)
    types = ["Malware", "Phishing", "Acceso no autorizado", "Fuga de datos", "Otro"]
    sevs, states = ["Baja", "Media", "Alta", "Crítica"], ["Abierto", "En investigación", "Contenido", "Resuelto",
                                                          "Cerrado"]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    rows = []
    for i in range(N_INCIDENTS):
        ts = db_str(start + timedelta(minutes=50 * i))
        rows.append((f"Incidente {i} en host-{rnd.randint(1, 500)}", "Descripción " * 20, rnd.choice(types),
                     rnd.choice(sevs), rnd.choice(states), "bench", rnd.choice([None, "ana", "luis"]), ts, ts))
    for k in range(0, len(rows), 1000):
        db.executemany("INSERT INTO incidentes (titulo, descripcion, tipo, severidad, estado, usuario_reporta, "
                       "asignado_a, fecha_creacion, fecha_actualizacion) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       rows[k:k + 1000])


def measure(kind: str, url: str) -> dict:
    from tests.conftest import fresh_db_url, use_database, reset_mysql  # noqa: F401  (same setup as the tests)
    from chalice.test import Client

    from app import app
    from chalicelib import users
    from chalicelib.db import get_db

    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the list never touches AWS
    if kind == "mysql":
        reset_mysql(url)
    use_database(url)
    db = get_db()
    seed(db)
    users.create("benchuser", "bench-password-123", "viewer", actor="bench")
    cases = {"default": "/api/incidents", "filtered": "/api/incidents?status=Abierto&severity=Alta&sort=-created_at",
             "text": "/api/incidents?q=host-42&per_page=50"}
    out = {"bench": "incident_list_latency", "engine": kind, "incidents": N_INCIDENTS, "requests": N_REQUESTS}
    with Client(app) as client:
        tok = json.loads(client.http.post("/api/auth/token", headers={"content-type": "application/json"},
                                          body=json.dumps({"username": "benchuser",
                                                           "password": "bench-password-123"})).body)["token"]
        h = {"authorization": f"Bearer {tok}"}
        for name, path in cases.items():
            for _ in range(20):  # warm: connection, templates, caches
                client.http.get(path, headers=h)
            times = []
            for _ in range(N_REQUESTS):
                t0 = time.perf_counter()
                r = client.http.get(path, headers=h)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200
            out[f"{name}_p50_ms"], out[f"{name}_p95_ms"] = pct(times, 0.5), pct(times, 0.95)
    base = []
    for _ in range(N_REQUESTS):
        t0 = time.perf_counter()
        db.scalar("SELECT COUNT(*) AS n FROM incidentes")
        db.query("SELECT id, titulo, descripcion, tipo, severidad, estado, usuario_reporta, asignado_a, fecha_creacion, "
                 "fecha_actualizacion FROM incidentes ORDER BY fecha_creacion DESC, id DESC LIMIT 25 OFFSET 0")
        base.append(time.perf_counter() - t0)
    out["baseline_sql_p50_ms"] = pct(base, 0.5)
    out["default_p50_vs_sql"] = round(out["default_p50_ms"] / max(out["baseline_sql_p50_ms"], 1e-6), 2)
    return out


def main() -> None:
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")]
    mysql = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if mysql:
        targets.append(("mysql", mysql))
    else:
        print(json.dumps({"bench": "incident_list_latency", "engine": "mysql",
                          "skipped": "set BENCH_MYSQL_URL (scripts/start_mariadb.sh prints one)"}))
    for kind, url in targets:
        print(json.dumps(measure(kind, url)), flush=True)


if __name__ == "__main__":
    main()
