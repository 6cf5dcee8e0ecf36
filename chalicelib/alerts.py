"""Alerts in MySQL (``alertas``): upserted by fingerprint from the pipeline, then triaged by analysts.

A repeat of a fingerprint raises ``conteo`` and widens first/last seen; it never adds a row. Every analyst
action is a line in ``historial`` (with ``alerta_id``, and the incident once there is one).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

import orjson

from . import alert_rollup, history, incidents, suppressions
from .db import get_db
from .errors import Conflict, NotFound, ValidationError
from .history import as_id, choice_filter, id_filter, page_args
from .timeutil import FMT, iso, now_str, parse_user_date

STATES = {"new": "nueva", "acknowledged": "reconocida", "dismissed": "descartada", "escalated": "escalada"}
STATE_API = {v: k for k, v in STATES.items()}
DISMISS_REASONS = ("false_positive", "benign", "duplicate")
SEVERITIES = ("Baja", "Media", "Alta", "Crítica")
SEVERITY_EN = {"Baja": "LOW", "Media": "MEDIUM", "Alta": "HIGH", "Crítica": "CRITICAL"}
MAX_SAMPLES = 5
MAX_SAMPLE_VALUE = 2_000  # characters of one field of a sample event
MAX_SAMPLES_BYTES = 64_000  # all samples of one alert, as stored


def samples_json(samples: list[Any]) -> str:
    """Sample events as stored, bounded: a 400 KB user name in a log line must not make an 800 KB alert row.
    Long values are cut (saying how much), and samples past the byte budget are left out."""
    out, size = [], 2
    for sample in samples:
        if isinstance(sample, dict):
            sample = {k: (f"{v[:MAX_SAMPLE_VALUE]}…[{len(v) - MAX_SAMPLE_VALUE} more characters]"
                          if isinstance(v, str) and len(v) > MAX_SAMPLE_VALUE else v) for k, v in sample.items()}
        encoded = orjson.dumps(sample, default=str)
        if size + len(encoded) > MAX_SAMPLES_BYTES and out:
            break
        out.append(encoded)
        size += len(encoded) + 1
    return "[" + ",".join(e.decode() for e in out) + "]"
# ATT&CK tactic of an alert -> the incident type it most likely becomes (stored catalogue values)
TACTIC_TYPE = {"credential-access": "Acceso no autorizado", "initial-access": "Acceso no autorizado",
               "privilege-escalation": "Acceso no autorizado", "exfiltration": "Fuga de datos",
               "impact": "Denegación de servicio", "execution": "Malware", "defense-evasion": "Uso indebido"}
COLS = ("id, huella, regla_id, titulo, severidad, estado, motivo, asignado_a, entidad, entidad_clave, dispositivo, "
        "tecnicas, explicacion, muestras, conteo, primera_vez, ultima_vez, origen, incidente_id, silencio_id, "
        "fecha_creacion, fecha_actualizacion")


def entity_key(entity: dict[str, Any]) -> str:
    """A stable, filterable text for an entity: ``source.ip=203.0.113.9|user.name=root``."""
    return "|".join(f"{k}={entity[k]}" for k in sorted(entity))[:255] or "-"


def ts_str(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), tz=timezone.utc).strftime(FMT)


def to_api(row: dict[str, Any], full: bool = False) -> dict[str, Any]:
    explanation = orjson.loads(row["explicacion"] or "{}") or {}
    out = {"id": row["id"], "fingerprint": row["huella"], "rule_id": row["regla_id"], "title": row["titulo"],
           "severity": row["severidad"], "state": STATE_API.get(row["estado"], row["estado"]),
           "dismiss_reason": row["motivo"], "assignee": row["asignado_a"], "entity": orjson.loads(row["entidad"]),
           "entity_key": row["entidad_clave"], "device": row["dispositivo"],
           "attack": orjson.loads(row["tecnicas"] or "[]"), "count": int(row["conteo"]),
           "first_seen": iso(row["primera_vez"]), "last_seen": iso(row["ultima_vez"]), "origin": row["origen"],
           "incident_id": row["incidente_id"], "suppressed": row["silencio_id"] is not None,
           "summary": explanation.get("summary"),
           "created_at": iso(row["fecha_creacion"])}
    if full:
        out["explanation"] = explanation
        out["samples"] = orjson.loads(row["muestras"] or "[]")
    return out


# -- from the pipeline --------------------------------------------------------------------------------------
def store(found: Iterable[Any], silences: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Upsert detector alerts (call inside a transaction); returns the rows created now, for notification."""
    db = get_db()
    found = list(found)
    if not found:
        return []
    silences = suppressions.active() if silences is None else silences
    existing = {}
    prints = [a.fingerprint for a in found]
    for i in range(0, len(prints), 500):
        part = prints[i:i + 500]
        marks = ", ".join(["%s"] * len(part))
        for r in db.query(f"SELECT id, huella, conteo, primera_vez, ultima_vez, muestras, silencio_id, regla_id, "
                          f"entidad_clave, severidad, estado FROM alertas "
                          f"WHERE huella IN ({marks})", part):
            existing[r["huella"]] = r
    created, updates, now = [], [], now_str()
    roll = alert_rollup.Deltas()
    for a in found:
        row = existing.get(a.fingerprint)
        if row is not None:
            old_day = alert_rollup.day(row["primera_vez"])
            first = min(alert_rollup.day(a.first_seen), old_day)
            bucket = (row["regla_id"], row["severidad"], row["estado"], 1 if row.get("silencio_id") else 0)
            roll.move((old_day, *bucket), (first, *bucket), int(row["conteo"]))
            roll.add((first, *bucket), 0, a.count)
            row["primera_vez"], row["conteo"] = first, int(row["conteo"]) + a.count
            samples = orjson.loads(row["muestras"] or "[]")
            if len(samples) < MAX_SAMPLES:
                samples += a.samples[: MAX_SAMPLES - len(samples)]
            updates.append((a.count, ts_str(a.first_seen), ts_str(a.last_seen), samples_json(samples), now, row["id"]))
            if row.get("silencio_id") and not suppressions.matching(silences, a.rule_id, row["entidad_clave"]):
                # the silence was lifted or ran out and the activity goes on: the alert comes back, and is notified
                db.execute("UPDATE alertas SET silencio_id = NULL WHERE id = %s", (row["id"],))
                row["silencio_id"] = None
                roll.move((row["primera_vez"], *bucket), (row["primera_vez"], *bucket[:3], 0), int(row["conteo"]))
                created.append({"id": row["id"], "alert": a, "entity_key": row["entidad_clave"], "suppressed": False})
            continue
        key = entity_key(a.entity)
        silence = suppressions.matching(silences, a.rule_id, key)
        values = (a.fingerprint, a.rule_id[:120], a.title[:255], a.severity, orjson.dumps(a.entity, default=str).decode(),
                  key, (a.device or None) and str(a.device)[:200], orjson.dumps(a.attack).decode(),
                  orjson.dumps(a.explanation, default=str).decode(),
                  samples_json(a.samples[:MAX_SAMPLES]), a.count, ts_str(a.first_seen),
                  ts_str(a.last_seen), a.origin, silence["id"] if silence else None, now, now)
        aid, _ = db.execute(
            "INSERT INTO alertas (huella, regla_id, titulo, severidad, entidad, entidad_clave, dispositivo, tecnicas, "
            "explicacion, muestras, conteo, primera_vez, ultima_vez, origen, silencio_id, fecha_creacion, "
            "fecha_actualizacion) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", values)
        existing[a.fingerprint] = {"id": aid, "huella": a.fingerprint, "muestras": values[9],
                                   "silencio_id": values[14], "entidad_clave": key, "regla_id": values[1],
                                   "severidad": a.severity, "estado": "nueva", "conteo": a.count,
                                   "primera_vez": alert_rollup.day(a.first_seen)}
        roll.add((alert_rollup.day(a.first_seen), values[1], a.severity, "nueva", 1 if silence else 0), 1, a.count)
        created.append({"id": aid, "alert": a, "entity_key": key, "suppressed": silence is not None})
    if updates:
        db.executemany("UPDATE alertas SET conteo = conteo + %s, primera_vez = LEAST(primera_vez, %s), "
                       "ultima_vez = GREATEST(ultima_vez, %s), muestras = %s, fecha_actualizacion = %s WHERE id = %s",
                       updates) if db.kind == "mysql" else db.executemany(
            "UPDATE alertas SET conteo = conteo + ?, primera_vez = MIN(primera_vez, ?), ultima_vez = MAX(ultima_vez, ?), "
            "muestras = ?, fecha_actualizacion = ? WHERE id = ?", updates)
    roll.flush(db)
    return created


