"""Evidence endpoints of the JSON API."""
from __future__ import annotations

from typing import Any

from .. import custody, evidence, incidents
from ..web import http
from ..web.guard import api
from .core import _id


@api("viewer")
def list_evidence(req: Any, user: dict[str, Any], incident_id: str) -> dict[str, Any]:
    items = evidence.list_for_incident(_id(incident_id))
    return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}


@api("analyst")
def request_upload(req: Any, user: dict[str, Any], incident_id: str) -> Any:
    return http.json_response(evidence.request_upload(_id(incident_id), http.json_body(req), user["nombre_usuario"]), 201)


@api("viewer")
def get_evidence(req: Any, user: dict[str, Any], evidence_id: str) -> dict[str, Any]:
    return evidence.to_api(evidence.get_row(_id(evidence_id)))


@api("analyst")
def complete_upload(req: Any, user: dict[str, Any], evidence_id: str) -> dict[str, Any]:
    return evidence.complete_multipart(_id(evidence_id), http.json_body(req).get("parts"), user["nombre_usuario"])


@api("viewer")
def download(req: Any, user: dict[str, Any], evidence_id: str) -> dict[str, Any]:
    return evidence.download(_id(evidence_id), user["nombre_usuario"])


@api("analyst")
def verify(req: Any, user: dict[str, Any], evidence_id: str) -> dict[str, Any]:
    return evidence.verify(_id(evidence_id), user["nombre_usuario"])


@api("admin")
def delete(req: Any, user: dict[str, Any], evidence_id: str) -> dict[str, Any]:
    return evidence.delete(_id(evidence_id), http.json_body(req).get("reason"), user["nombre_usuario"])


@api("viewer")
def custody_log(req: Any, user: dict[str, Any], incident_id: str) -> dict[str, Any]:
    iid = _id(incident_id)
    incidents.get_row(iid)
    items = custody.for_incident(iid)
    return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}
