"""Alerts, suppressions and notifications in the JSON API."""
from __future__ import annotations

from typing import Any

from .. import alerts, notify, suppressions
from ..errors import ValidationError
from ..web import http
from ..web.guard import api
from .core import _id

PATCH_FIELDS = {"state", "reason", "note", "assignee"}


@api("viewer")
def list_alerts(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return alerts.search(http.query(req))


@api("viewer")
def get_alert(req: Any, user: dict[str, Any], alert_id: str) -> dict[str, Any]:
    return alerts.get(_id(alert_id))


@api("analyst")
def update_alert(req: Any, user: dict[str, Any], alert_id: str) -> dict[str, Any]:
    """``{"state": "acknowledged"}``, ``{"state": "dismissed", "reason": …, "note": …}``, ``{"assignee": …}``."""
    aid, data, actor = _id(alert_id), http.json_body(req), user["nombre_usuario"]
    unknown = set(data) - PATCH_FIELDS
    if unknown or not data:
        raise ValidationError("Campos no válidos / Invalid fields",
                              {f: "unknown field" for f in sorted(unknown)} or {"state": "state or assignee required"})
    out = None
    if "assignee" in data:
        out = alerts.assign(aid, data["assignee"], actor)
    state = data.get("state")
    if state == "acknowledged":
        out = alerts.acknowledge(aid, actor)
    elif state == "dismissed":
        out = alerts.dismiss(aid, data.get("reason"), data.get("note"), actor)
    elif state is not None:
        raise ValidationError("Estado no válido / Invalid state", {
            "state": "acknowledged or dismissed (use /promote or /attach to escalate)"})
    return out or alerts.get(aid)


@api("analyst")
def promote_alert(req: Any, user: dict[str, Any], alert_id: str) -> Any:
    body = http.json_body(req) if req.raw_body else {}
    return http.json_response(alerts.promote(_id(alert_id), user["nombre_usuario"], body), 201)


@api("analyst")
def attach_alert(req: Any, user: dict[str, Any], alert_id: str) -> dict[str, Any]:
    return alerts.attach(_id(alert_id), http.json_body(req).get("incident_id"), user["nombre_usuario"])


@api("viewer")
def list_suppressions(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return suppressions.search(include_expired=http.query(req).get("all") in ("1", "true"))


@api("analyst")
def create_suppression(req: Any, user: dict[str, Any]) -> Any:
    return http.json_response(suppressions.create(http.json_body(req), user["nombre_usuario"]), 201)


@api("analyst")
def lift_suppression(req: Any, user: dict[str, Any], suppression_id: str) -> dict[str, Any]:
    return suppressions.lift(_id(suppression_id), user["nombre_usuario"])


@api("viewer")
def list_notifications(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return notify.search(http.query(req))


@api("viewer")
def get_stats(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    from .. import stats_snapshot

    return stats_snapshot.for_params(http.query(req))


@api("viewer")
def create_export(req: Any, user: dict[str, Any], kind: str) -> dict[str, Any]:
    """``POST /api/exports/{kind}`` with ``{"format": "csv"|"json", "date_from": …}`` (or the same in the query
    string) → a short-lived link to the file in S3; the export is a line in the history."""
    from .. import exports

    q = http.query(req)
    if req.raw_body:
        q.update({k: v for k, v in http.json_body(req).items() if isinstance(v, (str, int))})
    return exports.create(kind, str(q.pop("format", "csv")), {k: str(v) for k, v in q.items()}, user["nombre_usuario"])
