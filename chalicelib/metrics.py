"""Response-time milestones of an incident, from its status transitions in ``historial``.

- acknowledged: the first move out of ``Abierto``;
- contained: the first time it reached ``Contenido`` or a later status;
- resolved: the last time it entered ``Resuelto``/``Cerrado`` from an earlier status; a reopened incident is
  unresolved (no resolution time) until it is resolved again, and then counts from creation to that moment.

The milestones and their durations in seconds are kept on ``incidentes`` (maintained on every status change),
so the dashboard's means and medians are indexed queries, not a replay of the history.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from .catalogs import STATUSES
from .db import get_db
from .timeutil import db_str, parse

CONTAINED = STATUSES.index("Contenido")
RESOLVED = STATUSES.index("Resuelto")


def _rank(status: str | None) -> int:
    return STATUSES.index(status) if status in STATUSES else 0


def milestones(created: datetime, transitions: Iterable[tuple[datetime, str | None, str | None]]
               ) -> dict[str, datetime | None]:
    """``transitions``: (when, old status, new status) in time order."""
    ack = contain = resolve = None
    for when, old, new in transitions:
        r_old, r_new = _rank(old), _rank(new)
        if ack is None and old == "Abierto" and new != "Abierto":
            ack = when
        if contain is None and r_new >= CONTAINED:
            contain = when
        if r_new >= RESOLVED and r_old < RESOLVED:
            resolve = when
        elif r_new < RESOLVED:
            resolve = None  # reopened: not resolved any more
    return {"ack": ack, "contain": contain, "resolve": resolve}


def _secs(created: datetime, when: datetime | None) -> int | None:
    return None if when is None else max(0, int((when - created).total_seconds()))


def refresh(incident_id: int, db: Any = None) -> dict[str, Any]:
    """Recompute one incident's milestones from its history (a handful of rows) and store them."""
    db = db or get_db()
    inc = db.one("SELECT fecha_creacion FROM incidentes WHERE id = %s", (incident_id,))
    if not inc:
        return {}
    created = parse(inc["fecha_creacion"])
    rows = db.query("SELECT fecha, valor_anterior, valor_nuevo FROM historial WHERE incidente_id = %s "
                    "AND campo = 'estado' AND valor_anterior IS NOT NULL ORDER BY fecha, id", (incident_id,))
    m = milestones(created, [(parse(r["fecha"]), r["valor_anterior"], r["valor_nuevo"]) for r in rows])
    db.execute("UPDATE incidentes SET fecha_reconocimiento = %s, fecha_contencion = %s, fecha_resolucion = %s, "
               "seg_reconocer = %s, seg_contener = %s, seg_resolver = %s WHERE id = %s",
               (*(db_str(v) if v else None for v in (m["ack"], m["contain"], m["resolve"])),
                _secs(created, m["ack"]), _secs(created, m["contain"]), _secs(created, m["resolve"]), incident_id))
    return m


def backfill(db: Any) -> int:
    """Every incident, for databases that predate the milestone columns (migration 5)."""
    ids = [r["id"] for r in db.query("SELECT id FROM incidentes ORDER BY id")]
    for iid in ids:
        refresh(iid, db)
    return len(ids)
