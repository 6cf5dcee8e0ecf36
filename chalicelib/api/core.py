"""Auth, incidents, history, catalogue and user endpoints of the JSON API."""
from __future__ import annotations

from typing import Any

from .. import audit, auth, catalogs, history, incidents, status, users
from ..errors import MethodNotAllowed, ValidationError
from ..web import http
from ..web.guard import api


def _id(value: Any) -> int:
    return http.path_id(value)  # one id rule everywhere: ASCII digits, 1 … 2**31-1


@api(None)
def health(_req: Any, _user: None) -> Any:
    """``GET /status``: public, each dependency's state; 503 when one is down."""
    body, code = status.check()
    return http.json_response(body, code)


@api(None)
def token(req: Any, _user: None) -> dict[str, Any]:
    data = http.json_body(req)
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ValidationError("Se requieren usuario y contraseña / username and password are required",
                              {"username": "required", "password": "required"})
    user = users.authenticate(username, password, http.client_ip(req))
    audit.record(user["nombre_usuario"], "token_emitido", None, http.client_ip(req))
    return auth.issue_token(user)


_OPENAPI: dict[str, Any] = {}


@api(None)
def openapi_doc(req: Any, _user: None, app: Any, routes_module: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 description, generated once per container from the routes."""
    if not _OPENAPI:
        from .openapi import document

        _OPENAPI.update(document(app, routes_module))
    return _OPENAPI


@api(None)
def use_post(req: Any, _user: None) -> dict[str, Any]:
    """A GET on a request that records something (a download, an export): never done by a GET, which a
    cross-site link or a prefetch could send in the user's name."""
    raise MethodNotAllowed("Use POST / Use POST: this request is recorded in the audit trail",
                           {"method": "POST", "path": http.current_path(req)})


@api("viewer")
def me(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return users.public(user)


@api("viewer")
def revoke_tokens(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    """Every API token of the caller stops working, the one of this request included (sessions stay)."""
    users.bump_token_version(user["id"])
    audit.record(user["nombre_usuario"], "tokens_revocados", None, http.client_ip(req))
    return {"revoked": True}


@api("viewer")
def list_incidents(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return incidents.search(http.query(req))


@api("analyst")
def create_incident(req: Any, user: dict[str, Any]) -> Any:
    return http.json_response(incidents.create(http.json_body(req), user["nombre_usuario"]), 201)


@api("viewer")
def get_incident(req: Any, user: dict[str, Any], incident_id: str) -> dict[str, Any]:
    return incidents.get(_id(incident_id))


@api("analyst")
def update_incident(req: Any, user: dict[str, Any], incident_id: str) -> dict[str, Any]:
    return incidents.update(_id(incident_id), http.json_body(req), user["nombre_usuario"])


@api("viewer")
def incident_history(req: Any, user: dict[str, Any], incident_id: str) -> dict[str, Any]:
    iid = _id(incident_id)
    incidents.get_row(iid)
    rows = [history.to_api(r) for r in history.for_incident(iid)]
    return {"items": rows, "total": len(rows), "page": 1, "per_page": len(rows)}


@api("viewer")
def global_history(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return history.search(http.query(req))


@api("viewer")
def list_catalogs(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return {"types": [{"value": e["valor"], "label_en": e["etiqueta_en"]} for e in catalogs.entries("tipo")],
            "severities": [{"value": e["valor"], "label_en": e["etiqueta_en"]} for e in catalogs.entries("severidad")],
            "statuses": [{"value": s, "label_en": catalogs.STATUS_EN[s]} for s in catalogs.STATUSES]}


@api("admin")
def add_catalog_value(req: Any, user: dict[str, Any]) -> Any:
    data = http.json_body(req)
    row = catalogs.add(str(data.get("category", "")), str(data.get("value", "")), data.get("label_en"),
                       user["nombre_usuario"])
    return http.json_response({"category": row["categoria"], "value": row["valor"], "label_en": row["etiqueta_en"]},
                              201)


@api("admin")
def list_users(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    rows = [users.public(u) for u in users.list_users()]
    return {"items": rows, "total": len(rows), "page": 1, "per_page": len(rows)}


@api("admin")
def create_user(req: Any, user: dict[str, Any]) -> Any:
    d = http.json_body(req)
    created = users.create(d.get("username") or "", d.get("password") or "", d.get("role") or "",
                           user["nombre_usuario"], d.get("language"))
    return http.json_response(users.public(created), 201)


@api("admin")
def update_user(req: Any, user: dict[str, Any], user_id: str) -> dict[str, Any]:
    d = http.json_body(req)
    active = d.get("active")
    if active is not None and not isinstance(active, bool):
        raise ValidationError("active debe ser booleano / active must be a boolean", {"active": "boolean"})
    return users.public(users.update(_id(user_id), user["nombre_usuario"], role=d.get("role"), active=active,
                                     password=d.get("password"), language=d.get("language")))