# -- reading -------------------------------------------------------------------------------------------------
def get_row(alert_id: int) -> dict[str, Any]:
    row = get_db().one(f"SELECT {COLS} FROM alertas WHERE id = %s", (alert_id,))
    if not row:
        raise NotFound(f"Alerta {alert_id} no encontrada / Alert not found")
    return row


def get(alert_id: int) -> dict[str, Any]:
    out = to_api(get_row(alert_id), full=True)
    out["history"] = [history.to_api(r) for r in get_db().query(
        f"SELECT {history.COLS} FROM historial h WHERE h.alerta_id = %s ORDER BY h.fecha, h.id", (alert_id,))]
    out["scans"] = [r["escaneo_id"] for r in get_db().query(  # the deep scans that found it (newest first)
        "SELECT escaneo_id FROM escaneo_alertas WHERE alerta_id = %s ORDER BY escaneo_id DESC LIMIT 20", (alert_id,))]
    return out


def _filters(params: dict[str, Any]) -> tuple[list[str], list[Any], dict[str, str]]:
    where, args, errors = [], [], {}
    if params.get("severity"):
        if params["severity"] not in SEVERITIES:
            errors["severity"] = f"one of {', '.join(SEVERITIES)}"
        else:
            where.append("severidad = %s")
            args.append(params["severity"])
    if params.get("min_severity"):
        if params["min_severity"] not in SEVERITIES:
            errors["min_severity"] = f"one of {', '.join(SEVERITIES)}"
        else:
            allowed = SEVERITIES[SEVERITIES.index(params["min_severity"]):]
            where.append(f"severidad IN ({', '.join(['%s'] * len(allowed))})")
            args += allowed
    choice_filter(params, "state", STATES, "estado", where, args, errors)
    for key, col in (("rule", "regla_id"), ("device", "dispositivo"), ("origin", "origen")):
        if params.get(key):
            where.append(f"{col} = %s")
            args.append(str(params[key]))
    if params.get("entity"):
        where.append("entidad_clave LIKE %s ESCAPE '!'")
        text = str(params["entity"]).replace("!", "!!").replace("%", "!%").replace("_", "!_")
        args.append(f"%{text}%")
    id_filter(params, "incident_id", "incidente_id", where, args, errors)
    for key, op, end in (("date_from", ">=", False), ("date_to", "<=", True)):
        if params.get(key):
            try:
                args.append(parse_user_date(str(params[key]), end=end))
                where.append(f"ultima_vez {op} %s")
            except ValueError:
                errors[key] = "expected YYYY-MM-DD or ISO 8601"
    if str(params.get("suppressed", "")) not in ("1", "true", "all"):
        where.append("silencio_id IS NULL")
    return where, args, errors


