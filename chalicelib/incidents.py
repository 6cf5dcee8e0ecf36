"""Incidents: validation, the status workflow, filtered listing, and a history entry for every change.

API names are English; the seed's Spanish columns are the storage contract.
"""
from __future__ import annotations

from typing import Any

from . import catalogs, history, metrics, users
from .history import page_args
from .db import get_db
from .errors import NotFound, ValidationError
from .timeutil import iso, now_str, parse_user_date

FIELDS = {"title": "titulo", "description": "descripcion", "type": "tipo", "severity": "severidad",
          "status": "estado", "assignee": "asignado_a"}
COLS = ("id, titulo, descripcion, tipo, severidad, estado, usuario_reporta, asignado_a, fecha_creacion, "
        "fecha_actualizacion")
SORTS = {"created_at": "fecha_creacion", "updated_at": "fecha_actualizacion", "title": "titulo", "id": "id",
         "status": "estado", "type": "tipo", "assignee": "asignado_a",
         "severity": "CASE severidad WHEN 'Crítica' THEN 4 WHEN 'Alta' THEN 3 WHEN 'Media' THEN 2 "
                     "WHEN 'Baja' THEN 1 ELSE 0 END"}
MAX_PER_PAGE = 100
MAX_DESCRIPTION = 20000


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "title": row["titulo"], "description": row["descripcion"], "type": row["tipo"],
            "severity": row["severidad"], "status": row["estado"] or "Abierto", "reported_by": row["usuario_reporta"],
            "assignee": row.get("asignado_a"), "created_at": iso(row["fecha_creacion"]),
            "updated_at": iso(row.get("fecha_actualizacion"))}


