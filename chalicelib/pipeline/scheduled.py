"""The schedule's work (every few minutes in AWS, every few seconds under ``make run``).

Devices that went silent (flatline), deep scans whose analyzer died without a word, the digest of throttled notifications, retries of unsent ones, and
retention of the stream progress marks and expired detector windows.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from .. import alerts, notify, scans, stats_snapshot, suppressions
from ..config import get_settings
from ..db import get_db
from ..detector_state import DbStateStore, purge_expired
from ..timeutil import ago_str
from . import identity

log = logging.getLogger(__name__)
MARK_RETENTION_S = 8 * 86400  # longer than the stream's longest retention we configure (7 days)


def run(now: float | None = None, digest: bool = True) -> dict[str, Any]:
    from detectors.anomaly import Flatline

    from .ingest import detector

    now = time.time() if now is None else now
    db = get_db()
    out: dict[str, Any] = {}
    flat = [d for d in detector().anomalies if isinstance(d, Flatline)]
    state = DbStateStore(db)
    try:
        with db.transaction():
            found = [a for d in flat for a in d.check(now, state)]
            created = alerts.store(found, suppressions.active())
            notify.enqueue(created)
            state.flush()
    except Exception:
        state.discard()
        raise
    out["flatline_alerts"] = len(created)
    steps = (("scans_checked", scans.check_dead),  # before sending, so a dead scan's summary goes out this run
             ("released", notify.release_stuck), ("digest", (lambda: notify.send_digest()) if digest else None),
             ("notifications", notify.send_pending),
             # a partition key idle for longer than the stream keeps records cannot be replayed: its mark can go
             ("marks_purged", lambda: db.execute("DELETE FROM progreso_flujo WHERE fecha < %s",
                                                 (ago_str(MARK_RETENTION_S),))[1]),
             ("windows_purged", lambda: purge_expired(db, now)),
             ("record_ids_purged", lambda: identity.expire(db, get_settings().record_id_window_s,
                                                          get_settings().record_id_ttl_s)),
             ("stats_snapshot", lambda: stats_snapshot.refresh()["as_of"]))
    for name, step in steps:
        if step is None:
            continue
        try:  # one failing step must not stop the others (a digest error must not stop the purges)
            out[name] = step()
        except Exception as exc:
            log.exception("scheduled step %s failed", name)
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out