def search(params: dict[str, Any]) -> dict[str, Any]:
    """Filters: severity, min_severity, state, rule, entity (substring), device, origin, incident_id, date_from,
    date_to, suppressed; ``group=entity`` returns one row per entity with its alert count."""
    where, args, errors = _filters(params)
    page, per_page = page_args(params, 50, errors)
    group = params.get("group")
    if group not in (None, "", "entity"):
        errors["group"] = "only 'entity'"
    if errors:
        raise ValidationError("Filtros no válidos / Invalid filters", errors)
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    db = get_db()
    if group == "entity":
        total = int(db.scalar(f"SELECT COUNT(DISTINCT entidad_clave) AS n FROM alertas{sql_where}", args) or 0)
        rows = db.query(
            f"SELECT entidad_clave, COUNT(*) AS alerts, SUM(conteo) AS events, MAX(ultima_vez) AS last_seen, "
            f"MIN(primera_vez) AS first_seen, MAX(CASE severidad WHEN 'Crítica' THEN 4 WHEN 'Alta' THEN 3 "
            f"WHEN 'Media' THEN 2 ELSE 1 END) AS sev_rank FROM alertas{sql_where} GROUP BY entidad_clave "
            f"ORDER BY sev_rank DESC, last_seen DESC LIMIT %s OFFSET %s", (*args, per_page, (page - 1) * per_page))
        items = [{"entity_key": r["entidad_clave"], "alerts": int(r["alerts"]), "events": int(r["events"] or 0),
                  "first_seen": iso(r["first_seen"]), "last_seen": iso(r["last_seen"]),
                  "max_severity": SEVERITIES[int(r["sev_rank"]) - 1]} for r in rows]
        return {"items": items, "total": total, "page": page, "per_page": per_page, "group": "entity"}
    total = int(db.scalar(f"SELECT COUNT(*) AS n FROM alertas{sql_where}", args) or 0)
    rows = db.query(f"SELECT {COLS} FROM alertas{sql_where} ORDER BY ultima_vez DESC, id DESC LIMIT %s OFFSET %s",
                    (*args, per_page, (page - 1) * per_page))
    return {"items": [to_api(r) for r in rows], "total": total, "page": page, "per_page": per_page}


