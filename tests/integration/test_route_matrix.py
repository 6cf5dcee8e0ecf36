"""Every route × every role: no route can forget its permission check.

Each route's minimum role is read from the guard its view calls (``guard.role_of``, as the OpenAPI document
reads it): a route whose view calls no guarded function fails the first test, and the matrix then checks, for
every role, that the route enforces what it declares. What must never be lowered is restated below on its own.
"""
import pytest

import app as app_module
from chalicelib.web.guard import role_of
from tests.conftest import DB_KINDS

ROLES = ["anonymous", "viewer", "analyst", "admin"]
RANK = {r: i for i, r in enumerate(ROLES)}


def _routes() -> list[tuple[str, str, object, str]]:
    """(method, path, minimum role or None for public, kind) for every route of the app."""
    out = []
    for path, methods in sorted(app_module.app.routes.items()):
        for method, entry in sorted(methods.items()):
            kind = "api" if path.startswith("/api/") or path == "/status" else "page"
            out.append((method, path, role_of(entry.view_function, vars(app_module)), kind))
    return out


ROUTES = _routes()
# Public on purpose: everything else needs at least a viewer.
PUBLIC = {("GET", "/status"), ("GET", "/static/{name}"), ("GET", "/login"), ("POST", "/login"),
          ("POST", "/api/auth/token"), ("GET", "/api/openapi.json"),
          ("GET", "/api/evidence/{evidence_id}/download"), ("GET", "/api/exports/{kind}")}  # 405: these are POSTs
# Accounts and catalogues are the administrator's alone; so is deleting evidence.
ADMIN_ONLY = {("GET", "/users"), ("POST", "/users"), ("GET", "/catalogs"), ("POST", "/catalogs"),
              ("POST", "/api/catalogs"), ("GET", "/api/users"), ("POST", "/api/users"), ("PATCH", "/api/users/{user_id}"),
              ("DELETE", "/api/evidence/{evidence_id}")}


def test_every_route_declares_its_role_through_the_guard():
    assert [(m, p) for m, p, role, _ in ROUTES if role is False] == []


def test_public_and_admin_routes_are_what_they_must_be():
    roles = {(m, p): role for m, p, role, _ in ROUTES}
    assert {k for k, role in roles.items() if role is None} == PUBLIC
    assert {k for k, role in roles.items() if role == "admin"} >= ADMIN_ONLY
    assert all(role in (None, "viewer", "analyst", "admin") for role in roles.values())
    # a state-changing request (the logout and preference forms aside) needs more than a viewer, or an admin
    viewer_writes = {(m, p) for (m, p), role in roles.items() if role == "viewer" and m in ("PATCH", "DELETE")}
    assert viewer_writes == set()


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
@pytest.mark.parametrize("method,path,minimum,kind", [r for r in ROUTES if r[2] is not False],
                         ids=[f"{m} {p}" for m, p, role, _ in ROUTES if role is not False])
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
