"""Deep scan jobs end to end on a moto server and SQLite / MariaDB: launch through the API (ECS RunTask recorded
by moto, or a real local process), the analyzer job, findings deduplicated against the stream, the incident link,
the report in S3, the SNS summary, cancel, crash, a killed analyzer and a re-run."""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
import uuid

import pytest

from tests.integration.test_deepscan_archive import archive_batch, window
from tests.integration.test_pipeline import ATTACKER, brute_force_lines, drain, ship, stream  # noqa: F401


@pytest.fixture
def logs(stream, monkeypatch):
    """A logs bucket of this test's own: what a scan reads is only what this test archived."""
    from chalicelib import aws, config

    name = f"logs-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    monkeypatch.setenv("LOGS_BUCKET", name)
    monkeypatch.setenv("SCAN_PROGRESS_SECONDS", "0")
    config.reset()
    yield stream
    config.reset()


def counts(db) -> dict[str, int]:
    return {r["huella"]: int(r["conteo"]) for r in db.query("SELECT huella, conteo FROM alertas")}


def launch(api, role="analyst", **body):
    r = api.as_role(role, "POST", "/api/scans", body)
    assert r.status_code == 201, r.body
    return r.json_body


def run(scan_id: int) -> dict:
    from chalicelib import scans
    from chalicelib.deepscan import job

    assert job.run(scan_id, workers=1) in (0, 1)
    return scans.get(scan_id)


def test_a_scan_from_an_incident_finds_links_reports_and_notifies(logs, db, api):
    from chalicelib import alert_rollup, aws, config, history, incidents

    ship(brute_force_lines(30, 1.8e9))
    start, end = window(archive_batch(logs["name"]))
    streamed = counts(db)
    assert streamed  # the stream raised the brute force already
    bucket = config.get_settings().logs_bucket
    hour = aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"][0]["Key"].rsplit("/", 1)[0]
    aws.client("s3").put_object(Bucket=bucket, Key=f"{hour}/shardId-000000000009-1-2.jsonl.gz", Body=b"\x1f\x8bnot gzip")
    inc = incidents.create({"title": "SSH attack", "description": "d", "type": "Otro", "severity": "Alta"}, "analyst1")

    scan = launch(api, **{"from": start.isoformat(), "to": end.isoformat(), "indicators": {"ips": [ATTACKER]},
                          "incident_id": inc["id"]})
    assert scan["state"] == "queued" and scan["launcher"] == "ecs" and scan["task"].startswith("arn:aws:ecs:")
    task = aws.client("ecs").describe_tasks(cluster="cyberincident", tasks=[scan["task"]])["tasks"][0]
    assert task["overrides"]["containerOverrides"][0]["command"] == ["-m", "chalicelib.deepscan", "--scan-id",
                                                                      str(scan["id"])]

    done = run(scan["id"])
    assert done["state"] == "done" and done["error"] is None
    p = done["progress"]
    assert p["objects_done"] == p["objects_total"] == 2 and p["events"] == 30 and p["percent"] == 100.0
    assert [c["key"].rsplit("/", 1)[1] for c in done["summary"]["corrupt_objects"]] == ["shardId-000000000009-1-2.jsonl.gz"]
    by_rule = {a["rule_id"]: a for a in done["alerts"]}
    assert by_rule["ci-anomaly-brute-force"]["new"] is False  # the stream's alert, linked, not counted again
    assert by_rule["ci-deepscan-indicator"]["new"] is True and by_rule["ci-deepscan-indicator"]["origin"] == "deep scan"
    assert done["new_alerts"] == sum(a["new"] for a in done["alerts"]) >= 1
    assert {a["incident_id"] for a in done["alerts"]} == {inc["id"]}
    found = api.as_role("viewer", "GET", f"/api/alerts/{by_rule['ci-deepscan-indicator']['id']}").json_body
    assert found["scans"] == [scan["id"]]  # an alert says which scans found it
    assert all(counts(db)[fp] == n for fp, n in streamed.items())
    def rollup():
        return sorted(tuple(str(v) for v in r.values()) for r in
                      db.query("SELECT * FROM resumen_alertas_dia WHERE alertas <> 0 OR eventos <> 0"))
    kept = rollup()
    alert_rollup.rebuild(db)
    assert kept == rollup()  # the dashboard's daily counts moved with the escalations
    actions = [h["accion"] for h in history.for_incident(inc["id"])]
    assert {"escaneo_lanzado", "escaneo_terminado", "alertas_vinculadas"} <= set(actions)
    assert actions.count("alertas_vinculadas") == 1 and "alerta_escalada" not in actions  # one line, not 3 per alert

    link = api.as_role("viewer", "GET", f"/api/scans/{scan['id']}/report?format=json").json_body["url"]
    report = json.loads(urllib.request.urlopen(link).read())
    assert report["scan"]["id"] == scan["id"] and len(report["findings"]) == done["findings"]
    html_link = api.as_role("viewer", "GET", f"/api/scans/{scan['id']}/report?format=html").json_body["url"]
    page = urllib.request.urlopen(html_link).read().decode()
    assert f"deep scan #{scan['id']}" in page and ATTACKER in page and "<script" not in page

    mails = [m for m in drain(logs["inbox"]) if "Deep scan" in m.get("Subject", "")]
    assert len(mails) == 1 and mails[0]["Subject"].startswith(f"[CyberIncident] Deep scan #{scan['id']} done: ")
    assert ATTACKER in mails[0]["Message"] and f"/scans/{scan['id']}" in mails[0]["Message"]

    # the same scan again: the same alerts, none new, no count raised
    again = api.as_role("analyst", "POST", f"/api/scans/{scan['id']}/rerun", {}).json_body
    second = run(again["id"])
    assert second["state"] == "done" and second["new_alerts"] == 0
    assert {a["id"] for a in second["alerts"]} == {a["id"] for a in done["alerts"]}
    assert counts(db) == {**streamed, **{fp: n for fp, n in counts(db).items() if fp not in streamed}}
    assert db.scalar("SELECT COUNT(*) AS n FROM alertas") == len(counts(db))


