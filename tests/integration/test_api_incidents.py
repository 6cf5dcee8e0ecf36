"""The JSON API as a script uses it: token, create, list, read, update, history, errors."""
import pytest

from tests.conftest import PASSWORD

NEW = {"title": "Phishing a contabilidad", "description": "Correo con enlace falso", "type": "Phishing",
       "severity": "Media"}


def test_full_lifecycle_is_recorded(api):
    r = api.as_role("analyst", "POST", "/api/incidents", {**NEW, "assignee": "analyst1"})
    assert r.status_code == 201
    inc = r.json_body
    assert inc["status"] == "Abierto" and inc["reported_by"] == "analyst1" and inc["assignee"] == "analyst1"
    iid = inc["id"]
    for status in ("En investigación", "Contenido", "Resuelto"):
        r = api.as_role("analyst", "PATCH", f"/api/incidents/{iid}", {"status": status})
        assert r.status_code == 200 and r.json_body["status"] == status
    r = api.as_role("analyst", "PATCH", f"/api/incidents/{iid}", {"status": "En investigación"})
    assert r.status_code == 400 and r.json_body["error"]["details"]["reason"]
    r = api.as_role("admin", "PATCH", f"/api/incidents/{iid}",
                    {"status": "En investigación", "reason": "Nuevos equipos afectados", "severity": "Alta"})
    assert r.status_code == 200 and r.json_body["severity"] == "Alta"
    hist = api.as_role("viewer", "GET", f"/api/incidents/{iid}/history").json_body["items"]
    steps = [(h["action"], h["old_value"], h["new_value"], h["user"]) for h in hist]
    assert steps[0][0] == "creacion"
    assert ("cambio_estado", "Abierto", "En investigación", "analyst1") in steps
    assert ("cambio_estado", "Contenido", "Resuelto", "analyst1") in steps
    assert ("reapertura", "Resuelto", "En investigación", "admin1") in steps
    assert ("modificacion", "Media", "Alta", "admin1") in steps
    assert all(h["at"] for h in hist)
    reopen = next(h for h in hist if h["action"] == "reapertura")
    assert reopen["description"] == "Nuevos equipos afectados"


def test_validation_names_every_bad_field(api):
    r = api.as_role("analyst", "POST", "/api/incidents",
                    {"title": "x" * 201, "description": "  ", "type": "Nope", "severity": "Extreme", "colour": 1})
    assert r.status_code == 400
    details = r.json_body["error"]["details"]
    assert set(details) == {"title", "description", "type", "severity", "colour"}
    r = api.as_role("analyst", "POST", "/api/incidents", "{not json")
    assert r.status_code == 400 and r.json_body["error"]["code"] == "validation_error"
    r = api.as_role("analyst", "POST", "/api/incidents", {**NEW, "assignee": "viewer1"})
    assert r.status_code == 400 and "assignee" in r.json_body["error"]["details"]
    assert api.as_role("viewer", "GET", "/api/incidents/999999").status_code == 404
    assert api.as_role("viewer", "GET", "/api/incidents/abc").status_code == 404
    r = api.as_role("analyst", "POST", "/api/incidents", NEW)
    r = api.as_role("analyst", "PATCH", f"/api/incidents/{r.json_body['id']}", {"status": "Bogus"})
    assert r.status_code == 400


def test_list_filters_sorting_and_pagination(api):
    specs = [("Malware", "Alta"), ("Malware", "Baja"), ("Phishing", "Crítica"), ("Otro", "Media"), ("Malware", "Media")]
    for n, (typ, sev) in enumerate(specs):
        api.as_role("analyst", "POST", "/api/incidents",
                    {"title": f"Caso {n} servidor", "description": "d", "type": typ, "severity": sev})
    r = api.as_role("viewer", "GET", "/api/incidents?type=Malware&per_page=2&page=1&sort=-severity").json_body
    assert r["total"] == 3 and r["per_page"] == 2 and r["page"] == 1
    assert [i["severity"] for i in r["items"]] == ["Alta", "Media"]
    r2 = api.as_role("viewer", "GET", "/api/incidents?type=Malware&per_page=2&page=2&sort=-severity").json_body
    assert [i["severity"] for i in r2["items"]] == ["Baja"]
    assert api.as_role("viewer", "GET", "/api/incidents?q=Caso%203").json_body["total"] == 1
    assert api.as_role("viewer", "GET", "/api/incidents?q=100%25").json_body["total"] == 0  # % is literal
    assert api.as_role("viewer", "GET", "/api/incidents?severity=Crítica").json_body["total"] == 1
    assert api.as_role("viewer", "GET", "/api/incidents?date_from=2000-01-01&date_to=2999-01-01").json_body["total"] == 5
    assert api.as_role("viewer", "GET", "/api/incidents?date_to=2000-01-01").json_body["total"] == 0
    bad = api.as_role("viewer", "GET", "/api/incidents?per_page=1000&sort=colour&date_from=yesterday")
    assert bad.status_code == 400 and set(bad.json_body["error"]["details"]) == {"per_page", "sort", "date_from"}


