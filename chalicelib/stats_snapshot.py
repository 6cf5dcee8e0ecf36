"""The dashboard's default view (last 30 days, no filter) as a maintained snapshot, refreshed by the schedule.

Aggregating a month of a busy alert table takes a few hundred milliseconds; the page everyone opens first should
not. The schedule recomputes it every run (5 minutes in AWS, seconds under ``make run``); a reader finds it at
most ``MAX_AGE_S`` old (or recomputes it), ``refresh=1`` recomputes on demand, and any filter is computed live.
"""
from __future__ import annotations

from typing import Any

import orjson

from . import stats
from .db import get_db
from .timeutil import iso, now_str, parse, utcnow

KEY = "default"
MAX_AGE_S = 300


def refresh() -> dict[str, Any]:
    data = stats.compute({})
    now = now_str()
    db = get_db()
    blob = orjson.dumps(data).decode()
    if db.kind == "mysql":
        db.execute("INSERT INTO instantaneas_estadisticas (clave, datos, fecha) VALUES (%s, %s, %s) "
                   "ON DUPLICATE KEY UPDATE datos = VALUES(datos), fecha = VALUES(fecha)", (KEY, blob, now))
    else:
        db.execute("INSERT INTO instantaneas_estadisticas (clave, datos, fecha) VALUES (%s, %s, %s) "
                   "ON CONFLICT (clave) DO UPDATE SET datos = excluded.datos, fecha = excluded.fecha", (KEY, blob, now))
    return {**data, "as_of": iso(now), "snapshot": True}


def current(force: bool = False) -> dict[str, Any]:
    row = None if force else get_db().one("SELECT datos, fecha FROM instantaneas_estadisticas WHERE clave = %s", (KEY,))
    if row and (utcnow() - parse(row["fecha"])).total_seconds() < MAX_AGE_S:
        return {**orjson.loads(row["datos"]), "as_of": iso(row["fecha"]), "snapshot": True}
    return refresh()


def for_params(params: dict[str, Any]) -> dict[str, Any]:
    """No filter: the snapshot; any filter: computed now (``refresh=1`` forces a new snapshot)."""
    filters = {k: v for k, v in params.items() if v not in (None, "") and k != "refresh"}
    if not filters:
        return current(force=str(params.get("refresh", "")).lower() in ("1", "true"))
    return {**stats.compute(filters), "as_of": iso(now_str()), "snapshot": False}
