"""One scan from start to end, as the analyzer container runs it (``python -m chalicelib.deepscan --scan-id N``).

Claims the queued scan, scans the archive on every core, reports progress at most every
``SCAN_PROGRESS_SECONDS`` (and hears a cancel there), then, in one transaction, stores the findings, ends the
scan and writes its report, so a crash at any point leaves either nothing or everything. The team's SNS summary
goes through the outbox.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import timezone
from typing import Any, Callable

import orjson

from .. import history, notify, scans
from ..config import get_settings
from ..db import get_db
from ..timeutil import parse
from . import findings, parallel, report
from .archive_reader import list_objects
from .summary import enqueue_summary

log = logging.getLogger(__name__)


class Stop(Exception):
    """The scan must end now: ``cancel`` (asked for), ``stop`` (ended elsewhere) or ``terminated`` (a signal)."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def bar(started: float) -> Callable[[dict[str, Any]], None]:
    """A one-line progress bar on stderr when it is a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return lambda st: None

    def draw(st: dict[str, Any]) -> None:
        done, total = st.get("objects_done", 0), max(1, st.get("objects_total", 0))
        sys.stderr.write(f"\r[{'#' * int(30 * done / total):<30}] {done}/{total} objects, {st.get('events', 0):,} "
                         f"events, {st.get('bytes_done', 0) / 1e6:.1f} MB, {time.time() - started:.0f} s")
        sys.stderr.flush()
    return draw


def figures(out: dict[str, Any], seconds: float) -> dict[str, Any]:
    secs = max(seconds, 1e-9)
    return {"seconds": round(seconds, 2), "workers": out.get("workers", 1), "objects": out["objects_total"],
            "bytes": out["bytes_total"], "records": out["records"], "duplicates": out["duplicates"],
            "skipped": out.get("skipped", 0), "events": out["events"], "parse_errors": out["parse_errors"],
            "corrupt_objects": out["corrupt"], "events_per_second": int(out["events"] / secs),
            "mb_per_second": round(out["bytes_total"] / 1e6 / secs, 2)}


def _on_signal(signum: int, _frame: Any) -> None:
    raise Stop("terminated")


def run(scan_id: int, workers: int = 0) -> int:
    """Exit code 0 when the scan ended as it should (done or cancelled), 1 when it failed."""
    row = scans.claim(scan_id)
    if row is None:
        log.warning("scan %s is not queued any more; nothing to do", scan_id)
        return 0
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_signal) if main else None
    started, draw, last = time.time(), bar(time.time()), [0.0]
    progress_s = get_settings().scan_progress_s
    state: dict[str, Any] = {}

    def progress(st: dict[str, Any], force: bool = False) -> None:
        state.update(st)
        draw(st)
        now = time.monotonic()
        if force or now - last[0] >= progress_s or st.get("objects_done") == st.get("objects_total"):
            last[0] = now
            action = scans.heartbeat(scan_id, state)
            if action != "go":
                raise Stop(action)

    try:
        params = orjson.loads(row["parametros"])
        start = parse(row["desde"]).replace(tzinfo=timezone.utc)  # type: ignore[union-attr]
        end = parse(row["hasta"]).replace(tzinfo=timezone.utc)  # type: ignore[union-attr]
        state.update({"objects_total": 0, "objects_done": 0, "bytes_total": 0, "bytes_done": 0, "events": 0})
        objects = list_objects(start, end, tick=lambda: progress(state))
        progress({"objects_total": len(objects), "objects_done": 0, "bytes_total": sum(o["size"] for o in objects),
                  "bytes_done": 0, "events": 0}, force=True)
        out = parallel.run(params, start, end, objects, workers, progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        summary = figures(out, time.time() - started)
        progress({k: out[k] for k in ("objects_total", "objects_done", "bytes_total", "bytes_done", "events")},
                 force=True)  # alive, and not cancelled, just before the findings are written
        db = get_db()
        with db.transaction():
            got = findings.store(row, out["alerts"])
            summary.update(got)
            if not scans.end(scan_id, "terminado", hallazgos=got["findings"], alertas_nuevas=got["new"],
                             trabajadores=summary["workers"], objetos_total=out["objects_total"],
                             objetos_hechos=out["objects_done"], bytes_total=out["bytes_total"],
                             bytes_hechos=out["bytes_done"], eventos=out["events"],
                             resumen=orjson.dumps(summary).decode(), informe_clave=f"scans/{int(scan_id)}/report",
                             clear_error=True):
                raise Stop("stop")  # ended meanwhile (e.g. judged dead): keep nothing
            history.record(row["incidente_id"], row["creado_por"], "escaneo_terminado",
                           f"Escaneo profundo #{scan_id}: {got['findings']} hallazgos, {got['new']} alertas nuevas, "
                           f"{out['events']} eventos")
            report.publish(scan_id)
            enqueue_summary(scan_id)  # with the end, so the team hears of every scan that ended
        log.info("scan %s done: %s", scan_id, summary)
        _send()
        return 0
    except Stop as stop:
        cancel = stop.action == "cancel" or (stop.action == "terminated" and _cancel_asked(scan_id))
        if cancel:
            scans.end(scan_id, "cancelado", objetos_hechos=state.get("objects_done", 0), eventos=state.get("events", 0))
        elif stop.action == "terminated":
            _fail(scan_id, "the analyzer was stopped by SIGTERM (task stopped)")
            return 1
        return 0
    except Exception as exc:
        log.exception("scan %s failed", scan_id)
        _fail(scan_id, f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


def _cancel_asked(scan_id: int) -> bool:
    return bool(get_db().scalar("SELECT cancelar FROM escaneos WHERE id = %s", (scan_id,)))


def _fail(scan_id: int, reason: str) -> None:
    """failed, with its summary queued in the same transaction; then an attempt to send it now."""
    try:
        with get_db().transaction():
            if scans.fail(scan_id, reason):
                enqueue_summary(scan_id)
    except Exception:  # the database is what failed: the schedule's dead-task check will end the scan
        log.exception("scan %s: could not record the failure", scan_id)
        return
    _send()


def _send() -> None:
    """Send the outbox now if SNS answers; the schedule retries what stays pending."""
    try:
        notify.send_pending()
    except Exception:
        log.exception("summary not sent now; the schedule will retry")
