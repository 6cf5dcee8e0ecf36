"""Evidence on the incident page: download redirect, verify, delete, custody CSV export."""
from __future__ import annotations

from typing import Any

from chalice import Response

from .. import audit, custody, evidence, incidents
from ..errors import AppError, NotFound
from . import http
from .guard import page
from ..history import as_id


def _owned(incident_id: str, evidence_id: str) -> dict[str, Any]:
    """The evidence must belong to the incident in the URL: ids cannot be swapped to reach another case."""
    if as_id(incident_id) is None or as_id(evidence_id) is None:
        raise NotFound("Evidencia no encontrada / Evidence not found")
    row = evidence.get_row(int(evidence_id))
    if row["incidente_id"] != int(incident_id):
        raise NotFound("Evidencia no encontrada / Evidence not found")
    return row


@page("viewer")
def download(req: Any, ctx: dict[str, Any], incident_id: str, evidence_id: str) -> Any:
    row = _owned(incident_id, evidence_id)
    link = evidence.download(row["id"], ctx["user"]["nombre_usuario"])
    return Response(body="", status_code=303, headers={"Location": link["url"]})


@page("analyst")
def action(req: Any, ctx: dict[str, Any], incident_id: str, evidence_id: str) -> Any:
    row = _owned(incident_id, evidence_id)
    f = http.form(req)
    user = ctx["user"]
    try:
        if f.get("action") == "verify":
            result = evidence.verify(row["id"], user["nombre_usuario"])
            flag = "verified" if result["match"] else "mismatch"
        elif f.get("action") == "delete":
            from ..auth import require_role

            require_role(user, "admin")
            evidence.delete(row["id"], f.get("reason"), user["nombre_usuario"])
            flag = "deleted"
        else:
            raise NotFound("Acción desconocida / Unknown action")
    except AppError as err:
        from .pages import _detail

        return _detail(req, ctx, row["incidente_id"], errors={"evidence": err.message}, status=err.status)
    return http.redirect(f"/incidents/{row['incidente_id']}?evidence={flag}#evidence")


@page("viewer")
def custody_csv(req: Any, ctx: dict[str, Any], incident_id: str) -> Any:
    if as_id(incident_id) is None:
        raise NotFound("Incidente no encontrado / Incident not found")
    iid = int(incident_id)
    incidents.get_row(iid)
    audit.record(ctx["user"]["nombre_usuario"], "exportacion_custodia", f"incidente:{iid}")
    return Response(body=custody.to_csv(custody.for_incident(iid)), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="custodia-incidente-{iid}.csv"'})
