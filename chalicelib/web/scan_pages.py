"""Deep scan pages: the list with the launch form (also reached from an incident), one scan's live progress,
findings and report links, cancel and re-run."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Response

from .. import incidents, scans
from ..deepscan import report
from ..errors import AppError, NotFound, ValidationError
from ..history import as_id
from ..timeutil import parse, utcnow
from . import http
from .guard import page
from .render import render

SCAN_NOT_FOUND = "Escaneo no encontrado / Scan not found"


def _list(req: Any, ctx: dict[str, Any], form: dict[str, Any], errors: dict[str, Any], status: int = 200) -> Any:
    q = {k: v for k, v in http.query(req).items() if v and k in ("state", "incident_id", "page")}
    try:
        result = scans.search(q)
    except ValidationError as err:
        result, errors = {"items": [], "total": 0, "page": 1, "per_page": 25}, {**errors, **err.details}
    return render(req, ctx, "scans.html", status=status, rows=result["items"], total=result["total"], q=q, form=form,
                  errors=errors, rules=scans.rule_catalogue(), states=list(scans.STATES),
                  **http.paging(result, "/scans", q))


@page("viewer")
def scan_list(req: Any, ctx: dict[str, Any]) -> Any:
    """From an incident, the form is filled in: the incident, and its day before creation up to now."""
    q = http.query(req)
    form: dict[str, Any] = {"incident_id": q.get("incident_id", ""), "rules": "all"}
    iid = as_id(q.get("incident_id") or "")
    try:
        created = parse(incidents.get_row(iid)["fecha_creacion"]) if iid else None
    except NotFound:
        created = None
    if created:
        form["from"] = (created - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
        form["to"] = utcnow().strftime("%Y-%m-%dT%H:%M:%S")
    return _list(req, ctx, form, {})


@page("analyst")
def scan_launch(req: Any, ctx: dict[str, Any]) -> Any:
    f = dict(http.form(req))
    data = {"from": f.get("from"), "to": f.get("to"), "devices": f.get("devices"), "sources": f.get("sources"),
            "rules": f.get("rules") or "all", "rule_ids": http.form_list(req, "rule_ids"),
            "rules_since": f.get("rules_since"), "incident_id": f.get("incident_id"),
            "indicators": {k: f.get(f"ioc_{k}") for k in ("ips", "domains", "hashes", "users") if f.get(f"ioc_{k}")}}
    try:
        scan = scans.create(data, ctx["user"]["nombre_usuario"], http.public_url(req))
    except AppError as err:
        f["rule_ids"] = http.form_list(req, "rule_ids")
        return _list(req, ctx, f, {"form": err.message, **(err.details or {})}, err.status)
    return http.redirect(f"/scans/{scan['id']}")


def _scan_id(scan_id: str) -> int:
    return http.path_id(scan_id, SCAN_NOT_FOUND)


@page("viewer")
def scan_detail(req: Any, ctx: dict[str, Any], scan_id: str, errors: dict | None = None, status: int = 200) -> Any:
    scan = scans.get(_scan_id(scan_id))
    return render(req, ctx, "scan_detail.html", status=status, s=scan, errors=errors or {},
                  active=scan["state"] in ("queued", "running"))


@page("analyst")
def scan_action(req: Any, ctx: dict[str, Any], scan_id: str) -> Any:
    sid, act, actor = _scan_id(scan_id), http.form(req).get("action"), ctx["user"]["nombre_usuario"]
    try:
        if act == "cancel":
            scans.cancel(sid, actor)
        elif act == "rerun":
            return http.redirect(f"/scans/{scans.rerun(sid, actor, http.public_url(req))['id']}")
        else:
            raise ValidationError("Acción desconocida / Unknown action", {"action": "cancel or rerun"})
    except AppError as err:
        return scan_detail.__wrapped__(req, ctx, scan_id, errors={"action": err.message, **(err.details or {})},
                                       status=err.status)
    return http.redirect(f"/scans/{sid}")


@page("viewer")
def scan_report(req: Any, ctx: dict[str, Any], scan_id: str) -> Any:
    url = report.link(_scan_id(scan_id), http.query(req).get("format", "html"))
    return Response(body="", status_code=303, headers={"Location": url})
