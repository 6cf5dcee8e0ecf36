"""Dashboard and ``GET /api/stats`` latency (p50/p95) on MariaDB with 100,000 incidents and 1,000,000 alerts:
the default view (served from the maintained snapshot), the cost of refreshing that snapshot, and filtered
periods computed live
(BENCH_MYSQL_URL or TEST_MYSQL_URL; the tables are emptied first), beside the bare ``SELECT COUNT(*)`` of the
alerts in the same period as a baseline. Sizes: BENCH_INCIDENTS, BENCH_ALERTS. Skipped without MariaDB.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
ALERTS = int(os.environ.get("BENCH_ALERTS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))


def fill(db) -> None:
    from chalicelib.catalogs import STATUSES

    rnd = random.Random(1)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    types = ["Malware", "Phishing", "Acceso no autorizado", "Fuga de datos", "Otro"]
    sevs = ["Baja", "Media", "Alta", "Crítica"]
    rows = []
    for i in range(INCIDENTS):
        created = now - timedelta(seconds=rnd.randint(0, 365 * 86400))
        status = rnd.choice(STATUSES)
        ack = rnd.randint(60, 86400) if status != "Abierto" else None
        cont = ack + rnd.randint(60, 86400) if ack and status in ("Contenido", "Resuelto", "Cerrado") else None
        res = cont + rnd.randint(60, 5 * 86400) if cont and status in ("Resuelto", "Cerrado") else None
        rows.append((f"Incident {i}", "bench", rnd.choice(types), rnd.choice(sevs), status, "analyst1",
                     created.strftime("%Y-%m-%d %H:%M:%S"), ack, cont, res))
        if len(rows) == 5000:
            _insert_incidents(db, rows)
            rows = []
    if rows:
        _insert_incidents(db, rows)
    rules = [(f"rule-{k}", f"Rule {k}", sevs[k % 4], json.dumps(["credential-access", f"T{1000 + k}"])) for k in range(60)]
    batch = []
    for i in range(ALERTS):
        rule = rules[min(int(rnd.expovariate(0.15)), 59)]
        seen = now - timedelta(seconds=rnd.randint(0, 365 * 86400))
        ent = f"source.ip=203.0.{rnd.randint(0, 40)}.{rnd.randint(1, 250)}"
        state = rnd.choice(["nueva", "nueva", "reconocida", "descartada", "escalada"])
        stamp = seen.strftime("%Y-%m-%d %H:%M:%S")
        batch.append((f"{i:040x}", rule[0], rule[1], rule[2], state, '{"source.ip": "x"}', ent, "dev", rule[3], "{}",
                      "[]", rnd.randint(1, 50), stamp, stamp))
        if len(batch) == 10000:
            _insert_alerts(db, batch)
            batch = []
    if batch:
        _insert_alerts(db, batch)


def _insert_incidents(db, rows) -> None:
    db.executemany("INSERT INTO incidentes (titulo, descripcion, tipo, severidad, estado, usuario_reporta, fecha_creacion, "
                   "seg_reconocer, seg_contener, seg_resolver) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)


def _insert_alerts(db, rows) -> None:
    db.executemany("INSERT INTO alertas (huella, regla_id, titulo, severidad, estado, entidad, entidad_clave, dispositivo, "
                   "tecnicas, explicacion, muestras, conteo, primera_vez, ultima_vez) VALUES "
                   "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)


def timed(fn, runs: int) -> dict:
    fn()  # warm
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(out, n=20)
    return {"p50_ms": round(statistics.median(out), 1), "p95_ms": round(q[18], 1)}


def main() -> None:
    url = os.environ.get("BENCH_MYSQL_URL") or os.environ.get("TEST_MYSQL_URL")
    if not url:
        print(json.dumps({"bench": "stats_mariadb", "skipped": "set BENCH_MYSQL_URL (or TEST_MYSQL_URL)"}))
        return
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": "bench-only", "SECURE_COOKIES": "0",
                       "AWS_DEFAULT_REGION": "eu-west-1"})
    from chalice.test import Client

    from app import app
    from chalicelib import auth, config, users
    from chalicelib.db import get_db, reset_db
    from chalicelib.db.migrations import migrate

    config.reset()
    reset_db()
    db = get_db()
    db.execute("SET FOREIGN_KEY_CHECKS = 0")
    for row in db.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"):
        db.execute(f"DROP TABLE IF EXISTS `{row['t']}`")
    db.execute("SET FOREIGN_KEY_CHECKS = 1")
    migrate(db)
    t0 = time.perf_counter()
    fill(db)
    from chalicelib import alert_rollup

    alert_rollup.rebuild(db)  # the rows were written behind the application's back: rebuild its daily rollup
    fill_s = time.perf_counter() - t0
    db.execute("ANALYZE TABLE incidentes, alertas")
    users.create("viewer1", "bench password 123", "viewer", actor="bench")
    user = users.by_name("viewer1")
    token = auth.issue_token(user)["token"]
    cookie = auth.new_session(users.get(user["id"]))
    since = (datetime.now(timezone.utc) - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    with Client(app) as client:
        def get(path, **headers):
            r = client.http.get(path, headers=headers)
            assert r.status_code == 200, r.body[:300]

        bearer = {"authorization": f"Bearer {token}"}
        month_ago = (datetime.now(timezone.utc) - timedelta(days=30)).strftime("%Y-%m-%d")
        year_ago = (datetime.now(timezone.utc) - timedelta(days=365)).strftime("%Y-%m-%d")
        from chalicelib import stats_snapshot

        baseline = timed(lambda: db.scalar("SELECT COUNT(*) AS n FROM alertas WHERE primera_vez >= %s", (since,)), RUNS)
        rows = {"bench": "stats_mariadb", "incidents": INCIDENTS, "alerts": ALERTS, "fill_s": round(fill_s, 1),
                "baseline_count_30d": baseline,
                "snapshot_refresh": timed(stats_snapshot.refresh, max(3, RUNS // 10)),
                "api_stats": timed(lambda: get("/api/stats", **bearer), RUNS),
                "dashboard": timed(lambda: get("/", cookie=f"ci_session={cookie}"), RUNS),
                "api_stats_30d_live": timed(lambda: get(f"/api/stats?date_from={month_ago}", **bearer), RUNS),
                "api_stats_365d_live": timed(lambda: get(f"/api/stats?date_from={year_ago}", **bearer),
                                             max(3, RUNS // 10))}
    rows["dashboard_vs_baseline"] = round(rows["dashboard"]["p95_ms"] / max(baseline["p95_ms"], 0.01), 1)
    rows["live_30d_vs_baseline"] = round(rows["api_stats_30d_live"]["p95_ms"] / max(baseline["p95_ms"], 0.01), 1)
    print(json.dumps(rows), flush=True)


if __name__ == "__main__":
    main()