def _clean(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    """Validate API-named input; return only the fields present, trimmed. Errors name every bad field."""
    if not isinstance(data, dict):
        raise ValidationError("Se esperaba un objeto JSON / A JSON object is expected")
    unknown = set(data) - set(FIELDS) - {"reason"}
    errors: dict[str, str] = {f: "unknown field" for f in sorted(unknown)}
    out: dict[str, Any] = {}
    for name in ("title", "description", "type", "severity", "assignee", "status"):
        if name not in data:
            if not partial and name in ("title", "description", "type", "severity"):
                errors[name] = "required"
            continue
        value = data[name]
        if value is not None and not isinstance(value, str):
            errors[name] = "must be a string"
            continue
        value = (value or "").strip()
        out[name] = value
    if "title" in out and not 1 <= len(out["title"]) <= 200:
        errors["title"] = "1-200 characters"
    if "description" in out and not out["description"]:
        errors["description"] = "required"
    elif "description" in out and len(out["description"]) > MAX_DESCRIPTION:
        errors["description"] = f"at most {MAX_DESCRIPTION} characters"
    for name, cat in (("type", "tipo"), ("severity", "severidad")):
        if name in out and out[name] not in catalogs.values(cat):
            errors[name] = "one of: " + ", ".join(catalogs.values(cat))
    if "status" in out and out["status"] not in catalogs.STATUSES:
        errors["status"] = "one of: " + ", ".join(catalogs.STATUSES)
    if out.get("assignee"):
        u = users.by_name(out["assignee"])
        if not u or not u["activo"] or u["rol"] == "viewer":
            errors["assignee"] = "must be an active analyst or admin"
    elif "assignee" in out:
        out["assignee"] = None
    if errors:
        raise ValidationError("Datos del incidente no válidos / Invalid incident data", errors)
    return out


def create(data: dict[str, Any], actor: str) -> dict[str, Any]:
    clean = _clean(data, partial=False)
    if clean.get("status") not in (None, "Abierto"):
        raise ValidationError("Un incidente nuevo empieza en Abierto / A new incident starts as Abierto",
                              {"status": "must be Abierto"})
    now = now_str()
    db = get_db()
    with db.transaction():
        iid, _ = db.execute(
            "INSERT INTO incidentes (titulo, descripcion, tipo, severidad, estado, usuario_reporta, asignado_a, "
            "fecha_creacion, fecha_actualizacion) VALUES (%s, %s, %s, %s, 'Abierto', %s, %s, %s, %s)",
            (clean["title"], clean["description"], clean["type"], clean["severity"], actor, clean.get("assignee"),
             now, now))
        history.record(iid, actor, "creacion", f"Incidente creado: {clean['title']}", field="estado", new="Abierto",
                       when=now)
        if clean.get("assignee"):
            history.record(iid, actor, "asignacion", None, field="asignado_a", new=clean["assignee"], when=now)
    return get(iid)


def get_row(incident_id: int) -> dict[str, Any]:
    row = get_db().one(f"SELECT {COLS} FROM incidentes WHERE id = %s", (incident_id,))
    if not row:
        raise NotFound(f"Incidente {incident_id} no encontrado / Incident not found")
    return row


def get(incident_id: int) -> dict[str, Any]:
    return to_api(get_row(incident_id))


def update(incident_id: int, data: dict[str, Any], actor: str) -> dict[str, Any]:
    clean = _clean(data, partial=True)
    reason = (data.get("reason") or "").strip() if isinstance(data.get("reason"), str) else ""
    db = get_db()
    with db.transaction():
        row = get_row(incident_id)
        current = to_api(row)
        changes = {k: v for k, v in clean.items() if v != current[k]}
        if "status" in changes:
            old, new = current["status"], changes["status"]
            if new not in catalogs.allowed_transitions(old):
                raise ValidationError(f"Transición no permitida {old} → {new} / Transition not allowed",
                                      {"status": "allowed: " + ", ".join(catalogs.allowed_transitions(old))})
            if catalogs.is_reopen(old, new) and not reason:
                raise ValidationError("Reabrir requiere un motivo / Reopening requires a reason",
                                      {"reason": "required to reopen"})
        if not changes:
            return current
        now = now_str()
        sets = ", ".join(f"{FIELDS[k]} = %s" for k in changes)
        db.execute(f"UPDATE incidentes SET {sets}, fecha_actualizacion = %s WHERE id = %s",
                   (*changes.values(), now, incident_id))
        for name, new in changes.items():
            old = current[name]
            if name == "status":
                action = "reapertura" if catalogs.is_reopen(old, new) else "cambio_estado"
                history.record(incident_id, actor, action, reason or f"{old} → {new}", field="estado", old=old, new=new,
                               when=now)
                metrics.refresh(incident_id)
            else:
                action = "asignacion" if name == "assignee" else "modificacion"
                history.record(incident_id, actor, action, None, field=FIELDS[name], old=old, new=new, when=now)
    return get(incident_id)


def search(params: dict[str, Any]) -> dict[str, Any]:
    """Filters: status, severity, type, assignee, reported_by, date_from, date_to, q; sort; page, per_page."""
    errors: dict[str, str] = {}
    where, args = [], []
    for key, col in (("status", "estado"), ("severity", "severidad"), ("type", "tipo"), ("assignee", "asignado_a"),
                     ("reported_by", "usuario_reporta")):
        if params.get(key):
            where.append(f"{col} = %s")
            args.append(params[key])
    for key, op, end in (("date_from", ">=", False), ("date_to", "<=", True)):
        if params.get(key):
            try:
                args.append(parse_user_date(params[key], end=end))
                where.append(f"fecha_creacion {op} %s")
            except ValueError:
                errors[key] = "expected YYYY-MM-DD or ISO 8601"
    if params.get("q"):
        q = "%" + str(params["q"])[:200].replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        where.append("(titulo LIKE %s ESCAPE '!' OR descripcion LIKE %s ESCAPE '!')")
        args += [q, q]
    sort = params.get("sort") or "-created_at"
    desc = sort.startswith("-")
    if sort.lstrip("-") not in SORTS:
        errors["sort"] = "one of: " + ", ".join(sorted(SORTS)) + " (prefix - for descending)"
    page, per_page = page_args(params, 25, errors, MAX_PER_PAGE)
    if errors:
        raise ValidationError("Filtros no válidos / Invalid filters", errors)
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    order = f"{SORTS[sort.lstrip('-')]} {'DESC' if desc else 'ASC'}, id {'DESC' if desc else 'ASC'}"
    db = get_db()
    total = int(db.scalar(f"SELECT COUNT(*) AS n FROM incidentes{sql_where}", args) or 0)
    rows = db.query(f"SELECT {COLS} FROM incidentes{sql_where} ORDER BY {order} LIMIT %s OFFSET %s",
                    (*args, per_page, (page - 1) * per_page))
    return {"items": [to_api(r) for r in rows], "total": total, "page": page, "per_page": per_page}


def counts() -> dict[str, dict[str, int]]:
    db = get_db()
    return {
        "status": {r["k"] or "Abierto": int(r["n"]) for r in
                   db.query("SELECT estado AS k, COUNT(*) AS n FROM incidentes GROUP BY estado")},
        "severity": {r["k"]: int(r["n"]) for r in
                     db.query("SELECT severidad AS k, COUNT(*) AS n FROM incidentes GROUP BY severidad")},
    }
