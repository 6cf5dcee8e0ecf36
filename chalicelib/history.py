"""The incident history (``historial``): every creation, field change and status transition."""
from __future__ import annotations

from typing import Any

from .db import get_db
from .timeutil import iso, now_str


def record(incident_id: int, user: str, action: str, description: str | None = None, *,
           field: str | None = None, old: Any = None, new: Any = None, when: str | None = None) -> None:
    get_db().execute(
        "INSERT INTO historial (incidente_id, usuario, accion, descripcion, fecha, campo, valor_anterior, valor_nuevo) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (incident_id, user, action, description, when or now_str(), field,
         None if old is None else str(old), None if new is None else str(new)))


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "incident_id": row["incidente_id"], "user": row["usuario"], "action": row["accion"],
            "description": row["descripcion"], "field": row.get("campo"), "old_value": row.get("valor_anterior"),
            "new_value": row.get("valor_nuevo"), "at": iso(row["fecha"]),
            **({"incident_title": row["titulo"]} if "titulo" in row else {})}


COLS = "h.id, h.incidente_id, h.usuario, h.accion, h.descripcion, h.fecha, h.campo, h.valor_anterior, h.valor_nuevo"


def for_incident(incident_id: int) -> list[dict[str, Any]]:
    return get_db().query(f"SELECT {COLS} FROM historial h WHERE h.incidente_id = %s ORDER BY h.fecha, h.id",
                          (incident_id,))


def search(*, user: str | None = None, action: str | None = None, incident_id: int | None = None,
           date_from: str | None = None, date_to: str | None = None, page: int = 1,
           per_page: int = 50) -> tuple[list[dict[str, Any]], int]:
    where, params = [], []
    for clause, value in (("h.usuario = %s", user), ("h.accion = %s", action), ("h.incidente_id = %s", incident_id),
                          ("h.fecha >= %s", date_from), ("h.fecha <= %s", date_to)):
        if value not in (None, ""):
            where.append(clause)
            params.append(value)
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    db = get_db()
    total = int(db.scalar(f"SELECT COUNT(*) AS n FROM historial h{sql_where}", params) or 0)
    rows = db.query(f"SELECT {COLS}, i.titulo FROM historial h JOIN incidentes i ON i.id = h.incidente_id"
                    f"{sql_where} ORDER BY h.fecha DESC, h.id DESC LIMIT %s OFFSET %s",
                    (*params, per_page, (page - 1) * per_page))
    return rows, total


def actions() -> list[str]:
    return [r["accion"] for r in get_db().query("SELECT DISTINCT accion FROM historial ORDER BY accion")]
