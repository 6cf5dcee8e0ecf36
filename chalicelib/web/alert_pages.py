"""Alert triage pages: the list (filters, grouped by entity), the detail with its actions, suppressions and
the notifications the security team was sent."""
from __future__ import annotations

from typing import Any

from .. import alerts, notify, suppressions, users
from ..errors import AppError, ValidationError
from . import http
from .guard import page
from .render import render

FILTERS = ("severity", "state", "rule", "entity", "device", "date_from", "date_to", "group", "page", "suppressed")


@page("viewer")
def alert_list(req: Any, ctx: dict[str, Any]) -> Any:
    q = {k: v for k, v in http.query(req).items() if v and k in FILTERS}
    try:
        result, errors = alerts.search(q), {}
    except ValidationError as err:
        result, errors = {"items": [], "total": 0, "page": 1, "per_page": 50}, err.details
    return render(req, ctx, "alerts.html", rows=result["items"], total=result["total"], q=q, errors=errors,
                  grouped=result.get("group") == "entity", states=list(alerts.STATES),
                  severities=alerts.SEVERITIES, counts=alerts.counts_by_state(),
                  silences=suppressions.search()["items"], **http.paging(result, "/alerts", q))


def _alert_id(alert_id: str) -> int:
    return http.path_id(alert_id, "Alerta no encontrada / Alert not found")


@page("viewer")
def alert_detail(req: Any, ctx: dict[str, Any], alert_id: str, errors: dict | None = None, status: int = 200) -> Any:
    alert = alerts.get(_alert_id(alert_id))
    analysts = [u["nombre_usuario"] for u in users.list_users() if u["activo"] and u["rol"] != "viewer"]
    return render(req, ctx, "alert_detail.html", status=status, a=alert, errors=errors or {}, analysts=analysts,
                  reasons=alerts.DISMISS_REASONS, done=http.query(req).get("done"))


@page("analyst")
def alert_action(req: Any, ctx: dict[str, Any], alert_id: str) -> Any:
    aid, f, actor = _alert_id(alert_id), http.form(req), ctx["user"]["nombre_usuario"]
    act = f.get("action")
    try:
        if act == "acknowledge":
            alerts.acknowledge(aid, actor)
        elif act == "assign":
            alerts.assign(aid, f.get("assignee") or None, actor)
        elif act == "dismiss":
            alerts.dismiss(aid, f.get("reason"), f.get("note"), actor)
        elif act == "promote":
            incident = alerts.promote(aid, actor)["incident"]
            return http.redirect(f"/incidents/{incident['id']}?from_alert={aid}")
        elif act == "attach":
            alerts.attach(aid, f.get("incident_id"), actor)
        elif act == "silence":
            a = alerts.get(aid)
            scope = f.get("scope", "rule_entity")
            suppressions.create({"rule_id": a["rule_id"] if scope in ("rule", "rule_entity") else None,
                                 "entity_key": a["entity_key"] if scope in ("entity", "rule_entity") else None,
                                 "reason": f.get("reason_text"), "hours": f.get("hours") or 24}, actor)
        else:
            raise ValidationError("Acción desconocida / Unknown action", {"action": "unknown"})
    except AppError as err:
        return alert_detail.__wrapped__(req, ctx, alert_id, errors={"action": err.message, **(err.details or {})},
                                        status=err.status)
    return http.redirect(f"/alerts/{aid}?done={act}")


@page("analyst")
def suppression_lift(req: Any, ctx: dict[str, Any], suppression_id: str) -> Any:
    sid = http.path_id(suppression_id, "Silencio no encontrado / Suppression not found")
    suppressions.lift(sid, ctx["user"]["nombre_usuario"])
    return http.redirect("/alerts?lifted=1")


@page("viewer")
def notifications_page(req: Any, ctx: dict[str, Any]) -> Any:
    q = {k: v for k, v in http.query(req).items() if v and k in ("state", "kind", "page")}
    try:
        result, errors = notify.search(q), {}
    except ValidationError as err:
        result, errors = {"items": [], "total": 0, "page": 1, "per_page": 50}, err.details
    return render(req, ctx, "notifications.html", rows=result["items"], total=result["total"], q=q, errors=errors,
                  **http.paging(result, "/notifications", q))
