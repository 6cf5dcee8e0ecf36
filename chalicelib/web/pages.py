"""HTML pages: login, dashboard, incidents, history, users and catalogues."""
from __future__ import annotations

import mimetypes
import secrets
from typing import Any

from chalice import Response

from .. import audit, auth, catalogs, custody, evidence, history, incidents, users
from ..errors import AppError, ValidationError
from . import http
from .guard import page
from .render import STATIC, render

LOGIN_NONCE = "ci_login"


def _login_nonce(req: Any) -> str:
    return http.cookies(req).get(LOGIN_NONCE) or ""


@page(None)
def login_form(req: Any, ctx: dict[str, Any], error: str | None = None, status: int = 200) -> Any:
    nonce = _login_nonce(req) or secrets.token_urlsafe(16)
    resp = render(req, ctx, "login.html", status=status, login_csrf=auth.csrf_token(nonce), error=error,
                  next=http.safe_next(http.query(req).get("next")))
    resp.headers["Set-Cookie"] = http.cookie_header(LOGIN_NONCE, nonce, 3600)
    return resp


@page(None)
def login_submit(req: Any, ctx: dict[str, Any]) -> Any:
    f = http.form(req)
    try:
        auth.check_csrf(_login_nonce(req), f.get("csrf_token"))
        user = users.authenticate(f.get("username", ""), f.get("password", ""), http.client_ip(req))
    except AppError as err:
        return login_form.__wrapped__(req, ctx, error=err.message, status=err.status)
    audit.record(user["nombre_usuario"], "inicio_sesion", None, http.client_ip(req))
    cookie = http.cookie_header(auth.SESSION_COOKIE, auth.new_session(user), http.get_settings().session_hours * 3600)
    return http.redirect(http.safe_next(f.get("next")), {"Set-Cookie": cookie})


@page("viewer")
def logout(req: Any, ctx: dict[str, Any]) -> Any:
    users.bump_session_version(ctx["user"]["id"])
    return http.redirect("/login", {"Set-Cookie": http.cookie_header(auth.SESSION_COOKIE, "", 0)})


@page("viewer")
def set_language(req: Any, ctx: dict[str, Any]) -> Any:
    lang = http.form(req).get("language")
    users.update(ctx["user"]["id"], ctx["user"]["nombre_usuario"], language=lang)
    return http.redirect(http.safe_next(http.form(req).get("next")))


@page("viewer")
def incident_list(req: Any, ctx: dict[str, Any]) -> Any:
    q = {k: v for k, v in http.query(req).items() if v}
    try:
        result = incidents.search(q)
        errors = {}
    except ValidationError as err:
        result, errors = {"items": [], "total": 0, "page": 1, "per_page": 25}, err.details
    return render(req, ctx, "incidents.html", result=result, q=q, errors=errors, **http.paging(result, "/incidents", q),
                  statuses=catalogs.STATUSES, types=catalogs.values("tipo"), severities=catalogs.values("severidad"),
                  assignees=_assignees())


def _assignees() -> list[str]:
    return [u["nombre_usuario"] for u in users.list_users() if u["activo"] and u["rol"] != "viewer"]


def _incident_form(req: Any, ctx: dict[str, Any], values: dict[str, Any], errors: dict[str, Any], status: int = 200):
    return render(req, ctx, "incident_new.html", values=values, errors=errors, status=status,
                  types=catalogs.values("tipo"), severities=catalogs.values("severidad"), assignees=_assignees())


@page("analyst")
def incident_new(req: Any, ctx: dict[str, Any]) -> Any:
    return _incident_form(req, ctx, {}, {})


@page("analyst")
def incident_create(req: Any, ctx: dict[str, Any]) -> Any:
    f = http.form(req)
    data = {k: f.get(k, "") for k in ("title", "description", "type", "severity", "assignee")}
    try:
        created = incidents.create(data, ctx["user"]["nombre_usuario"])
    except ValidationError as err:
        return _incident_form(req, ctx, data, err.details, status=400)
    return http.redirect(f"/incidents/{created['id']}")


