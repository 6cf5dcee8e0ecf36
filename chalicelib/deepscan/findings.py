"""A scan's findings become alerts like the stream's, deduplicated by fingerprint against what is stored.

An alert the stream (or an earlier scan) already raised is only linked to the scan: its count is not raised,
because those events were counted when they streamed in. A new one is inserted with origin ``deep scan``.
When the scan was launched from an incident, every finding not yet on an incident is linked to it.
"""
from __future__ import annotations

from typing import Any

from .. import alert_rollup, alerts, history
from ..db import get_db
from ..timeutil import now_str


def store(scan: dict[str, Any], found: list[Any]) -> dict[str, int]:
    """Call inside the transaction that ends the scan; returns ``{"findings", "new", "linked"}``."""
    db = get_db()
    existing: dict[str, dict[str, Any]] = {}
    prints = [a.fingerprint for a in found]
    for i in range(0, len(prints), 500):
        part = prints[i:i + 500]
        for r in db.query(f"SELECT id, huella, incidente_id, estado FROM alertas "
                          f"WHERE huella IN ({', '.join(['%s'] * len(part))})", part):
            existing[r["huella"]] = r
    fresh = [a for a in found if a.fingerprint not in existing]
    created = alerts.store(fresh) if fresh else []
    ids = {c["alert"].fingerprint: c["id"] for c in created}
    links, loose = [], []
    for a in found:
        old = existing.get(a.fingerprint)
        aid = ids[a.fingerprint] if old is None else old["id"]
        links.append((scan["id"], aid, 0 if old else 1, int(a.count)))
        if old is None or (old["incidente_id"] is None and old["estado"] != "descartada"):
            loose.append(aid)  # an analyst's dismissal stands: the scan does not escalate it again
    if links:
        db.executemany("INSERT INTO escaneo_alertas (escaneo_id, alerta_id, nueva, eventos) VALUES (%s, %s, %s, %s)",
                       links)
    linked = link(scan, loose) if scan.get("incidente_id") else 0
    return {"findings": len(found), "new": len(created), "linked": linked}


def link(scan: dict[str, Any], ids: list[int]) -> int:
    """Escalate the loose findings onto the scan's incident: one line per alert in its own history, one line for
    all of them in the incident's timeline (three per alert would bury it). An alert an analyst linked or
    dismissed meanwhile is left as they left it."""
    db, iid, actor, now = get_db(), scan["incidente_id"], scan["creado_por"], now_str()
    roll, done = alert_rollup.Deltas(), []
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        rows = db.query(f"SELECT id, titulo, estado, regla_id, severidad, primera_vez, silencio_id, conteo FROM alertas "
                        f"WHERE id IN ({', '.join(['%s'] * len(part))})", part)
        for r in rows:
            _, n = db.execute("UPDATE alertas SET estado = 'escalada', incidente_id = %s, fecha_actualizacion = %s "
                              "WHERE id = %s AND incidente_id IS NULL AND estado <> 'descartada'", (iid, now, r["id"]))
            if n != 1:
                continue
            base = (alert_rollup.day(r["primera_vez"]), r["regla_id"], r["severidad"])
            sil = 1 if r["silencio_id"] else 0
            roll.move((*base, r["estado"], sil), (*base, "escalada", sil), int(r["conteo"]))
            history.record(None, actor, "alerta_escalada", f"Vinculada al incidente #{iid} por el escaneo profundo "
                           f"#{scan['id']}", field="incidente_id", new=iid, alert_id=r["id"])
            done.append(r)
    roll.flush(db)
    if done:
        names = ", ".join(f"#{r['id']} {r['titulo']}" for r in done[:20]) + (" …" if len(done) > 20 else "")
        history.record(iid, actor, "alertas_vinculadas", f"Escaneo profundo #{scan['id']}: {len(done)} alertas "
                       f"vinculadas: {names}")
    return len(done)
