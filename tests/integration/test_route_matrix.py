"""Every route × every role: no route can forget its permission check.

The expected minimum role per route is written here by hand; a new route fails the first test until it
is added, so the matrix cannot silently miss it.
"""
import pytest

from tests.conftest import DB_KINDS

ROLES = ["anonymous", "viewer", "analyst", "admin"]
RANK = {r: i for i, r in enumerate(ROLES)}
# (method, path, minimum role or None for public, kind)
ROUTES = [
    ("GET", "/status", None, "api"),
    ("GET", "/static/{name}", None, "page"),
    ("GET", "/login", None, "page"),
    ("POST", "/login", None, "page"),
    ("POST", "/logout", "viewer", "page"),
    ("POST", "/preferences", "viewer", "page"),
    ("GET", "/", "viewer", "page"),
    ("GET", "/incidents", "viewer", "page"),
    ("POST", "/incidents", "analyst", "page"),
    ("GET", "/incidents/new", "analyst", "page"),
    ("GET", "/incidents/{incident_id}", "viewer", "page"),
    ("POST", "/incidents/{incident_id}", "analyst", "page"),
    ("GET", "/history", "viewer", "page"),
    ("GET", "/incidents/{incident_id}/evidence/{evidence_id}/download", "viewer", "page"),
    ("POST", "/incidents/{incident_id}/evidence/{evidence_id}/download", "viewer", "page"),
    ("POST", "/incidents/{incident_id}/evidence/{evidence_id}", "analyst", "page"),
    ("GET", "/incidents/{incident_id}/custody.csv", "viewer", "page"),
    ("POST", "/incidents/{incident_id}/custody.csv", "viewer", "page"),
    ("GET", "/users", "admin", "page"),
    ("POST", "/users", "admin", "page"),
    ("GET", "/catalogs", "admin", "page"),
    ("POST", "/catalogs", "admin", "page"),
    ("POST", "/api/auth/token", None, "api"),
    ("GET", "/api/me", "viewer", "api"),
    ("POST", "/api/auth/revoke", "viewer", "api"),
    ("GET", "/api/openapi.json", None, "api"),
    ("GET", "/api/incidents", "viewer", "api"),
    ("POST", "/api/incidents", "analyst", "api"),
    ("GET", "/api/incidents/{incident_id}", "viewer", "api"),
    ("PATCH", "/api/incidents/{incident_id}", "analyst", "api"),
    ("GET", "/api/incidents/{incident_id}/history", "viewer", "api"),
    ("GET", "/api/history", "viewer", "api"),
    ("GET", "/api/catalogs", "viewer", "api"),
    ("POST", "/api/catalogs", "admin", "api"),
    ("GET", "/api/users", "admin", "api"),
    ("POST", "/api/users", "admin", "api"),
    ("PATCH", "/api/users/{user_id}", "admin", "api"),
    ("GET", "/api/incidents/{incident_id}/evidence", "viewer", "api"),
    ("POST", "/api/incidents/{incident_id}/evidence", "analyst", "api"),
    ("GET", "/api/incidents/{incident_id}/custody", "viewer", "api"),
    ("GET", "/api/evidence/{evidence_id}", "viewer", "api"),
    ("DELETE", "/api/evidence/{evidence_id}", "admin", "api"),
    ("POST", "/api/evidence/{evidence_id}/complete", "analyst", "api"),
    ("GET", "/api/evidence/{evidence_id}/download", None, "api"),  # 405: downloads are POSTs
    ("POST", "/api/evidence/{evidence_id}/download", "viewer", "api"),
    ("POST", "/api/evidence/{evidence_id}/verify", "analyst", "api"),
    ("GET", "/alerts", "viewer", "page"),
    ("GET", "/alerts/{alert_id}", "viewer", "page"),
    ("POST", "/alerts/{alert_id}", "analyst", "page"),
    ("POST", "/suppressions/{suppression_id}", "analyst", "page"),
    ("GET", "/notifications", "viewer", "page"),
    ("GET", "/api/alerts", "viewer", "api"),
    ("GET", "/api/alerts/{alert_id}", "viewer", "api"),
    ("PATCH", "/api/alerts/{alert_id}", "analyst", "api"),
    ("POST", "/api/alerts/{alert_id}/promote", "analyst", "api"),
    ("POST", "/api/alerts/{alert_id}/attach", "analyst", "api"),
    ("GET", "/api/suppressions", "viewer", "api"),
    ("POST", "/api/suppressions", "analyst", "api"),
    ("DELETE", "/api/suppressions/{suppression_id}", "analyst", "api"),
    ("GET", "/api/notifications", "viewer", "api"),
    ("GET", "/api/stats", "viewer", "api"),
    ("GET", "/api/exports/{kind}", None, "api"),  # 405: exports are POSTs
    ("POST", "/api/exports/{kind}", "viewer", "api"),
    ("GET", "/reports", "viewer", "page"),
    ("GET", "/reports/export", "viewer", "page"),
    ("POST", "/reports/export", "viewer", "page"),
    ("GET", "/incidents/{incident_id}/report", "viewer", "page"),
    ("GET", "/incidents/{incident_id}/report.pdf", "viewer", "page"),
    ("POST", "/incidents/{incident_id}/report.pdf", "viewer", "page"),
    ("GET", "/scans", "viewer", "page"),
    ("POST", "/scans", "analyst", "page"),
    ("GET", "/scans/{scan_id}", "viewer", "page"),
    ("POST", "/scans/{scan_id}", "analyst", "page"),
    ("GET", "/scans/{scan_id}/report", "viewer", "page"),
    ("GET", "/api/scans", "viewer", "api"),
    ("POST", "/api/scans", "analyst", "api"),
    ("GET", "/api/scans/rules", "viewer", "api"),
    ("GET", "/api/scans/{scan_id}", "viewer", "api"),
    ("POST", "/api/scans/{scan_id}/cancel", "analyst", "api"),
    ("POST", "/api/scans/{scan_id}/rerun", "analyst", "api"),
    ("GET", "/api/scans/{scan_id}/report", "viewer", "api"),
]


