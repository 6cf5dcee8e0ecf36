"""The figures of the dashboard, the reports page and ``GET /api/stats``: one function, the same filters.

Everything is an aggregate query on indexed columns (response times are stored per incident by
:mod:`chalicelib.metrics`); medians take one ordered, offset read per group instead of loading rows.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from .alerts import SEVERITIES
from .catalogs import STATUSES
from .db import get_db
from .errors import ValidationError
from .timeutil import db_str, parse_user_date, utcnow

METRICS = {"mtta": "seg_reconocer", "mttc": "seg_contener", "mttr": "seg_resolver"}
DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3
TOP = 10


def _period(params: dict[str, Any], errors: dict[str, str]) -> tuple[str, str]:
    now = utcnow()
    # the default end leaves a day of slack: device clocks run ahead (the pipeline accepts up to a day)
    start, end = db_str(now - timedelta(days=DEFAULT_DAYS)), db_str(now + timedelta(days=1))
    for key, end_of_day in (("date_from", False), ("date_to", True)):
        if params.get(key):
            try:
                value = parse_user_date(str(params[key]), end=end_of_day)
            except ValueError:
                errors[key] = "expected YYYY-MM-DD or ISO 8601"
                continue
            if key == "date_from":
                start = value
            else:
                end = value
    if not errors and start > end:
        errors["date_from"] = "must not be after date_to"
    return start, end


def filters(params: dict[str, Any]) -> dict[str, Any]:
    """Validated filters: period (default the last 30 days), type, severity, status, assignee."""
    errors: dict[str, str] = {}
    start, end = _period(params, errors)
    out: dict[str, Any] = {"date_from": start, "date_to": end}
    if params.get("severity"):
        if params["severity"] not in SEVERITIES:
            errors["severity"] = f"one of {', '.join(SEVERITIES)}"
        out["severity"] = params["severity"]
    if params.get("status"):
        if params["status"] not in STATUSES:
            errors["status"] = f"one of {', '.join(STATUSES)}"
        out["status"] = params["status"]
    for key in ("type", "assignee"):
        if params.get(key):
            out[key] = str(params[key])[:100]
    if errors:
        raise ValidationError("Filtros no válidos / Invalid filters", errors)
    return out


def _incident_where(f: dict[str, Any], period: bool = True) -> tuple[str, list[Any]]:
    where, args = [], []
    if period:
        where.append("fecha_creacion BETWEEN %s AND %s")
        args += [f["date_from"], f["date_to"]]
    for key, col in (("type", "tipo"), ("severity", "severidad"), ("status", "estado"), ("assignee", "asignado_a")):
        if f.get(key):
            where.append(f"{col} = %s")
            args.append(f[key])
    return (" WHERE " + " AND ".join(where)) if where else "", args


def _alert_where(f: dict[str, Any]) -> tuple[str, list[Any]]:
    where, args = ["primera_vez BETWEEN %s AND %s", "silencio_id IS NULL"], [f["date_from"], f["date_to"]]
    if f.get("severity"):
        where.append("severidad = %s")
        args.append(f["severity"])
    return " WHERE " + " AND ".join(where), args


def _rollup_where(f: dict[str, Any]) -> tuple[str, list[Any]]:
    """Alert counts come from whole UTC days of the rollup: the days the period touches."""
    where, args = ["dia BETWEEN %s AND %s", "silenciada = 0"], [f["date_from"][:10], f["date_to"][:10]]
    if f.get("severity"):
        where.append("severidad = %s")
        args.append(f["severity"])
    return " WHERE " + " AND ".join(where), args


def _week(col: str) -> str:
    if get_db().kind == "mysql":
        return f"DATE(DATE_SUB({col}, INTERVAL WEEKDAY({col}) DAY))"
    return f"date({col}, '-' || ((CAST(strftime('%w', {col}) AS INTEGER) + 6) % 7) || ' days')"


def _medians(col: str, where: str, args: list[Any]) -> dict[tuple[str, str | None], float]:
    """Exact medians overall, per severity and per type in one round trip: a window function numbers the values
    and only the one or two middle rows of each group come back (MariaDB ≥ 10.2, MySQL 8, SQLite ≥ 3.25). One
    window per branch: MariaDB mis-numbers rows when one SELECT mixes window orders."""
    mid = "FLOOR((n + 1) / 2), FLOOR((n + 2) / 2)" if get_db().kind == "mysql" else "(n + 1) / 2, (n + 2) / 2"
    branches = []
    for dim, part in (("all", "NULL"), ("severity", "severidad"), ("type", "tipo")):
        over = "" if part == "NULL" else f"PARTITION BY {part} "
        branches.append(
            f"SELECT '{dim}' AS dim, k, v FROM (SELECT {part} AS k, {col} AS v, "
            f"ROW_NUMBER() OVER ({over}ORDER BY {col}) AS r, COUNT(*) OVER ({over.strip()}) AS n "
            f"FROM incidentes{where} AND {col} IS NOT NULL) w_{dim} WHERE r IN ({mid})")
    rows = get_db().query(" UNION ALL ".join(branches), args * 3)
    picks: dict[tuple[str, str | None], list[float]] = {}
    for r in rows:
        picks.setdefault((r["dim"], r["k"]), []).append(float(r["v"]))
    return {k: sum(v) / len(v) for k, v in picks.items()}


def response_times(f: dict[str, Any]) -> dict[str, Any]:
    """Mean and median seconds to acknowledge, contain and resolve, overall and per severity and type."""
    db = get_db()
    where, args = _incident_where(f)
    sums = ", ".join(f"COUNT({c}) AS n_{m}, SUM({c}) AS s_{m}" for m, c in METRICS.items())
    groups = db.query(f"SELECT severidad, tipo, {sums} FROM incidentes{where} GROUP BY severidad, tipo", args)
    out: dict[str, Any] = {}
    for name, col in METRICS.items():
        med = _medians(col, where, args) if any(int(g[f"n_{name}"] or 0) for g in groups) else {}

        def entry(rows: list[dict[str, Any]], key: tuple[str, str | None]) -> dict[str, Any]:
            n = sum(int(g[f"n_{name}"] or 0) for g in rows)
            total = sum(float(g[f"s_{name}"] or 0) for g in rows)
            return {"n": n, "mean_s": round(total / n, 1) if n else None,
                    "median_s": round(med[key], 1) if key in med else None}

        e = entry(groups, ("all", None))
        for dim, label, dcol in (("by_severity", "severity", "severidad"), ("by_type", "type", "tipo")):
            keys = sorted({g[dcol] for g in groups})
            e[dim] = {k: v for k in keys for v in [entry([g for g in groups if g[dcol] == k], (label, k))] if v["n"]}
        out[name] = e
    return out


_RULES: dict[str, tuple[str, list[str]]] = {}


def _rule_info(rule_ids: list[str]) -> dict[str, tuple[str, list[str]]]:
    """Title and ATT&CK tags per rule, read once per container (one indexed row per rule)."""
    db = get_db()
    for rid in rule_ids:
        if rid not in _RULES:
            row = db.one("SELECT titulo, tecnicas FROM alertas WHERE regla_id = %s ORDER BY ultima_vez DESC LIMIT 1",
                         (rid,))
            if row:
                _RULES[rid] = (row["titulo"], orjson.loads(row["tecnicas"] or "[]"))
    return {rid: _RULES[rid] for rid in rule_ids if rid in _RULES}


def compute(params: dict[str, Any]) -> dict[str, Any]:
    f = filters(params)
    db = get_db()
    iw, ia = _incident_where(f)
    open_where, open_args = _incident_where({**f, "status": None}, period=False)
    open_clause = (open_where + " AND " if open_where else " WHERE ") + "estado NOT IN ('Resuelto', 'Cerrado')"
    open_by_sev = {r["k"]: int(r["n"]) for r in db.query(
        f"SELECT severidad AS k, COUNT(*) AS n FROM incidentes{open_clause} GROUP BY severidad", open_args)}
    weekly = db.query(f"SELECT {_week('fecha_creacion')} AS w, tipo AS k, COUNT(*) AS n FROM incidentes{iw} "
                      f"GROUP BY w, tipo ORDER BY w, tipo", ia)
    created = int(db.scalar(f"SELECT COUNT(*) AS n FROM incidentes{iw}", ia) or 0)
    aw, aa = _alert_where(f)
    rw, ra = _rollup_where(f)
    daily = [r for r in db.query(f"SELECT dia AS d, severidad AS k, SUM(alertas) AS n FROM resumen_alertas_dia{rw} "
                                 f"GROUP BY dia, severidad ORDER BY dia, severidad", ra) if int(r["n"] or 0)]
    rules = [r for r in db.query(  # every rule of the period: a few dozen rows from the daily rollup
        f"SELECT regla_id, SUM(alertas) AS n, SUM(eventos) AS events, "
        f"SUM(CASE WHEN estado = 'escalada' THEN alertas ELSE 0 END) AS escalated, "
        f"SUM(CASE WHEN estado = 'descartada' THEN alertas ELSE 0 END) AS dismissed "
        f"FROM resumen_alertas_dia{rw} GROUP BY regla_id ORDER BY n DESC, regla_id", ra) if int(r["n"] or 0)]
    entities = db.query(f"SELECT entidad_clave AS k, COUNT(*) AS n, SUM(conteo) AS events FROM alertas{aw} "
                        f"GROUP BY entidad_clave ORDER BY n DESC, entidad_clave LIMIT {TOP}", aa)
    info = _rule_info([r["regla_id"] for r in rules])
    techniques: dict[str, int] = {}
    for r in rules:  # a rule's ATT&CK tags are the same on all its alerts
        for t in info.get(r["regla_id"], ("", []))[1]:
            if str(t).upper().startswith("T"):
                techniques[str(t).upper()] = techniques.get(str(t).upper(), 0) + int(r["n"])
    rules = rules[:TOP]
    alert_total = sum(int(r["n"]) for r in daily)
    return {
        "filters": f,
        "incidents": {"created": created, "open_by_severity": open_by_sev, "open": sum(open_by_sev.values()),
                      "per_week_by_type": [{"week": str(r["w"])[:10], "type": r["k"], "count": int(r["n"])}
                                           for r in weekly]},
        "response_times": response_times(f),
        "alerts": {"created": alert_total,
                   "per_day_by_severity": [{"day": str(r["d"])[:10], "severity": r["k"], "count": int(r["n"])}
                                           for r in daily],
                   "top_rules": [{"rule_id": r["regla_id"], "title": info.get(r["regla_id"], (r["regla_id"],))[0],
                                  "alerts": int(r["n"]),
                                  "events": int(r["events"] or 0), "escalated": int(r["escalated"] or 0),
                                  "dismissed": int(r["dismissed"] or 0),
                                  "conversion_rate": round(int(r["escalated"] or 0) / int(r["n"]), 3),
                                  "dismissal_rate": round(int(r["dismissed"] or 0) / int(r["n"]), 3)} for r in rules],
                   "top_entities": [{"entity_key": r["k"], "alerts": int(r["n"]), "events": int(r["events"] or 0)}
                                    for r in entities],
                   "attack_techniques": [{"technique": k, "alerts": v} for k, v in
                                         sorted(techniques.items(), key=lambda kv: (-kv[1], kv[0]))]},
    }