def test_auth_errors_are_json(api):
    r = api.call("POST", "/api/incidents", NEW)
    assert r.status_code == 401 and r.json_body["error"]["code"] == "unauthorized"
    r = api.as_role("viewer", "POST", "/api/incidents", NEW)
    assert r.status_code == 403 and r.json_body["error"]["details"]["required_role"] == "analyst"
    r = api.call("GET", "/api/incidents", token="forged.token.value")
    assert r.status_code == 401 and r.json_body["error"]["code"] == "invalid_token"


def test_login_is_throttled_after_repeated_failures(api):
    for _ in range(5):
        r = api.call("POST", "/api/auth/token", {"username": "analyst1", "password": "wrong password!"})
        assert r.status_code == 401
    r = api.call("POST", "/api/auth/token", {"username": "analyst1", "password": PASSWORD})
    assert r.status_code == 429 and r.headers.get("Retry-After")
    # another user is unaffected
    assert api.call("POST", "/api/auth/token", {"username": "viewer1", "password": PASSWORD}).status_code == 200


def test_role_change_revokes_tokens_and_users_are_admin_only(api):
    users = api.as_role("admin", "GET", "/api/users").json_body["items"]
    analyst = next(u for u in users if u["username"] == "analyst1")
    r = api.as_role("admin", "PATCH", f"/api/users/{analyst['id']}", {"role": "viewer"})
    assert r.status_code == 200 and r.json_body["role"] == "viewer"
    assert api.as_role("analyst", "GET", "/api/incidents").status_code == 401
    r = api.as_role("admin", "POST", "/api/users", {"username": "nuevo", "password": "short", "role": "analyst"})
    assert r.status_code == 400 and "password" in r.json_body["error"]["details"]
    r = api.as_role("admin", "POST", "/api/users", {"username": "nuevo", "password": PASSWORD, "role": "analyst"})
    assert r.status_code == 201
    r = api.as_role("admin", "POST", "/api/users", {"username": "nuevo", "password": PASSWORD, "role": "analyst"})
    assert r.status_code == 409
    admin = next(u for u in users if u["username"] == "admin1")
    r = api.as_role("admin", "PATCH", f"/api/users/{admin['id']}", {"active": False})
    assert r.status_code == 409  # the last admin cannot lock everyone out


def test_admin_extends_catalogue(api):
    r = api.as_role("admin", "POST", "/api/catalogs", {"category": "tipo", "value": "Ransomware", "label_en": "Ransomware"})
    assert r.status_code == 201
    r = api.as_role("analyst", "POST", "/api/incidents", {**NEW, "type": "Ransomware"})
    assert r.status_code == 201
    assert api.as_role("analyst", "POST", "/api/catalogs", {"category": "tipo", "value": "X"}).status_code == 403
    types = [t["value"] for t in api.as_role("viewer", "GET", "/api/catalogs").json_body["types"]]
    assert "Ransomware" in types


def test_global_history_filters(api):
    a = api.as_role("analyst", "POST", "/api/incidents", NEW).json_body
    api.as_role("admin", "PATCH", f"/api/incidents/{a['id']}", {"status": "Contenido"})
    r = api.as_role("viewer", "GET", "/api/history?user=admin1").json_body
    assert r["total"] == 1 and r["items"][0]["new_value"] == "Contenido"
    r = api.as_role("viewer", "GET", f"/api/history?incident_id={a['id']}&action=creacion").json_body
    assert r["total"] == 1 and r["items"][0]["incident_title"] == NEW["title"]


def test_status_reports_dependencies(api):
    r = api.call("GET", "/status")
    assert r.status_code == 200
    assert r.json_body["status"] == "ok"
    assert r.json_body["checks"]["database"]["status"] == "ok" and r.json_body["checks"]["s3"]["status"] == "ok"
