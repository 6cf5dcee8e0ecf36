"""Deep scans in the JSON API: launch (analyst), list and read (viewer), cancel and re-run (analyst)."""
from __future__ import annotations

from typing import Any

from .. import scans
from ..deepscan import report
from ..web import http
from ..web.guard import api
from .core import _id


@api("viewer")
def list_scans(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    return scans.search(http.query(req))


@api("analyst")
def create_scan(req: Any, user: dict[str, Any]) -> Any:
    """``{"from", "to", "devices", "sources", "rules": "all|selected|since", "rule_ids", "rules_since",
    "indicators": {"ips", "domains", "hashes", "users"}, "incident_id"}`` → 201 with the queued scan."""
    return http.json_response(scans.create(http.json_body(req), user["nombre_usuario"], http.public_url(req)), 201)


@api("viewer")
def get_scan(req: Any, user: dict[str, Any], scan_id: str) -> dict[str, Any]:
    return scans.get(_id(scan_id))


@api("analyst")
def cancel_scan(req: Any, user: dict[str, Any], scan_id: str) -> dict[str, Any]:
    return scans.cancel(_id(scan_id), user["nombre_usuario"])


@api("analyst")
def rerun_scan(req: Any, user: dict[str, Any], scan_id: str) -> Any:
    return http.json_response(scans.rerun(_id(scan_id), user["nombre_usuario"], http.public_url(req)), 201)


@api("viewer")
def scan_report(req: Any, user: dict[str, Any], scan_id: str) -> dict[str, Any]:
    fmt = http.query(req).get("format", "json")
    return {"url": report.link(_id(scan_id), fmt), "format": fmt, "expires_in": report.LINK_SECONDS}


@api("viewer")
def scan_rules(req: Any, user: dict[str, Any]) -> dict[str, Any]:
    """The rules a scan can pick from (id, title, level, date)."""
    return {"items": scans.rule_catalogue()}