def counts_by_state() -> dict[str, int]:
    rows = get_db().query("SELECT estado, COUNT(*) AS n FROM alertas WHERE silencio_id IS NULL GROUP BY estado")
    return {STATE_API.get(r["estado"], r["estado"]): int(r["n"]) for r in rows}


# -- triage --------------------------------------------------------------------------------------------------
def _set(alert_id: int, actor: str, action: str, description: str, changes: dict[str, Any],
         incident_id: int | None = None, guard: str = "", conflict: str = "") -> dict[str, Any]:
    """Apply ``changes`` only while ``guard`` (SQL on the row) still holds: of two analysts clicking at once, the
    second gets a 409 instead of silently undoing the first."""
    db = get_db()
    with db.transaction():
        row = get_row(alert_id)
        sets = ", ".join(f"{col} = %s" for col in changes)
        _, n = db.execute(f"UPDATE alertas SET {sets}, fecha_actualizacion = %s WHERE id = %s{guard}",
                          (*changes.values(), now_str(), alert_id))
        if n != 1:
            raise Conflict(conflict or "La alerta cambió mientras tanto / The alert changed meanwhile; reload it")
        if "estado" in changes and changes["estado"] != row["estado"]:
            roll = alert_rollup.Deltas()
            base = (alert_rollup.day(row["primera_vez"]), row["regla_id"], row["severidad"])
            sil = 1 if row["silencio_id"] else 0
            roll.move((*base, row["estado"], sil), (*base, changes["estado"], sil), int(row["conteo"]))
            roll.flush(db)
        for col, new in changes.items():
            history.record(incident_id or row["incidente_id"], actor, action, description, field=col,
                           old=row[col], new=new, alert_id=alert_id)
    return get(alert_id)


def acknowledge(alert_id: int, actor: str) -> dict[str, Any]:
    row = get_row(alert_id)
    if row["estado"] != "nueva":
        raise Conflict(f"Solo una alerta nueva se reconoce / Only a new alert can be acknowledged "
                       f"(it is {STATE_API.get(row['estado'])})")
    return _set(alert_id, actor, "alerta_reconocida", "Alerta reconocida / acknowledged", {"estado": "reconocida"},
                guard=" AND estado = 'nueva'", conflict="Solo una alerta nueva se reconoce / Only a new alert can be "
                                                         "acknowledged")


def assign(alert_id: int, assignee: Any, actor: str) -> dict[str, Any]:
    from . import users

    if assignee in (None, ""):
        return _set(alert_id, actor, "alerta_asignada", "Asignación retirada / unassigned", {"asignado_a": None})
    u = users.by_name(assignee) if isinstance(assignee, str) else None
    if not u or not u["activo"] or u["rol"] == "viewer":
        raise ValidationError("Usuario no válido / Invalid assignee", {"assignee": "must be an active analyst or admin"})
    return _set(alert_id, actor, "alerta_asignada", f"Asignada a {assignee}", {"asignado_a": assignee})


