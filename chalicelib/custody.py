"""Chain of custody: who uploaded, verified, downloaded or asked to delete each piece of evidence, and when."""
from __future__ import annotations

import csv
import io
from typing import Any

from .db import get_db
from .timeutil import iso, now_str

ACTIONS = ("upload_requested", "stored", "quarantined", "verified", "verify_failed", "download", "deletion")


def record(evidence_id: int, incident_id: int, user: str, action: str, sha256: str | None = None,
           detail: str | None = None) -> None:
    get_db().execute("INSERT INTO custodia (evidencia_id, incidente_id, usuario, accion, sha256, detalle, fecha) "
                     "VALUES (%s, %s, %s, %s, %s, %s, %s)", (evidence_id, incident_id, user, action, sha256, detail,
                                                             now_str()))


def for_incident(incident_id: int) -> list[dict[str, Any]]:
    rows = get_db().query(
        "SELECT c.id, c.evidencia_id, c.usuario, c.accion, c.sha256, c.detalle, c.fecha, e.nombre_archivo "
        "FROM custodia c JOIN evidencias e ON e.id = c.evidencia_id WHERE c.incidente_id = %s "
        "ORDER BY c.fecha, c.id", (incident_id,))
    return [{"id": r["id"], "evidence_id": r["evidencia_id"], "file_name": r["nombre_archivo"], "user": r["usuario"],
             "action": r["accion"], "sha256": r["sha256"], "detail": r["detalle"], "at": iso(r["fecha"])} for r in rows]


def spreadsheet_safe(value: Any) -> str:
    """Neutralise cells a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: list[dict[str, Any]]) -> str:
    cols = ["at", "evidence_id", "file_name", "action", "user", "sha256", "detail"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(cols)
    for r in rows:
        w.writerow([spreadsheet_safe(r[c]) for c in cols])
    return out.getvalue()
