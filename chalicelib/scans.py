"""Deep scan jobs (``escaneos``): what an analyst asked for, where the analyzer is, and how it ended.

States move only forward, each by a conditional UPDATE, so the analyzer, a cancel and the schedule's dead-task
check can race without a scan ending twice: queued → running → done | failed | cancelled (queued may go
straight to failed or cancelled).
"""
from __future__ import annotations

import ipaddress
import logging
import re
from datetime import timedelta
from typing import Any

import orjson

from . import history, incidents
from .config import get_settings
from .db import get_db
from .errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from .history import as_id, choice_filter, id_filter, page_args
from .timeutil import MAX_YEAR, MIN_YEAR, db_str, iso, now_str, parse, utcnow

log = logging.getLogger(__name__)
STATES = {"queued": "en_cola", "running": "en_curso", "done": "terminado", "failed": "fallido",
          "cancelled": "cancelado"}
STATE_API = {v: k for k, v in STATES.items()}
MAX_LIST = 1000
HASH = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
COLS = ("id, estado, desde, hasta, parametros, incidente_id, creado_por, lanzador, tarea, cancelar, objetos_total, "
        "objetos_hechos, bytes_total, bytes_hechos, eventos, hallazgos, alertas_nuevas, trabajadores, resumen, error, "
        "informe_clave, latido, fecha_creacion, fecha_inicio, fecha_fin")


