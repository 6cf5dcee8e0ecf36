"""Response times and alert statistics against hand-computed figures (SQLite and MariaDB)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.integration.test_pipeline import sample_alert

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)  # a Monday


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def incident(db, title: str, severity: str, kind: str, moves: list[tuple[int, str, str]], created: float = 0) -> int:
    """An incident created at T0 + ``created`` whose status moved as ``moves`` says: (seconds, old, new)."""
    from chalicelib import metrics

    iid, _ = db.execute("INSERT INTO incidentes (titulo, descripcion, tipo, severidad, estado, usuario_reporta, "
                        "fecha_creacion) VALUES (%s, 'd', %s, %s, %s, 'analyst1', %s)",
                        (title, kind, severity, moves[-1][2] if moves else "Abierto", at(created)))
    db.execute("INSERT INTO historial (incidente_id, usuario, accion, fecha, campo, valor_nuevo) "
               "VALUES (%s, 'analyst1', 'creacion', %s, 'estado', 'Abierto')", (iid, at(created)))
    for secs, old, new in moves:
        db.execute("INSERT INTO historial (incidente_id, usuario, accion, fecha, campo, valor_anterior, valor_nuevo) "
                   "VALUES (%s, 'analyst1', 'cambio_estado', %s, 'estado', %s, %s)", (iid, at(created + secs), old, new))
    metrics.refresh(iid)
    return iid


def fixtures(db) -> None:
    incident(db, "I1", "Alta", "Malware", [(600, "Abierto", "En investigación"), (3600, "En investigación", "Contenido"),
                                           (7200, "Contenido", "Resuelto")])
    incident(db, "I2", "Alta", "Phishing", [(1200, "Abierto", "Contenido"), (2400, "Contenido", "Resuelto"),
                                            (3000, "Resuelto", "En investigación"),  # reopened
                                            (9000, "En investigación", "Resuelto")])
    incident(db, "I3", "Baja", "Malware", [(300, "Abierto", "En investigación")])
    incident(db, "I4", "Media", "Malware", [(100, "Abierto", "Resuelto"), (200, "Resuelto", "Abierto")])  # reopened, open


PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def test_response_times_match_hand_computed_figures(db):
    from chalicelib import stats

    fixtures(db)
    rt = stats.compute(PERIOD)["response_times"]
    # MTTA: 600, 1200, 300, 100 s; MTTC: 3600, 1200, 100 s; MTTR: 7200, 9000 s (I2 counts its final resolution)
    assert rt["mtta"]["n"] == 4 and rt["mtta"]["mean_s"] == 550.0 and rt["mtta"]["median_s"] == 450.0
    assert rt["mttc"]["n"] == 3 and rt["mttc"]["mean_s"] == round(4900 / 3, 1) and rt["mttc"]["median_s"] == 1200.0
    assert rt["mttr"]["n"] == 2 and rt["mttr"]["mean_s"] == 8100.0 and rt["mttr"]["median_s"] == 8100.0
    assert rt["mtta"]["by_severity"]["Alta"] == {"n": 2, "mean_s": 900.0, "median_s": 900.0}
    assert rt["mttr"]["by_type"] == {"Malware": {"n": 1, "mean_s": 7200.0, "median_s": 7200.0},
                                     "Phishing": {"n": 1, "mean_s": 9000.0, "median_s": 9000.0}}
    only_malware = stats.compute({**PERIOD, "type": "Malware"})["response_times"]["mtta"]
    assert only_malware["n"] == 3 and only_malware["median_s"] == 300.0


def test_a_live_reopen_clears_the_resolution_until_resolved_again(api, db):
    iid = api.as_role("analyst", "POST", "/api/incidents", {"title": "t", "description": "d", "type": "Otro",
                                                            "severity": "Media"}).json_body["id"]
    api.as_role("analyst", "PATCH", f"/api/incidents/{iid}", {"status": "Resuelto"})
    assert db.scalar("SELECT seg_resolver FROM incidentes WHERE id = %s", (iid,)) is not None
    api.as_role("analyst", "PATCH", f"/api/incidents/{iid}", {"status": "En investigación", "reason": "came back"})
    assert db.scalar("SELECT seg_resolver FROM incidentes WHERE id = %s", (iid,)) is None
    assert db.scalar("SELECT seg_reconocer FROM incidentes WHERE id = %s", (iid,)) is not None


def test_incident_counts_and_weekly_trend(db):
    from chalicelib import stats

    fixtures(db)
    incident(db, "I5", "Crítica", "Phishing", [], created=8 * 86400)  # the next week, still open
    s = stats.compute(PERIOD)["incidents"]
    assert s["created"] == 5
    assert s["open_by_severity"] == {"Baja": 1, "Media": 1, "Crítica": 1} and s["open"] == 3
    assert s["per_week_by_type"] == [{"week": "2026-03-02", "type": "Malware", "count": 3},
                                     {"week": "2026-03-02", "type": "Phishing", "count": 1},
                                     {"week": "2026-03-09", "type": "Phishing", "count": 1}]
    assert stats.compute({"date_from": "2027-01-01", "date_to": "2027-01-31"})["incidents"]["created"] == 0


def test_alert_statistics_rank_noisy_rules_and_entities(db):
    from chalicelib import alerts, stats

    ts = T0.timestamp()
    made = [sample_alert("noisy", {"source.ip": f"10.0.0.{i % 2}"}, "Baja", ts + i * 3600) for i in range(4)]
    made += [sample_alert("rare", {"user.name": "root"}, "Crítica", ts + 86400)]
    with db.transaction():
        ids = [c["id"] for c in alerts.store(made, [])]
    alerts.dismiss(ids[0], "false_positive", None, "analyst1")
    alerts.dismiss(ids[1], "benign", None, "analyst1")
    from chalicelib import incidents

    inc = incidents.create({"title": "t", "description": "d", "type": "Otro", "severity": "Alta"}, "analyst1")
    alerts.attach(ids[4], inc["id"], "analyst1")
    a = stats.compute(PERIOD)["alerts"]
    assert a["created"] == 5
    assert [(r["rule_id"], r["alerts"], r["dismissal_rate"], r["conversion_rate"]) for r in a["top_rules"]] == [
        ("noisy", 4, 0.5, 0.0), ("rare", 1, 0.0, 1.0)]
    assert a["per_day_by_severity"] == [{"day": "2026-03-02", "severity": "Baja", "count": 4},
                                        {"day": "2026-03-03", "severity": "Crítica", "count": 1}]
    assert a["attack_techniques"] == [{"technique": "T1110", "alerts": 5}]
    assert [(e["entity_key"], e["alerts"]) for e in a["top_entities"]] == [
        ("source.ip=10.0.0.0", 2), ("source.ip=10.0.0.1", 2), ("user.name=root", 1)]


def test_stats_api_validates_and_is_for_viewers(api, db):
    fixtures(db)
    r = api.as_role("viewer", "GET", "/api/stats?date_from=2026-03-01&date_to=2026-03-31&severity=Alta")
    assert r.status_code == 200 and r.json_body["response_times"]["mttr"]["n"] == 2
    bad = api.as_role("viewer", "GET", "/api/stats?date_from=yesterday&severity=Huge")
    assert bad.status_code == 400 and set(bad.json_body["error"]["details"]) == {"date_from", "severity"}
    backwards = api.as_role("viewer", "GET", "/api/stats?date_from=2026-03-31&date_to=2026-03-01")
    assert backwards.status_code == 400
    assert api.call("GET", "/api/stats").status_code == 401


def test_the_default_view_is_a_maintained_snapshot_and_filters_are_live(api, db):
    first = api.as_role("viewer", "GET", "/api/stats").json_body
    assert first["snapshot"] is True and first["incidents"]["created"] == 0
    api.as_role("analyst", "POST", "/api/incidents", {"title": "t", "description": "d", "type": "Otro",
                                                      "severity": "Baja"})
    assert api.as_role("viewer", "GET", "/api/stats").json_body["incidents"]["created"] == 0  # the snapshot
    assert api.as_role("viewer", "GET", "/api/stats?severity=Baja").json_body["incidents"]["created"] == 1  # live
    fresh = api.as_role("viewer", "GET", "/api/stats?refresh=1").json_body
    assert fresh["incidents"]["created"] == 1 and fresh["as_of"] >= first["as_of"]
    from chalicelib.pipeline import scheduled

    api.as_role("analyst", "POST", "/api/incidents", {"title": "t2", "description": "d", "type": "Otro",
                                                      "severity": "Baja"})
    scheduled.run(digest=False)  # the schedule keeps it current
    assert api.as_role("viewer", "GET", "/api/stats").json_body["incidents"]["created"] == 2


def test_the_daily_rollup_always_equals_a_rebuild_from_the_alerts(api, db):
    """Create, repeat (one repeat re-dates the alert a day earlier), silence, un-silence, triage: after each
    step the maintained rollup equals the one recomputed from ``alertas``."""
    from chalicelib import alert_rollup, alerts, suppressions

    def snapshot():
        return sorted((str(r["dia"])[:10], r["regla_id"], r["severidad"], r["estado"], int(r["silenciada"]),
                       int(r["alertas"]), int(r["eventos"])) for r in
                      db.query("SELECT * FROM resumen_alertas_dia WHERE alertas <> 0 OR eventos <> 0"))

    def check():
        kept = snapshot()
        alert_rollup.rebuild(db)
        assert kept == snapshot()

    ts = T0.timestamp() + 3600 * 2  # 11:00 on the Monday
    with db.transaction():
        ids = [c["id"] for c in alerts.store([sample_alert("r1", ts=ts), sample_alert("r2", {"user.name": "x"}, "Baja", ts)], [])]
    check()
    early = sample_alert("r1", ts=ts, count=3)
    early.first_seen = ts - 86400  # a late-arriving event from the day before, same fingerprint
    with db.transaction():
        alerts.store([early], [])
    check()
    sid = suppressions.create({"rule_id": "r3", "reason": "test", "hours": 1}, "analyst1")["id"]
    with db.transaction():
        alerts.store([sample_alert("r3", ts=ts)], suppressions.active())
    check()
    suppressions.lift(sid, "analyst1")
    with db.transaction():
        alerts.store([sample_alert("r3", ts=ts, count=2)], suppressions.active())
    check()
    alerts.acknowledge(ids[0], "analyst1")
    alerts.dismiss(ids[1], "benign", None, "analyst1")
    check()
    alerts.promote(ids[0], "analyst1")
    check()
