"""The incident history (``historial``): every creation, field change and status transition."""
from __future__ import annotations

from typing import Any

from .db import get_db
from .errors import ValidationError
from .timeutil import iso, now_str, parse_user_date


def record(incident_id: int | None, user: str, action: str, description: str | None = None, *,
           field: str | None = None, old: Any = None, new: Any = None, when: str | None = None,
           alert_id: int | None = None) -> None:
    """One history line; alert actions carry ``alert_id`` (and the incident, once there is one)."""
    get_db().execute(
        "INSERT INTO historial (incidente_id, usuario, accion, descripcion, fecha, campo, valor_anterior, valor_nuevo, "
        "alerta_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (incident_id, user, action, description, when or now_str(), field,
         None if old is None else str(old), None if new is None else str(new), alert_id))


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "incident_id": row["incidente_id"], "user": row["usuario"], "action": row["accion"],
            "description": row["descripcion"], "field": row.get("campo"), "old_value": row.get("valor_anterior"),
            "new_value": row.get("valor_nuevo"), "at": iso(row["fecha"]), "alert_id": row.get("alerta_id"),
            **({"incident_title": row["titulo"]} if "titulo" in row else {})}


COLS = ("h.id, h.incidente_id, h.usuario, h.accion, h.descripcion, h.fecha, h.campo, h.valor_anterior, h.valor_nuevo, "
        "h.alerta_id")


def for_incident(incident_id: int) -> list[dict[str, Any]]:
    return get_db().query(f"SELECT {COLS} FROM historial h WHERE h.incidente_id = %s ORDER BY h.fecha, h.id",
                          (incident_id,))


def search(filters: dict[str, Any], default_per_page: int = 50) -> dict[str, Any]:
    """Filters as a user types them: user, action, incident_id, date_from, date_to, page, per_page (≤ 200)."""
    errors: dict[str, str] = {}
    where, params = [], []
    for clause, key in (("h.usuario = %s", "user"), ("h.accion = %s", "action")):
        if filters.get(key):
            where.append(clause)
            params.append(filters[key])
    for key, col in (("incident_id", "h.incidente_id"), ("alert_id", "h.alerta_id")):
        if filters.get(key):
            if as_id(filters[key]) is not None:
                where.append(f"{col} = %s")
                params.append(as_id(filters[key]))
            else:
                errors[key] = "must be an integer"
    for key, op, end in (("date_from", ">=", False), ("date_to", "<=", True)):
        if filters.get(key):
            try:
                params.append(parse_user_date(str(filters[key]), end=end))
                where.append(f"h.fecha {op} %s")
            except ValueError:
                errors[key] = "expected YYYY-MM-DD or ISO 8601"
    page, per_page = page_args(filters, default_per_page, errors)
    if errors:
        raise ValidationError("Filtros no válidos / Invalid filters", errors)
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    db = get_db()
    total = int(db.scalar(f"SELECT COUNT(*) AS n FROM historial h{sql_where}", params) or 0)
    rows = db.query(f"SELECT {COLS}, i.titulo FROM historial h LEFT JOIN incidentes i ON i.id = h.incidente_id"
                    f"{sql_where} ORDER BY h.fecha DESC, h.id DESC LIMIT %s OFFSET %s",
                    (*params, per_page, (page - 1) * per_page))
    return {"items": [to_api(r) for r in rows], "total": total, "page": page, "per_page": per_page}


def page_args(params: dict[str, Any], default_per_page: int, errors: dict[str, str],
              max_per_page: int = 200) -> tuple[int, int]:
    """``page`` and ``per_page`` as a user typed them, problems added to ``errors``."""
    page = positive_int(params.get("page"), 1, "page", errors)
    per_page = positive_int(params.get("per_page"), default_per_page, "per_page", errors)
    if page > MAX_PAGE:
        errors["page"] = f"at most {MAX_PAGE}"
    if per_page > max_per_page:
        errors["per_page"] = f"at most {max_per_page}"
    return page, per_page


def choice_filter(params: dict[str, Any], key: str, choices: dict[str, Any], column: str, where: list[str],
                  args: list[Any], errors: dict[str, str]) -> None:
    """A list filter typed by a user: ``params[key]`` must be one of ``choices`` (API value → stored value)."""
    if params.get(key):
        if params[key] not in choices:
            errors[key] = f"one of {', '.join(choices)}"
        else:
            where.append(f"{column} = %s")
            args.append(choices[params[key]])


def id_filter(params: dict[str, Any], key: str, column: str, where: list[str], args: list[Any],
              errors: dict[str, str]) -> None:
    if params.get(key):
        if as_id(params[key]) is None:
            errors[key] = "must be an integer"
        else:
            where.append(f"{column} = %s")
            args.append(as_id(params[key]))


MAX_ID = 2**31 - 1  # ids are INT columns: a larger number names nothing (and would overflow the driver)
MAX_PAGE = 1_000_000


def as_id(value: Any) -> int | None:
    """A database id typed by a user: ASCII digits only (``"²".isdigit()`` is true, ``int("²")`` fails)."""
    text = str(value).strip()
    if not text or not text.isascii() or not text.isdecimal() or len(text) > 10:
        return None
    n = int(text)
    return n if 0 < n <= MAX_ID else None


def positive_int(value: Any, default: int, name: str, errors: dict[str, str]) -> int:
    if value in (None, ""):
        return default
    if as_id(value) is None:
        errors[name] = "must be a positive integer"
        return default
    return int(value)


def actions() -> list[str]:
    return [r["accion"] for r in get_db().query("SELECT DISTINCT accion FROM historial ORDER BY accion")]