# -- validation ----------------------------------------------------------------------------------------------
def _strings(value: Any, name: str, errors: dict[str, str], limit: int = MAX_LIST) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        errors[name] = "a list of strings"
        return []
    out = list(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    if len(out) > limit:
        errors[name] = f"at most {limit} values"
    if any(len(v) > 255 for v in out):
        errors[name] = "values of at most 255 characters"
    return out[:limit]


def _indicators(data: Any, errors: dict[str, str]) -> dict[str, list[str]]:
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        errors["indicators"] = 'an object {"ips": [...], "domains": [...], "hashes": [...], "users": [...]}'
        return {}
    out: dict[str, list[str]] = {}
    for kind in set(data) - {"ips", "domains", "hashes", "users"}:
        errors[f"indicators.{kind}"] = "unknown kind; use ips, domains, hashes, users"
    for kind in ("ips", "domains", "hashes", "users"):
        values = _strings(data.get(kind), f"indicators.{kind}", errors)
        bad = []
        for v in values:
            if kind == "ips":
                try:
                    ipaddress.ip_address(v)
                except ValueError:
                    bad.append(v)
            elif kind == "hashes" and not HASH.match(v.lower()):
                bad.append(v)
            elif kind == "domains" and not DOMAIN.match(v.lower().rstrip(".")):
                bad.append(v)
        if bad:
            what = {"ips": "IP addresses", "hashes": "MD5, SHA-1 or SHA-256 hashes", "domains": "domain names"}[kind]
            errors[f"indicators.{kind}"] = f"not {what}: {', '.join(bad[:5])}" + (" …" if len(bad) > 5 else "")
        if values:
            out[kind] = [v.lower() if kind != "users" else v for v in values]
    return out


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """A launch request → the stored parameters; every problem is named in one ``ValidationError``."""
    if not isinstance(data, dict):
        raise ValidationError("Se esperaba un objeto JSON / Expected a JSON object", {})
    errors: dict[str, str] = {}
    unknown = set(data) - {"from", "to", "devices", "sources", "rules", "rule_ids", "rules_since", "indicators",
                           "incident_id"}
    for k in sorted(unknown):
        errors[k] = "unknown field"
    start, end = parse(data.get("from")), parse(data.get("to"))
    for key, when in (("from", start), ("to", end)):
        if when is not None and not MIN_YEAR <= when.year <= MAX_YEAR:
            errors[key] = f"a date between {MIN_YEAR} and {MAX_YEAR}"
    start, end = (None, None) if errors.keys() & {"from", "to"} else (start, end)
    if start is None and "from" not in errors:
        errors["from"] = "required: a date, or a date and time in UTC (2026-11-01 or 2026-11-01T08:00)"
    if end is None and "to" not in errors:
        errors["to"] = "required: a date, or a date and time in UTC (2026-11-01 or 2026-11-01T08:00)"
    if start and end:
        if len(str(data.get("to"))) == 10:  # a date alone means the whole day
            end += timedelta(days=1) - timedelta(seconds=1)
        if end <= start:
            errors["to"] = "must be later than the start of the range"
        elif end - start > timedelta(days=get_settings().scan_max_days):
            errors["to"] = f"the range may span at most {get_settings().scan_max_days} days"
        elif start > utcnow():
            errors["from"] = "is in the future: nothing is archived yet"
    mode = data.get("rules") or "all"
    rules: dict[str, Any] = {"mode": mode}
    if mode not in ("all", "selected", "since"):
        errors["rules"] = "all, selected or since"
    elif mode == "selected":
        rules["ids"] = _strings(data.get("rule_ids"), "rule_ids", errors, 500)
        if not rules["ids"] and "rule_ids" not in errors:
            errors["rule_ids"] = "pick at least one rule"
    elif mode == "since":
        since = parse(data.get("rules_since"))
        if since is None:
            errors["rules_since"] = "required with rules=since: a date"
        else:
            rules["since"] = since.strftime("%Y-%m-%d")
    params = {"rules": rules, "devices": _strings(data.get("devices"), "devices", errors, 200),
              "sources": _strings(data.get("sources"), "sources", errors, 50),
              "indicators": _indicators(data.get("indicators"), errors)}
    iid = None
    if data.get("incident_id") not in (None, ""):
        iid = as_id(data["incident_id"])
        if iid is None:
            errors["incident_id"] = "must be an integer"
    if errors:
        raise ValidationError("Escaneo no válido / Invalid scan", errors)
    if rules.get("ids"):
        _check_rules(rules)
    if iid is not None:
        incidents.get_row(iid)  # 404 when it does not exist
    return {"from": db_str(start), "to": db_str(end), "incident_id": iid, "params": params}


def _engine() -> Any:
    """The deployed rules, as the stream handler of this container already holds them."""
    from .pipeline.ingest import detector

    return detector().sigma


def rule_catalogue() -> list[dict[str, Any]]:
    """The rules a scan can pick from (id, title, level, date)."""
    from detectors.deepscan.selection import catalogue

    return catalogue(_engine())


def _check_rules(rules: dict[str, Any]) -> None:
    from detectors.deepscan.selection import select

    try:
        select(_engine(), rules["mode"], rules.get("ids") or (), rules.get("since"))
    except ValueError as exc:
        raise ValidationError("Reglas no válidas / Invalid rules", {"rule_ids": str(exc)})


# -- analyst actions ------------------------------------------------------------------------------------------
def create(data: dict[str, Any], actor: str, public_url: str | None = None) -> dict[str, Any]:
    """Record the scan, then start the analyzer (``public_url`` goes with it, for the links in its summary); a
    launch that fails leaves the scan ``failed`` with the reason."""
    from .deepscan import launcher

    v = validate(data)
    db = get_db()
    with db.transaction():
        sid, _ = db.execute("INSERT INTO escaneos (estado, desde, hasta, parametros, incidente_id, creado_por, "
                            "fecha_creacion) VALUES ('en_cola', %s, %s, %s, %s, %s, %s)",
                            (v["from"], v["to"], orjson.dumps(v["params"]).decode(), v["incident_id"], actor, now_str()))
        history.record(v["incident_id"], actor, "escaneo_lanzado",
                       f"Escaneo profundo #{sid}: {v['from']} – {v['to']}")
    try:
        runner = launcher.get()
        task = runner.launch(sid, {"PUBLIC_URL": public_url} if public_url else {})
    except Exception as exc:
        fail(sid, f"could not start the analyzer: {exc}")
        raise ServiceUnavailable("No se pudo iniciar el análisis / Could not start the analyzer",
                                 {"scan_id": sid, "reason": str(exc)[:300]})
    db.execute("UPDATE escaneos SET lanzador = %s, tarea = %s WHERE id = %s", (runner.name, task, sid))
    return get(sid)


def rerun(scan_id: int, actor: str, public_url: str | None = None) -> dict[str, Any]:
    """The same range and parameters again (findings are deduplicated, so nothing is counted twice)."""
    row = get_row(scan_id)
    p = orjson.loads(row["parametros"])
    rules = p.get("rules") or {}
    return create({"from": iso(row["desde"]), "to": iso(row["hasta"]), "devices": p.get("devices"),
                   "sources": p.get("sources"), "rules": rules.get("mode"), "rule_ids": rules.get("ids"),
                   "rules_since": rules.get("since"), "indicators": p.get("indicators") or None,
                   "incident_id": row["incidente_id"]}, actor, public_url)


def cancel(scan_id: int, actor: str) -> dict[str, Any]:
    """A queued scan ends now; a running one is asked to stop and ends within a few seconds (its findings so far
    are not stored)."""
    from .deepscan import launcher

    row = get_row(scan_id)
    db = get_db()
    n = 0
    if row["estado"] == "en_cola":
        _, n = db.execute("UPDATE escaneos SET estado = 'cancelado', cancelar = 1, fecha_fin = %s, error = %s "
                          "WHERE id = %s AND estado = 'en_cola'", (now_str(), f"cancelled by {actor}", scan_id))
        if n and row["tarea"]:
            try:
                launcher.get(row["lanzador"]).stop(row["tarea"])
            except Exception:
                pass  # it will find the scan cancelled and exit
    if not n:  # running (or claimed between our read and the update above)
        row = get_row(scan_id)
        _, n = db.execute("UPDATE escaneos SET cancelar = 1, error = %s WHERE id = %s AND estado = 'en_curso' "
                          "AND cancelar = 0", (f"cancelled by {actor}", scan_id))
    if not n:
        raise Conflict(f"El escaneo ya está {row['estado']} / The scan is already {STATE_API[row['estado']]}")
    history.record(row["incidente_id"], actor, "escaneo_cancelado", f"Escaneo profundo #{scan_id} cancelado")
    return get(scan_id)


# -- reading ---------------------------------------------------------------------------------------------------
def get_row(scan_id: int) -> dict[str, Any]:
    row = get_db().one(f"SELECT {COLS} FROM escaneos WHERE id = %s", (scan_id,))
    if not row:
        raise NotFound(f"Escaneo {scan_id} no encontrado / Scan not found")
    return row


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    p = orjson.loads(row["parametros"] or "{}")
    start, end = parse(row["fecha_inicio"]), parse(row["fecha_fin"])
    total = int(row["objetos_total"] or 0)
    return {"id": row["id"], "state": STATE_API.get(row["estado"], row["estado"]), "from": iso(row["desde"]),
            "to": iso(row["hasta"]), "rules": p.get("rules"), "devices": p.get("devices") or [],
            "sources": p.get("sources") or [], "indicators": p.get("indicators") or {},
            "incident_id": row["incidente_id"], "created_by": row["creado_por"], "launcher": row["lanzador"],
            "task": row["tarea"], "cancel_requested": bool(row["cancelar"]),
            "progress": {"objects_done": int(row["objetos_hechos"] or 0), "objects_total": total,
                         "bytes_done": int(row["bytes_hechos"] or 0), "bytes_total": int(row["bytes_total"] or 0),
                         "events": int(row["eventos"] or 0),
                         "percent": round(100 * int(row["objetos_hechos"] or 0) / total, 1) if total else
                         (100.0 if row["estado"] == "terminado" else 0.0)},
            "findings": int(row["hallazgos"] or 0), "new_alerts": int(row["alertas_nuevas"] or 0),
            "workers": row["trabajadores"], "summary": orjson.loads(row["resumen"]) if row["resumen"] else None,
            "error": row["error"], "report": bool(row["informe_clave"]), "heartbeat": iso(row["latido"]),
            "created_at": iso(row["fecha_creacion"]), "started_at": iso(row["fecha_inicio"]),
            "finished_at": iso(row["fecha_fin"]),
            "seconds": round((end - start).total_seconds(), 1) if start and end else None}


def get(scan_id: int, limit: int | None = 500) -> dict[str, Any]:
    """The scan with its findings (the first ``limit``, new ones first; None for all, as the report wants)."""
    out = to_api(get_row(scan_id))
    rows = get_db().query(
        "SELECT a.id, a.titulo, a.severidad, a.entidad_clave, a.regla_id, a.conteo, a.origen, a.incidente_id, "
        "ea.nueva, ea.eventos FROM escaneo_alertas ea JOIN alertas a ON a.id = ea.alerta_id WHERE ea.escaneo_id = %s "
        "ORDER BY ea.nueva DESC, a.id" + (f" LIMIT {int(limit)}" if limit else ""), (scan_id,))
    out["alerts"] = [{"id": r["id"], "title": r["titulo"], "severity": r["severidad"], "entity_key": r["entidad_clave"],
                      "rule_id": r["regla_id"], "count": int(r["conteo"]), "origin": r["origen"],
                      "incident_id": r["incidente_id"], "new": bool(r["nueva"]), "events": int(r["eventos"])}
                     for r in rows]
    return out


def search(params: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    where, args = [], []
    choice_filter(params, "state", STATES, "estado", where, args, errors)
    id_filter(params, "incident_id", "incidente_id", where, args, errors)
    page, per_page = page_args(params, 25, errors)
    if errors:
        raise ValidationError("Filtros no válidos / Invalid filters", errors)
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    db = get_db()
    total = db.scalar(f"SELECT COUNT(*) AS n FROM escaneos{sql_where}", args) or 0
    rows = db.query(f"SELECT {COLS} FROM escaneos{sql_where} ORDER BY id DESC LIMIT %s OFFSET %s",
                    [*args, per_page, (page - 1) * per_page])
    return {"items": [to_api(r) for r in rows], "total": int(total), "page": page, "per_page": per_page}


# -- the analyzer's side -------------------------------------------------------------------------------------
def claim(scan_id: int) -> dict[str, Any] | None:
    """queued → running; None when the scan is not queued any more (cancelled, or another task has it)."""
    now = now_str()
    _, n = get_db().execute("UPDATE escaneos SET estado = 'en_curso', fecha_inicio = %s, latido = %s "
                            "WHERE id = %s AND estado = 'en_cola'", (now, now, scan_id))
    return get_row(scan_id) if n else None


def heartbeat(scan_id: int, st: dict[str, Any]) -> str:
    """Progress and liveness; returns what the analyzer should do next: ``go``, ``cancel`` or ``stop`` (the scan
    was ended by someone else, e.g. the dead-task check)."""
    db = get_db()
    db.execute("UPDATE escaneos SET objetos_total = %s, objetos_hechos = %s, bytes_total = %s, bytes_hechos = %s, "
               "eventos = %s, latido = %s WHERE id = %s AND estado = 'en_curso'",
               (st.get("objects_total", 0), st.get("objects_done", 0), st.get("bytes_total", 0),
                st.get("bytes_done", 0), st.get("events", 0), now_str(), scan_id))
    row = db.one("SELECT estado, cancelar FROM escaneos WHERE id = %s", (scan_id,))
    if not row or row["estado"] != "en_curso":
        return "stop"
    return "cancel" if row["cancelar"] else "go"


def end(scan_id: int, state: str, error: str | None = None, clear_error: bool = False, **fields: Any) -> bool:
    """running (or queued) → done, failed or cancelled, with the final figures; False if it had already ended.
    ``clear_error``: a cancel that came after the last heartbeat did not stop it, so it is not the reason."""
    sets, args = ["estado = %s", "fecha_fin = %s", "latido = %s"], [state, now_str(), now_str()]
    if error is not None or clear_error:
        sets.append("error = %s")
        args.append(error[:2000] if error is not None else None)
    for col, value in fields.items():
        sets.append(f"{col} = %s")
        args.append(value)
    _, n = get_db().execute(f"UPDATE escaneos SET {', '.join(sets)} WHERE id = %s AND estado IN ('en_cola', 'en_curso')",
                            (*args, scan_id))
    return n == 1


def fail(scan_id: int, reason: str) -> bool:
    return end(scan_id, "fallido", reason)


def check_dead() -> dict[str, int]:
    """The schedule's look at scans still marked active: a task that died without a word (killed, out of memory,
    never started) leaves its scan ``failed`` with the best reason known."""
    from .deepscan import launcher
    from .deepscan.summary import enqueue_summary

    s, db = get_settings(), get_db()
    stale, late = db_str(utcnow() - timedelta(seconds=s.scan_stale_s)), db_str(
        utcnow() - timedelta(seconds=s.scan_start_timeout_s))
    out = {"failed": 0, "cancelled": 0}
    for row in db.query(f"SELECT {COLS} FROM escaneos WHERE estado IN ('en_cola', 'en_curso')"):
        alive, why = True, None
        if row["tarea"] and row["lanzador"]:
            try:
                alive, why = launcher.get(row["lanzador"]).status(row["tarea"])
            except Exception as exc:  # cannot ask: judge by the heartbeat alone
                why = f"task status unavailable: {exc}"[:300]
        if row["estado"] == "en_curso":
            silent = str(row["latido"] or row["fecha_inicio"]) < stale
            if alive and not silent:
                continue
            reason = why if not alive else f"the analyzer stopped reporting progress (last heartbeat {iso(row['latido'])})"
        else:
            if alive and str(row["fecha_creacion"]) >= late:
                continue
            reason = why if not alive else "the analyzer never started"
        try:
            with db.transaction():
                if row["cancelar"]:
                    out["cancelled"] += end(row["id"], "cancelado")
                elif end(row["id"], "fallido", reason or "the analyzer stopped"):
                    out["failed"] += 1
                    enqueue_summary(row["id"])
            if alive and row["tarea"]:  # judged dead while its task still runs: stop it
                launcher.get(row["lanzador"]).stop(row["tarea"])
        except Exception:
            log.exception("dead-task check of scan %s failed", row["id"])
    return out