def test_matrix_lists_every_route_of_the_app():
    from app import app

    declared = {(m, path) for path, entry in app.routes.items() for m in entry}
    assert declared == {(m, p) for m, p, _, _ in ROUTES}


@pytest.fixture(scope="module", params=DB_KINDS)
def env(request, tmp_path_factory, moto_server):
    """One database and one set of users per backend for the whole matrix (argon2 is deliberately slow)."""
    from chalice.test import Client

    from app import app
    from chalicelib import auth, incidents
    from chalicelib.alerts import store as alerts_store
    from chalicelib.db import get_db, reset_db
    from chalicelib.db.migrations import migrate
    from tests.conftest import PASSWORD, Api, fresh_db_url, make_users, use_database

    use_database(fresh_db_url(request.param, tmp_path_factory.mktemp("matrix")))
    migrate(get_db())
    make_users(get_db())
    inc = incidents.create({"title": "t", "description": "d", "type": "Otro", "severity": "Baja"}, "test")
    from chalicelib import users

    sessions = {}
    with Client(app) as client:
        api = Api(client)
        for role in ("viewer", "analyst", "admin"):
            api.tokens[role] = api.login(f"{role}1", PASSWORD)
            user = users.get(users.by_name(f"{role}1")["id"])
            cookie = auth.new_session(user)
            nonce = auth.session_data(cookie)[1]
            sessions[role] = (cookie, auth.csrf_token(nonce))
        from chalicelib import evidence

        from chalicelib import aws, evidence_arrival, storage

        ev = evidence.request_upload(inc["id"], {"file_name": "a.txt", "size": 10}, "test")
        aws.client("s3").put_object(Bucket=storage.bucket(), Key=ev["key"], Body=b"log line\n")
        assert evidence_arrival.process(ev["key"]) == "stored"
        from chalicelib import suppressions
        from tests.integration.test_pipeline import sample_alert

        with get_db().transaction():
            alert_id = alerts_store([sample_alert()])[0]["id"]
        sid = suppressions.create({"rule_id": "x", "reason": "matrix", "hours": 1}, "test")["id"]
        scan_id, _ = get_db().execute(  # a finished scan with a report: every scan route has something to show
            "INSERT INTO escaneos (estado, desde, hasta, parametros, creado_por, informe_clave) VALUES "
            "('terminado', '2026-01-01 00:00:00', '2026-01-02 00:00:00', '{\"rules\": {\"mode\": \"all\"}}', "
            "'test', 'scans/matrix/report')")
        ids = {"incident_id": inc["id"], "user_id": users.by_name("viewer1")["id"], "evidence_id": ev["evidence_id"],
               "alert_id": alert_id, "suppression_id": sid, "scan_id": scan_id}
        yield api, sessions, ids
    reset_db()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,minimum,kind", ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_requires_its_role(env, method, path, minimum, kind, role):
    api, sessions, ids = env
    url = path.format(name="app.css", kind="incidents", **ids)
    headers = {}
    if kind == "api":
        if role != "anonymous":
            headers["authorization"] = f"Bearer {api.tokens[role]}"
        headers["content-type"] = "application/json"
        body = b"{}"
    else:
        headers["content-type"] = "application/x-www-form-urlencoded"
        body = b""
        if role != "anonymous":
            cookie, csrf = sessions[role]
            headers["cookie"] = f"ci_session={cookie}"
            body = f"csrf_token={csrf}".encode()
    if method == "POST" and path in ("/logout", "/preferences"):
        # these would end or change the shared session used by the other cases; authorisation is what we test
        body = body + b"&language=xx" if path == "/preferences" else body
    if method == "GET":  # browsers and scripts send no body or content type on GET
        headers.pop("content-type")
        body = b""
    r = api.client.http.request(method, url, headers=headers, body=body)
    allowed = minimum is None or (role != "anonymous" and RANK[role] >= RANK[minimum])
    if path == "/logout" and allowed:  # logout ended that role's sessions: give the next cases a fresh one
        from chalicelib import auth, users

        cookie = auth.new_session(users.get(users.by_name(f"{role}1")["id"]))
        sessions[role] = (cookie, auth.csrf_token(auth.session_data(cookie)[1]))
    if path == "/api/auth/revoke" and allowed:  # that role's tokens are revoked: a fresh one for the next cases
        api.tokens[role] = api.login(f"{role}1")
    if minimum is None:  # public: never asks to log in (POST /login still wants its own CSRF token)
        assert r.status_code != 401 and "/login" not in r.headers.get("Location", "")
    elif allowed:
        assert r.status_code not in (401, 403), (r.status_code, r.body[:200])
        if minimum is not None and kind == "page" and method == "GET":
            assert r.status_code == 200 or (r.status_code == 303 and "/login" not in r.headers["Location"])
    elif role == "anonymous":
        if kind == "api":
            assert r.status_code == 401 and b'"error"' in r.body
        else:
            assert r.status_code == 303 and "/login" in r.headers["Location"]
    else:
        assert r.status_code == 403, (r.status_code, r.body[:200])
        if kind == "api":
            assert b'"forbidden"' in r.body