def test_picked_rules_only_and_devices_filter(logs, db, api):
    ship(brute_force_lines(12, 1.8e9) + [("srv-03", b"Jan 15 09:00:00 srv-03 sshd[1]: Accepted password for root "
                                                    b"from 203.0.113.66 port 40000 ssh2")])
    start, end = window(archive_batch(logs["name"]))
    rules = api.as_role("viewer", "GET", "/api/scans/rules").json_body["items"]
    root = next(r["id"] for r in rules if r["title"] == "Successful SSH login as root")
    db.execute("DELETE FROM alertas")  # as if the rule had not been deployed when these logs streamed in
    scan = launch(api, **{"from": start.isoformat(), "to": end.isoformat(), "rules": "selected", "rule_ids": [root]})
    done = run(scan["id"])
    assert [a["title"] for a in done["alerts"]] == ["Successful SSH login as root"]  # no anomaly detector
    other = launch(api, **{"from": start.isoformat(), "to": end.isoformat(), "devices": ["no-such-device"]})
    assert run(other["id"])["findings"] == 0


def test_bad_requests_name_every_problem(api, db):
    r = api.as_role("analyst", "POST", "/api/scans", {"from": "yesterday", "to": "2026-01-01T00:00:00Z",
                                                      "indicators": {"ips": ["999.1.1.1"], "hashes": ["xyz"],
                                                                     "emails": ["a@b"]},
                                                      "rules": "some", "colour": "red"})
    assert r.status_code == 400
    assert {"from", "rules", "indicators.ips", "indicators.hashes", "indicators.emails", "colour"} <= set(
        r.json_body["error"]["details"])
    r = api.as_role("analyst", "POST", "/api/scans", {"from": "2026-01-10", "to": "2026-01-01"})
    assert r.status_code == 400 and r.json_body["error"]["details"] == {"to": "must be later than the start of the range"}
    r = api.as_role("analyst", "POST", "/api/scans", {"from": "2025-01-01", "to": "2026-01-01"})
    assert r.status_code == 400 and "at most" in r.json_body["error"]["details"]["to"]
    r = api.as_role("analyst", "POST", "/api/scans", {"from": "2026-01-01", "to": "2026-01-02", "rules": "selected",
                                                      "rule_ids": ["not-a-rule"]})
    assert r.status_code == 400 and "not-a-rule" in r.json_body["error"]["details"]["rule_ids"]
    r = api.as_role("analyst", "POST", "/api/scans", {"from": "2026-01-01", "to": "2026-01-02", "incident_id": 99999})
    assert r.status_code == 404
    assert db.scalar("SELECT COUNT(*) AS n FROM escaneos") == 0  # nothing recorded for a refused request
    assert api.as_role("viewer", "GET", "/api/scans?state=sleeping").status_code == 400


def test_an_empty_range_is_done_with_nothing_found(api, db, logs):
    scan = launch(api, **{"from": "2001-01-01T00:00:00Z", "to": "2001-01-01T06:00:00Z"})
    done = run(scan["id"])
    assert done["state"] == "done" and done["findings"] == 0 and done["progress"]["objects_total"] == 0


