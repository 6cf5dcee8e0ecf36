"""Pages as a browser sees them: login, CSRF, escaping, language, security headers."""
import re

from tests.conftest import PASSWORD

FORM = {"content-type": "application/x-www-form-urlencoded"}


def login(api, username: str, accept_language: str = "es") -> tuple[str, str]:
    """Log in through the form like a browser; return (cookie header, csrf token of the dashboard)."""
    c = api.client.http
    r = c.request("GET", "/login", headers={"accept-language": accept_language})
    pre = r.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.body.decode()).group(1)
    r = c.request("POST", "/login", headers={**FORM, "cookie": pre},
                  body=f"csrf_token={token}&username={username}&password={PASSWORD.replace(' ', '+')}&next=/incidents")
    assert r.status_code == 303 and r.headers["Location"] == "/incidents", r.body
    cookie = r.headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
    page = c.request("GET", "/", headers={"cookie": cookie, "accept-language": accept_language}).body.decode()
    return cookie, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_login_page_refuses_missing_csrf_and_bad_password(api):
    c = api.client.http
    r = c.request("POST", "/login", headers=FORM, body=f"username=admin1&password={PASSWORD}")
    assert r.status_code == 403 and "CSRF" in r.body.decode()
    r = c.request("GET", "/login")
    pre = r.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.body.decode()).group(1)
    r = c.request("POST", "/login", headers={**FORM, "cookie": pre}, body=f"csrf_token={token}&username=admin1&password=nope")
    assert r.status_code == 401 and "incorrectos" in r.body.decode()


def test_form_without_csrf_token_is_refused_and_nothing_is_stored(api):
    cookie, _ = login(api, "analyst1")
    r = api.client.http.request("POST", "/incidents", headers={**FORM, "cookie": cookie},
                                body="title=Sin+token&description=x&type=Otro&severity=Baja")
    assert r.status_code == 403
    assert api.as_role("viewer", "GET", "/api/incidents").json_body["total"] == 0


def test_script_in_title_is_escaped_everywhere(api):
    cookie, csrf = login(api, "analyst1")
    evil = '<script>alert("x")</script>'
    r = api.client.http.request("POST", "/incidents", headers={**FORM, "cookie": cookie},
                                body=f"csrf_token={csrf}&title=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E"
                                     "&description=d&type=Otro&severity=Baja")
    assert r.status_code == 303
    for path in ("/incidents", r.headers["Location"], "/history", "/"):
        body = api.client.http.request("GET", path, headers={"cookie": cookie}).body.decode()
        assert evil not in body
        assert "&lt;script&gt;" in body


def test_pages_are_spanish_by_default_and_english_on_request(api):
    api.as_role("analyst", "POST", "/api/incidents", {"title": "Caso uno", "description": "d", "type": "Malware",
                                                        "severity": "Alta"})
    cookie, _ = login(api, "viewer1")
    es = api.client.http.request("GET", "/incidents", headers={"cookie": cookie}).body.decode()
    assert "Incidentes" in es and "Título" in es and "Abierto" in es and "Caso uno" in es
    en = api.client.http.request("GET", "/incidents", headers={"cookie": cookie, "accept-language": "en-GB,en;q=0.9"})
    body = en.body.decode()
    assert "Incidents" in body and "Title" in body and ">Open<" in body and "High" in body


def test_security_headers_on_every_page(api):
    cookie, _ = login(api, "viewer1")
    for path in ("/login", "/", "/incidents"):
        h = api.client.http.request("GET", path, headers={"cookie": cookie}).headers
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"]


def test_status_change_from_the_page_and_reopen_needs_reason(api):
    cookie, csrf = login(api, "analyst1")
    iid = api.as_role("analyst", "POST", "/api/incidents", {"title": "Caso", "description": "d", "type": "Otro",
                                                              "severity": "Baja"}).json_body["id"]
    post = lambda body: api.client.http.request("POST", f"/incidents/{iid}", headers={**FORM, "cookie": cookie},  # noqa
                                                body=f"csrf_token={csrf}&form=status&" + body)
    assert post("status=Cerrado").status_code == 303
    r = post("status=Abierto&reason=")
    assert r.status_code == 400 and "motivo" in r.body.decode().lower()
    assert post("status=Abierto&reason=Reaparece").status_code == 303
    page = api.client.http.request("GET", f"/incidents/{iid}", headers={"cookie": cookie}).body.decode()
    assert "reapertura" in page and "Reaparece" in page


def test_logout_ends_the_session(api):
    cookie, csrf = login(api, "viewer1")
    r = api.client.http.request("POST", "/logout", headers={**FORM, "cookie": cookie}, body=f"csrf_token={csrf}")
    assert r.status_code == 303
    r = api.client.http.request("GET", "/incidents", headers={"cookie": cookie})
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
