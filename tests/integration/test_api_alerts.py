"""Alert triage through the JSON API: every action validated, recorded in the history, visible to viewers."""
from __future__ import annotations

from tests.integration.test_pipeline import ATTACKER, sample_alert


def stored(db, *alerts):
    from chalicelib import alerts as svc

    with db.transaction():
        return [c["id"] for c in svc.store(list(alerts), [])]


def test_repeats_raise_the_count_instead_of_adding_rows(db):
    from chalicelib import alerts as svc

    a = sample_alert(ts=1.8e9)
    (aid,) = stored(db, a)
    again = sample_alert(ts=1.8e9 + 120, count=4)
    assert stored(db, again) == []  # same fingerprint: no new row
    got = svc.get(aid)
    assert got["count"] == 5 and got["first_seen"] < got["last_seen"]
    assert db.scalar("SELECT COUNT(*) AS n FROM alertas") == 1


def test_list_filters_group_and_paginate(api, db):
    stored(db, sample_alert("r1", severity="Alta"), sample_alert("r2", severity="Baja"),
           sample_alert("r3", {"user.name": "root"}, severity="Crítica"))
    r = api.as_role("viewer", "GET", "/api/alerts?min_severity=Alta").json_body
    assert {a["rule_id"] for a in r["items"]} == {"r1", "r3"} and r["total"] == 2
    r = api.as_role("viewer", "GET", "/api/alerts?per_page=1&page=2").json_body
    assert len(r["items"]) == 1 and r["total"] == 3 and r["page"] == 2
    g = api.as_role("viewer", "GET", "/api/alerts?group=entity").json_body["items"]
    assert {(x["entity_key"], x["alerts"], x["max_severity"]) for x in g} == {
        (f"source.ip={ATTACKER}", 2, "Alta"), ("user.name=root", 1, "Crítica")}
    bad = api.as_role("viewer", "GET", "/api/alerts?severity=Huge&state=gone")
    assert bad.status_code == 400 and set(bad.json_body["error"]["details"]) == {"severity", "state"}
    assert api.as_role("viewer", "GET", "/api/alerts?entity=203.0.113").json_body["total"] == 2


def test_acknowledge_assign_dismiss_are_checked_and_recorded(api, db):
    aid, other = stored(db, sample_alert("r1"), sample_alert("r2"))
    r = api.as_role("analyst", "PATCH", f"/api/alerts/{aid}", {"state": "acknowledged", "assignee": "analyst1"})
    assert r.status_code == 200 and r.json_body["state"] == "acknowledged" and r.json_body["assignee"] == "analyst1"
    again = api.as_role("analyst", "PATCH", f"/api/alerts/{aid}", {"state": "acknowledged"})
    assert again.status_code == 409
    assert api.as_role("analyst", "PATCH", f"/api/alerts/{aid}", {"assignee": "viewer1"}).status_code == 400
    bad = api.as_role("analyst", "PATCH", f"/api/alerts/{other}", {"state": "dismissed", "reason": "boring"})
    assert bad.status_code == 400 and "reason" in bad.json_body["error"]["details"]
    ok = api.as_role("analyst", "PATCH", f"/api/alerts/{other}",
                     {"state": "dismissed", "reason": "false_positive", "note": "scanner of the SOC"})
    assert ok.json_body["state"] == "dismissed" and ok.json_body["dismiss_reason"] == "false_positive"
    hist = api.as_role("viewer", "GET", f"/api/alerts/{aid}").json_body["history"]
    assert [h["action"] for h in hist] == ["alerta_asignada", "alerta_reconocida"]
    assert all(h["user"] == "analyst1" and h["alert_id"] == aid for h in hist)
    glob = api.as_role("viewer", "GET", f"/api/history?alert_id={other}").json_body["items"]
    assert any("scanner of the SOC" in (h["description"] or "") for h in glob)
    assert api.as_role("analyst", "PATCH", f"/api/alerts/{aid}", {"colour": "red"}).status_code == 400


def test_promote_creates_a_linked_incident_in_one_call(api, db):
    (aid,) = stored(db, sample_alert("ci-anomaly-brute-force", severity="Alta"))
    r = api.as_role("analyst", "POST", f"/api/alerts/{aid}/promote")
    assert r.status_code == 201, r.body
    inc, alert = r.json_body["incident"], r.json_body["alert"]
    assert inc["severity"] == "Alta" and inc["type"] == "Acceso no autorizado" and inc["status"] == "Abierto"
    assert ATTACKER in inc["title"] and f"#{aid}" in inc["description"]
    assert alert["state"] == "escalated" and alert["incident_id"] == inc["id"]
    hist = api.as_role("viewer", "GET", f"/api/incidents/{inc['id']}/history").json_body["items"]
    assert "alerta_promovida" in [h["action"] for h in hist]
    assert api.as_role("analyst", "POST", f"/api/alerts/{aid}/promote").status_code == 409
    assert api.as_role("analyst", "PATCH", f"/api/alerts/{aid}",
                       {"state": "dismissed", "reason": "benign"}).status_code == 409
    listed = api.as_role("viewer", "GET", f"/api/alerts?incident_id={inc['id']}").json_body["items"]
    assert [a["id"] for a in listed] == [aid]


def test_attach_to_an_existing_incident(api, db):
    (aid,) = stored(db, sample_alert())
    inc = api.as_role("analyst", "POST", "/api/incidents", {"title": "Campaign", "description": "d", "type": "Otro",
                                                            "severity": "Media"}).json_body
    assert api.as_role("analyst", "POST", f"/api/alerts/{aid}/attach", {"incident_id": 999999}).status_code == 404
    assert api.as_role("analyst", "POST", f"/api/alerts/{aid}/attach", {"incident_id": "x"}).status_code == 400
    r = api.as_role("analyst", "POST", f"/api/alerts/{aid}/attach", {"incident_id": inc["id"]})
    assert r.status_code == 200 and r.json_body["incident_id"] == inc["id"] and r.json_body["state"] == "escalated"
    assert db.scalar("SELECT estado FROM alertas WHERE id = %s", (aid,)) == "escalada"


def test_unknown_alert_is_404_json(api, db):
    r = api.as_role("viewer", "GET", "/api/alerts/424242")
    assert r.status_code == 404 and "error" in r.json_body


def test_suppression_validation_and_lift(api, db):
    r = api.as_role("analyst", "POST", "/api/suppressions", {"reason": ""})
    assert r.status_code == 400 and {"rule_id", "reason"} <= set(r.json_body["error"]["details"])
    r = api.as_role("analyst", "POST", "/api/suppressions", {"rule_id": "r1", "reason": "noisy", "hours": 100000})
    assert r.status_code == 400 and "hours" in r.json_body["error"]["details"]
    sid = api.as_role("analyst", "POST", "/api/suppressions", {"rule_id": "r1", "reason": "noisy", "hours": 1}).json_body["id"]
    assert [s["id"] for s in api.as_role("viewer", "GET", "/api/suppressions").json_body["items"]] == [sid]
    assert api.as_role("analyst", "DELETE", f"/api/suppressions/{sid}").json_body["active"] is False
    assert api.as_role("viewer", "GET", "/api/suppressions").json_body["items"] == []
