"""A scan's findings become alerts like the stream's, deduplicated by fingerprint against what is stored.

An alert the stream (or an earlier scan) already raised is only linked to the scan: its count is not raised,
because those events were counted when they streamed in. A new one is inserted with origin ``deep scan``.
When the scan was launched from an incident, every finding not yet on an incident is linked to it.
"""
from __future__ import annotations

from typing import Any

from .. import alerts
from ..db import get_db
from ..errors import Conflict


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
    linked = 0
    if scan.get("incidente_id"):
        for aid in loose:
            try:
                alerts.attach(aid, scan["incidente_id"], scan["creado_por"])
                linked += 1
            except Conflict:  # an analyst linked it meanwhile: theirs stands
                pass
    return {"findings": len(found), "new": len(created), "linked": linked}