def dismiss(alert_id: int, reason: Any, note: Any, actor: str) -> dict[str, Any]:
    if reason not in DISMISS_REASONS:
        raise ValidationError("Motivo no válido / Invalid reason", {"reason": f"one of {', '.join(DISMISS_REASONS)}"})
    row = get_row(alert_id)
    if row["estado"] == "escalada":
        raise Conflict("Una alerta escalada no se descarta / An escalated alert cannot be dismissed")
    text = f"Descartada: {reason}" + (f" — {str(note).strip()[:500]}" if isinstance(note, str) and note.strip() else "")
    return _set(alert_id, actor, "alerta_descartada", text, {"estado": "descartada", "motivo": reason},
                guard=" AND estado <> 'escalada' AND incidente_id IS NULL",
                conflict="Una alerta escalada no se descarta / An escalated alert cannot be dismissed")


def promote(alert_id: int, actor: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new incident from the alert, in one step: title, description, type and severity filled in."""
    data = data or {}
    row = get_row(alert_id)
    if row["incidente_id"]:
        raise Conflict(f"La alerta ya está vinculada al incidente {row['incidente_id']} / "
                       "The alert is already linked to an incident")
    alert = to_api(row, full=True)
    tactic = next((t for t in alert["attack"] if not t.upper().startswith("T")), "")
    description = (f"Alerta #{alert_id} ({alert['rule_id']}): {alert['summary'] or alert['title']}\n"
                   f"Entidad / entity: {alert['entity_key']}\nDispositivo / device: {alert['device'] or '-'}\n"
                   f"Eventos / events: {alert['count']} entre {alert['first_seen']} y {alert['last_seen']}\n"
                   f"ATT&CK: {', '.join(alert['attack']) or '-'}")
    payload = {"title": data.get("title") or f"{alert['title']} — {alert['entity_key']}"[:200],
               "description": data.get("description") or description,
               "type": data.get("type") or TACTIC_TYPE.get(tactic, "Otro"),
               "severity": data.get("severity") or alert["severity"], "assignee": data.get("assignee")}
    db = get_db()
    with db.transaction():
        incident = incidents.create(payload, actor)
        history.record(incident["id"], actor, "alerta_promovida", f"Creado desde la alerta #{alert_id}",
                       alert_id=alert_id)
        _set(alert_id, actor, "alerta_escalada", f"Escalada al incidente #{incident['id']}",
             {"estado": "escalada", "incidente_id": incident["id"]}, incident_id=incident["id"],
             guard=" AND incidente_id IS NULL", conflict="La alerta ya está vinculada a un incidente / "
                                                          "The alert is already linked to an incident")
    return {"alert": get(alert_id), "incident": incident}


def attach(alert_id: int, incident_id: Any, actor: str) -> dict[str, Any]:
    iid = as_id(incident_id)
    if iid is None:
        raise ValidationError("Incidente no válido / Invalid incident", {"incident_id": "must be an integer"})
    row = get_row(alert_id)
    if row["incidente_id"] == iid:
        raise Conflict("La alerta ya está vinculada a ese incidente / Already linked to that incident")
    db = get_db()
    with db.transaction():
        incidents.get_row(iid)
        history.record(iid, actor, "alerta_vinculada", f"Alerta #{alert_id} vinculada: {row['titulo']}",
                       alert_id=alert_id)
        _set(alert_id, actor, "alerta_escalada", f"Vinculada al incidente #{iid}",
             {"estado": "escalada", "incidente_id": iid}, incident_id=iid,
             guard=" AND (incidente_id IS NULL OR incidente_id <> %s)" % int(iid))
    return get(alert_id)


def for_incident(incident_id: int) -> list[dict[str, Any]]:
    rows = get_db().query(f"SELECT {COLS} FROM alertas WHERE incidente_id = %s ORDER BY ultima_vez DESC",
                          (incident_id,))
    return [to_api(r) for r in rows]