def _detail(req: Any, ctx: dict[str, Any], incident_id: int, errors: dict[str, Any] | None = None,
            values: dict[str, Any] | None = None, status: int = 200, saved: bool = False) -> Any:
    inc = incidents.get(incident_id)
    timeline = [history.to_api(r) for r in history.for_incident(incident_id)]
    slot = None
    if ctx["user"]["rol"] in ("analyst", "admin"):
        slot = evidence.form_slot(incident_id, ctx["user"]["nombre_usuario"],
                                  http.absolute_url(req, f"/incidents/{incident_id}?evidence=received"))
    return render(req, ctx, "incident_detail.html", inc=inc, timeline=timeline, errors=errors or {},
                  evidence=evidence.list_for_incident(incident_id), custody=custody.for_incident(incident_id),
                  slot=slot, evidence_flag=http.query(req).get("evidence"),
                  values=values or inc, status=status, saved=saved,
                  transitions=catalogs.allowed_transitions(inc["status"]), types=catalogs.values("tipo"),
                  severities=catalogs.values("severidad"), assignees=_assignees())


def _int_id(value: str) -> int:
    return http.path_id(value, "Incidente no encontrado / Incident not found")


@page("viewer")
def incident_detail(req: Any, ctx: dict[str, Any], incident_id: str) -> Any:
    return _detail(req, ctx, _int_id(incident_id), saved=http.query(req).get("saved") == "1")



@page("analyst")
def incident_update(req: Any, ctx: dict[str, Any], incident_id: str) -> Any:
    iid = _int_id(incident_id)
    f = http.form(req)
    fields = ("status", "reason") if f.get("form") == "status" else ("title", "description", "type", "severity",
                                                                       "assignee")
    data = {k: f.get(k, "") for k in fields}
    try:
        incidents.update(iid, data, ctx["user"]["nombre_usuario"])
    except ValidationError as err:
        return _detail(req, ctx, iid, errors=err.details, values={**incidents.get(iid), **data}, status=400)
    return http.redirect(f"/incidents/{iid}?saved=1")


@page("viewer")
def history_page(req: Any, ctx: dict[str, Any]) -> Any:
    q = {k: v for k, v in http.query(req).items() if v and k != "per_page"}
    try:
        result, errors = history.search(q), {}
    except ValidationError as err:
        result, errors = {"items": [], "total": 0, "page": 1, "per_page": 50}, err.details
    return render(req, ctx, "history.html", rows=result["items"], total=result["total"], q=q, errors=errors,
                  actions=history.actions(), **http.paging(result, "/history", q))


@page("admin")
def users_page(req: Any, ctx: dict[str, Any], errors: dict | None = None, message: str | None = None,
               status: int = 200) -> Any:
    return render(req, ctx, "users.html", status=status, users=[users.public(u) for u in users.list_users()],
                  roles=users.ROLES, errors=errors or {}, message=message, audit=audit.recent(30))


@page("admin")
def users_submit(req: Any, ctx: dict[str, Any]) -> Any:
    f = http.form(req)
    actor = ctx["user"]["nombre_usuario"]
    try:
        if f.get("form") == "create":
            users.create(f.get("username", ""), f.get("password", ""), f.get("role", ""), actor,
                         f.get("language") or None)
        else:
            uid = _int_id(f.get("user_id", ""))
            users.update(uid, actor, role=f.get("role") or None, active=f.get("active") == "1",
                         password=f.get("password") or None)
    except AppError as err:
        return users_page.__wrapped__(req, ctx, errors=err.details or {}, message=err.message, status=err.status)
    return http.redirect("/users")


@page("admin")
def catalogs_page(req: Any, ctx: dict[str, Any], message: str | None = None, status: int = 200) -> Any:
    return render(req, ctx, "catalogs.html", status=status, message=message,
                  entries={c: catalogs.entries(c, include_inactive=True) for c in catalogs.CATEGORIES})


@page("admin")
def catalogs_submit(req: Any, ctx: dict[str, Any]) -> Any:
    f = http.form(req)
    try:
        if f.get("form") == "deactivate":
            catalogs.deactivate(_int_id(f.get("entry_id", "")), ctx["user"]["nombre_usuario"])
        else:
            catalogs.add(f.get("category", ""), f.get("value", ""), f.get("label_en") or None,
                         ctx["user"]["nombre_usuario"])
    except AppError as err:
        return catalogs_page.__wrapped__(req, ctx, message=err.message, status=err.status)
    return http.redirect("/catalogs")


@page(None)
def static_file(req: Any, ctx: dict[str, Any], name: str) -> Any:
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file() or name.startswith("."):
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain"})
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(body=path.read_text(encoding="utf-8"), status_code=200,
                    headers={"Content-Type": f"{ctype}; charset=utf-8", "Cache-Control": "public, max-age=86400"})