def test_cancel_a_queued_scan_and_a_running_one(logs, db, api, monkeypatch):
    from chalicelib import aws, scans
    from chalicelib.deepscan import job

    ship(brute_force_lines(12, 1.8e9))
    start, end = window(archive_batch(logs["name"]))
    body = {"from": start.isoformat(), "to": end.isoformat(), "indicators": {"ips": [ATTACKER]}}
    queued = launch(api, **body)
    r = api.as_role("analyst", "POST", f"/api/scans/{queued['id']}/cancel", {})
    assert r.status_code == 200 and r.json_body["state"] == "cancelled"
    task = aws.client("ecs").describe_tasks(cluster="cyberincident", tasks=[queued["task"]])["tasks"][0]
    assert task["lastStatus"] == "STOPPED"
    assert run(queued["id"])["state"] == "cancelled"  # a task that starts late finds it cancelled and does nothing
    assert api.as_role("analyst", "POST", f"/api/scans/{queued['id']}/cancel", {}).status_code == 409

    running = launch(api, **body)
    real = job.parallel.run

    def cancel_midway(*args, **kwargs):  # the analyst clicks Cancel while the archive is being read
        scans.cancel(running["id"], "analyst1")
        return real(*args, **kwargs)
    monkeypatch.setattr(job.parallel, "run", cancel_midway)
    before = db.scalar("SELECT COUNT(*) AS n FROM alertas")
    out = run(running["id"])
    assert out["state"] == "cancelled" and out["findings"] == 0 and out["alerts"] == []
    assert db.scalar("SELECT COUNT(*) AS n FROM alertas") == before  # the indicator hit was not stored


def test_a_crash_fails_the_scan_with_its_reason_and_stores_nothing(logs, db, api, monkeypatch):
    from chalicelib.deepscan import job

    ship(brute_force_lines(12, 1.8e9))
    start, end = window(archive_batch(logs["name"]))
    drain(logs["inbox"])
    before = db.scalar("SELECT COUNT(*) AS n FROM alertas")
    scan = launch(api, **{"from": start.isoformat(), "to": end.isoformat(), "indicators": {"ips": [ATTACKER]}})

    def broken(*_a, **_k):
        raise OSError("No space left on device")
    monkeypatch.setattr(job.report, "publish", broken)  # after the findings were written, inside the transaction
    out = run(scan["id"])
    assert out["state"] == "failed" and "No space left on device" in out["error"] and out["alerts"] == []
    assert db.scalar("SELECT COUNT(*) AS n FROM alertas") == before
    mails = [m for m in drain(logs["inbox"]) if "Deep scan" in m.get("Subject", "")]
    assert [m["Subject"] for m in mails] == [f"[CyberIncident] Deep scan #{scan['id']} failed"]
    assert "No space left on device" in mails[0]["Message"]


def test_the_schedule_fails_scans_whose_analyzer_died(logs, db, api):
    from chalicelib import aws, scans

    body = {"from": "2001-01-01T00:00:00Z", "to": "2001-01-01T01:00:00Z"}
    silent = launch(api, **body)  # ECS says it runs, but it stopped reporting an hour ago
    scans.claim(silent["id"])
    db.execute("UPDATE escaneos SET latido = '2001-01-01 00:00:00' WHERE id = %s", (silent["id"],))
    stopped = launch(api, **body)  # ECS stopped it (out of memory, spot reclaim…)
    scans.claim(stopped["id"])
    aws.client("ecs").stop_task(cluster="cyberincident", task=stopped["task"], reason="OutOfMemoryError: Container killed")
    healthy = launch(api, **body)
    scans.claim(healthy["id"])
    assert scans.check_dead() == {"failed": 2, "cancelled": 0}
    assert "stopped reporting progress" in scans.get(silent["id"])["error"]
    task = aws.client("ecs").describe_tasks(cluster="cyberincident", tasks=[silent["task"]])["tasks"][0]
    assert task["lastStatus"] == "STOPPED"  # a hung task judged dead does not run on
    assert "OutOfMemoryError" in scans.get(stopped["id"])["error"]
    assert scans.get(healthy["id"])["state"] == "running"
    assert scans.check_dead() == {"failed": 0, "cancelled": 0}  # judged once


