"""Alerts per day, rule, severity, state and silence (``resumen_alertas_dia``), kept as alerts change.

The statistics read a few thousand rollup rows for a month instead of every alert of it. Each change to
``alertas`` that moves an alert between buckets (created, repeated, re-dated, triaged, un-silenced) adds its
delta in the same transaction; :func:`rebuild` recomputes the table from ``alertas`` (migration, repair).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .timeutil import parse

Key = tuple  # (day, rule, severity, state, silenced)


def day(value: Any) -> str:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=timezone.utc).strftime("%Y-%m-%d")
    dt = parse(value)
    return dt.strftime("%Y-%m-%d") if dt else "1970-01-01"


class Deltas:
    def __init__(self) -> None:
        self.d: dict[Key, list[int]] = {}

    def add(self, key: Key, alerts: int, events: int) -> None:
        cur = self.d.setdefault(key, [0, 0])
        cur[0] += alerts
        cur[1] += events

    def move(self, old: Key, new: Key, events: int) -> None:
        if old != new:
            self.add(old, -1, -events)
            self.add(new, 1, events)

    def flush(self, db: Any) -> None:
        rows = [(*k, a, e) for k, (a, e) in sorted(self.d.items()) if a or e]
        if rows:
            if db.kind == "mysql":
                db.executemany("INSERT INTO resumen_alertas_dia (dia, regla_id, severidad, estado, silenciada, alertas, "
                               "eventos) VALUES (%s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE "
                               "alertas = alertas + VALUES(alertas), eventos = eventos + VALUES(eventos)", rows)
            else:
                db.executemany("INSERT INTO resumen_alertas_dia (dia, regla_id, severidad, estado, silenciada, alertas, "
                               "eventos) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (dia, regla_id, severidad, "
                               "estado, silenciada) DO UPDATE SET alertas = alertas + excluded.alertas, "
                               "eventos = eventos + excluded.eventos", rows)
        self.d.clear()


def rebuild(db: Any) -> int:
    with db.transaction():
        db.execute("DELETE FROM resumen_alertas_dia")
        _, n = db.execute(
            "INSERT INTO resumen_alertas_dia (dia, regla_id, severidad, estado, silenciada, alertas, eventos) "
            "SELECT DATE(primera_vez), regla_id, severidad, estado, CASE WHEN silencio_id IS NULL THEN 0 ELSE 1 END, "
            "COUNT(*), SUM(conteo) FROM alertas GROUP BY DATE(primera_vez), regla_id, severidad, estado, "
            "CASE WHEN silencio_id IS NULL THEN 0 ELSE 1 END")
    return n
