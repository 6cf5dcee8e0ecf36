"""Time-boxed silences: alerts of a rule and/or entity are stored but not notified nor listed by default."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import history
from .db import get_db
from .errors import NotFound, ValidationError
from .timeutil import db_str, iso, now_str, utcnow

MAX_HOURS = 24 * 90


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "rule_id": row["regla_id"], "entity_key": row["entidad_clave"], "reason": row["motivo"],
            "expires_at": iso(row["expira"]), "created_by": row["creado_por"], "active": bool(row["activo"]),
            "created_at": iso(row["fecha_creacion"])}


def active() -> list[dict[str, Any]]:
    return get_db().query("SELECT id, regla_id, entidad_clave FROM silencios WHERE activo = 1 AND expira > %s",
                          (now_str(),))


def matching(silences: list[dict[str, Any]], rule_id: str, entity_key: str) -> dict[str, Any] | None:
    """A silence applies when each scope it names (rule, entity) equals the alert's."""
    for s in silences:
        if (s["regla_id"] in (None, rule_id)) and (s["entidad_clave"] in (None, entity_key)):
            return s
    return None


def create(data: dict[str, Any], actor: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("Se esperaba un objeto JSON / A JSON object is expected")
    rule = (data.get("rule_id") or "").strip() if isinstance(data.get("rule_id"), str) else ""
    entity = (data.get("entity_key") or "").strip() if isinstance(data.get("entity_key"), str) else ""
    reason = (data.get("reason") or "").strip() if isinstance(data.get("reason"), str) else ""
    errors: dict[str, str] = {}
    if not rule and not entity:
        errors["rule_id"] = "name a rule, an entity, or both"
    if not reason:
        errors["reason"] = "required"
    try:
        hours = float(data.get("hours", 24))
        if not 0 < hours <= MAX_HOURS:
            raise ValueError
    except (TypeError, ValueError):
        errors["hours"] = f"a number of hours between 0 and {MAX_HOURS}"
        hours = 0
    if errors:
        raise ValidationError("Silencio no válido / Invalid suppression", errors)
    expires = db_str(utcnow() + timedelta(hours=hours))
    db = get_db()
    with db.transaction():
        sid, _ = db.execute("INSERT INTO silencios (regla_id, entidad_clave, motivo, expira, creado_por, activo, "
                            "fecha_creacion) VALUES (%s, %s, %s, %s, %s, 1, %s)",
                            (rule[:120] or None, entity[:255] or None, reason[:2000], expires, actor, now_str()))
        history.record(None, actor, "silencio_creado", f"Silencio #{sid}: regla {rule or '*'}, entidad {entity or '*'}, "
                       f"hasta {expires} UTC — {reason[:500]}", field="silencio", new=sid)
    return get(sid)


def get(sid: int) -> dict[str, Any]:
    row = get_db().one("SELECT * FROM silencios WHERE id = %s", (sid,))
    if not row:
        raise NotFound(f"Silencio {sid} no encontrado / Suppression not found")
    return to_api(row)


def lift(sid: int, actor: str) -> dict[str, Any]:
    current = get(sid)
    db = get_db()
    with db.transaction():
        db.execute("UPDATE silencios SET activo = 0 WHERE id = %s", (sid,))
        history.record(None, actor, "silencio_retirado", f"Silencio #{sid} retirado", field="silencio", old=sid)
    return {**current, "active": False}


def search(include_expired: bool = False) -> dict[str, Any]:
    db = get_db()
    if include_expired:
        rows = db.query("SELECT * FROM silencios ORDER BY id DESC LIMIT 200")
    else:
        rows = db.query("SELECT * FROM silencios WHERE activo = 1 AND expira > %s ORDER BY expira", (now_str(),))
    items = [to_api(r) for r in rows]
    return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}