def test_the_local_launcher_runs_the_analyzer_process_and_a_killed_one_is_caught(logs, db, api, monkeypatch, tmp_path):
    from chalicelib import config, scans
    from chalicelib.deepscan.launcher import LocalLauncher

    monkeypatch.setenv("SCAN_LAUNCHER", "local")
    monkeypatch.setenv("CYBERINCIDENT_DATA", str(tmp_path))  # where the analyzer's log goes
    config.reset()
    ship(brute_force_lines(12, 1.8e9))
    start, end = window(archive_batch(logs["name"]))
    scan = launch(api, **{"from": start.isoformat(), "to": end.isoformat(), "indicators": {"ips": [ATTACKER]}})
    assert scan["launcher"] == "local"
    LocalLauncher._procs[int(scan["task"])].wait(timeout=120)
    done = scans.get(scan["id"])
    assert done["state"] == "done", done["error"]
    assert "ci-deepscan-indicator" in {a["rule_id"] for a in done["alerts"]}

    doomed = launch(api, **{"from": start.isoformat(), "to": end.isoformat()})
    os.kill(int(doomed["task"]), signal.SIGKILL)
    LocalLauncher._procs[int(doomed["task"])].wait(timeout=30)
    assert scans.check_dead()["failed"] == 1
    assert scans.get(doomed["id"])["error"] == "the analyzer was killed by signal 9"


def test_two_workers_find_what_one_finds(db, logs):
    """Shards split over processes: the same findings, counts and figures, a beacon spanning shards included."""
    from chalicelib.deepscan import parallel, sample_archive
    from chalicelib.deepscan.archive_reader import list_objects
    from datetime import datetime, timezone
    from detectors.simulate import lines

    now = time.time()
    fleet = lines(3000, seed=11, start=now - 3600)
    beacon = [(f"fw-{i % 4}", f"CEF:0|Fortinet|FortiGate|7.2|13|traffic accept|3|src=10.0.3.77 dst=192.0.2.200 "
                              f"spt={40000 + i} dpt=443 act=accept out=2500 rt={int((now - 3000 + 300 * i) * 1000)}")
              for i in range(10)]  # one source, four firewalls (so several shards), every 5 minutes
    sample_archive.write(fleet + beacon, shards=4, arrival=now, per_object=500)
    start, end = datetime.fromtimestamp(now - 60, timezone.utc), datetime.fromtimestamp(now + 60, timezone.utc)
    objects = list_objects(start, end)
    spec = {"rules": {"mode": "all"}, "indicators": {"ips": [ATTACKER]}}
    one = parallel.run(spec, start, end, objects, workers=1)
    two = parallel.run(spec, start, end, objects, workers=2)
    assert two["workers"] == 2 and one["workers"] == 1
    assert (one["events"], one["records"], one["objects_done"]) == (two["events"], two["records"], two["objects_done"])
    summary = lambda out: sorted((a.fingerprint, a.count) for a in out["alerts"])  # noqa: E731
    assert summary(one) == summary(two)
    assert "ci-deepscan-beaconing" in {a.rule_id for a in two["alerts"]}


def test_a_failing_worker_fails_the_scan_at_once(db, logs):
    """One shard's object is gone (deleted under the scan): the worker's error stops every worker and surfaces."""
    from datetime import datetime, timezone

    from chalicelib.deepscan import parallel, sample_archive
    from chalicelib.deepscan.archive_reader import list_objects
    from detectors.simulate import lines

    now = time.time()
    sample_archive.write(lines(400, seed=2, start=now - 600), shards=3, arrival=now, per_object=100)
    start, end = datetime.fromtimestamp(now - 60, timezone.utc), datetime.fromtimestamp(now + 60, timezone.utc)
    objects = list_objects(start, end)
    objects.append({"key": objects[0]["key"].rsplit("/", 1)[0] + "/shardId-000000000007-1-2.jsonl.gz", "size": 10})
    with pytest.raises(Exception, match="NoSuchKey|Not Found|404"):
        parallel.run({"rules": {"mode": "all"}}, start, end, objects, workers=2)


def test_a_scan_from_an_incident_leaves_dismissed_alerts_alone(logs, db, api):
    from chalicelib import alerts, incidents

    ship(brute_force_lines(20, 1.8e9))
    start, end = window(archive_batch(logs["name"]))
    aid = db.query("SELECT id FROM alertas WHERE regla_id = 'ci-anomaly-brute-force' ORDER BY id")[0]["id"]
    alerts.dismiss(aid, "benign", "pen test", "analyst1")
    inc = incidents.create({"title": "t", "description": "d", "type": "Otro", "severity": "Alta"}, "analyst1")
    done = run(launch(api, **{"from": start.isoformat(), "to": end.isoformat(), "incident_id": inc["id"]})["id"])
    assert done["state"] == "done"
    after = alerts.get(aid)
    assert after["state"] == "dismissed" and after["incident_id"] is None  # the analyst's call stands


def test_times_as_browsers_and_people_type_them():
    from chalicelib.timeutil import parse

    assert parse("2026-05-01T10:00").isoformat() == "2026-05-01T10:00:00+00:00"  # datetime-local, no seconds
    assert parse("2026-05-01T10:00:00+02:00").isoformat() == "2026-05-01T08:00:00+00:00"
    assert parse("yesterday") is None
