"""The Kinesis handler: decode → parse → archive → detect → alerts → notifications → metrics.

Exactly-once in effect, on an at-least-once stream: Kinesis keeps each partition key's records in order, so
``progreso_flujo`` holds, per shard and partition key, the highest sequence number whose alerts and detector
state are committed, moved in the same transaction; a replayed record is at or below it and is skipped, so a
replayed batch changes nothing. Records are committed in chunks; when the database
fails, the records not yet committed are returned in ``batchItemFailures`` and redelivered. A record that can
never succeed (malformed, oversize) is parked in the dead-letter queue with its reason.
"""
from __future__ import annotations

import base64
import gc
import logging
import time
from typing import Any

from .. import alerts, notify, suppressions
from ..config import get_settings
from ..db import get_db
from ..detector_state import DbStateStore
from ..timeutil import now_str
from ..outage import is_outage
from . import archive, dlq, identity
from .telemetry import Telemetry, tracer

log = logging.getLogger(__name__)
_detector: Any = None


def detector() -> Any:
    """Built once per container; from the compiled rule artifact when it is newer than the rules (Lambda)."""
    global _detector
    if _detector is None:
        from detectors.pipeline import Detector
        from detectors.sigma import SigmaEngine

        _detector = Detector(sigma=SigmaEngine.deployed())
        gc.freeze()  # the compiled rules live as long as the container: the collector need not walk them again
    return _detector


def decode(raw: dict[str, Any]) -> dict[str, Any]:
    """A Lambda Kinesis record → what the pipeline needs; ``problem`` says why it cannot be used."""
    k = raw.get("kinesis") or {}
    seq = str(k.get("sequenceNumber") or "")
    shard = str(raw.get("eventID") or "").split(":")[0] or "shard-unknown"
    rec = {"seq": seq, "shard": shard, "device": k.get("partitionKey") or None,
           "arrival": float(k.get("approximateArrivalTimestamp") or time.time()), "text": "", "size": 0, "problem": None}
    try:
        data = base64.b64decode(k.get("data") or "", validate=True)
    except (ValueError, TypeError) as exc:
        rec["problem"] = f"data is not valid base64: {exc}"
        rec["text"] = str(k.get("data"))[:1000]
        return rec
    rec["size"] = len(data)
    rec["rid"], rec["text"] = identity.split_id(data.decode("utf-8", "replace"))
    limit = get_settings().max_record_bytes
    if len(data) > limit:
        rec["problem"] = f"record of {len(data)} bytes exceeds the {limit}-byte limit"
    elif not rec["text"].strip():
        rec["problem"] = "empty record"
    return rec


def handle(event: dict[str, Any]) -> dict[str, Any]:
    records = [decode(r) for r in event.get("Records") or []]
    tel = Telemetry()
    if not records:
        return {"batchItemFailures": []}
    plog = tel.logger()
    plog.set_correlation_id(f"{records[0]['shard']}:{records[0]['seq']}")  # one id per batch, on every line
    with tracer().provider.in_subsegment("## stream batch") as segment:
        segment.put_annotation("records", len(records))
        return _handle(records, tel, plog)


def _handle(records: list[dict[str, Any]], tel: Telemetry, plog: Any) -> dict[str, Any]:
    try:
        by_shard: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_shard.setdefault(r["shard"], []).append(r)
        for shard, recs in by_shard.items():
            archive.write(shard, recs)
    except Exception as exc:  # without the archive nothing is committed: the whole batch comes again
        log.exception("archive failed")
        tel.count("ArchiveFailures", 1)
        return _response(records, tel, plog, reason=f"archive: {exc}")
    failed = _commit_all(records, tel)
    try:
        notify.send_pending()
    except Exception:  # the outbox keeps them; the schedule retries
        log.exception("sending notifications failed")
    counts = tel.flush()
    plog.info("batch done", extra={"records": len(records), "failed": len(failed), **counts})
    return {"batchItemFailures": [{"itemIdentifier": r["seq"]} for r in failed]}


def reprocess(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records parked earlier (``redrive``: past the high-water marks, once by identity); archived already.
    Returns the records an outage left uncommitted and the telemetry counts."""
    tel = Telemetry()
    failed = _commit_all([{**r, "redrive": True} for r in records], tel)
    return failed, tel.flush()


def _commit_all(records: list[dict[str, Any]], tel: Telemetry) -> list[dict[str, Any]]:
    failed: list[dict[str, Any]] = []
    size = max(1, get_settings().chunk_records)
    for start in range(0, len(records), size):
        chunk = records[start:start + size]
        try:
            try:
                _commit_chunk(chunk, tel)
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.warning("chunk at %s failed (%s: %s); isolating the record at fault", chunk[0]["seq"],
                            type(exc).__name__, exc)
                _isolate(chunk, tel)
        except Exception as exc:  # database down: this chunk and everything after it are redelivered
            log.error("chunk of %d records at %s failed: %s", len(chunk), chunk[0]["seq"], exc)
            failed = records[start:]
            tel.count("FailedRecords", len(failed))
            break
    return failed


def _isolate(chunk: list[dict[str, Any]], tel: Telemetry) -> None:
    """Commit the chunk one record at a time; a record that still fails for a non-outage reason is parked in the
    dead-letter queue with the error, and marked done, so the rest of the shard goes on."""
    for r in chunk:
        try:
            _commit_chunk([r], tel)
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception("record %s cannot be processed", r["seq"])
            dlq.park(f"processing error: {type(exc).__name__}: {str(exc)[:500]}", r)
            tel.count("RecordsToDLQ", 1)
            db = get_db()
            with db.transaction():
                if not r.get("redrive"):
                    _advance(db, _progress(db, [r]), [r])


def _response(records: list[dict[str, Any]], tel: Telemetry, plog: Any, reason: str) -> dict[str, Any]:
    tel.count("FailedRecords", len(records))
    plog.error("batch failed, every record will be redelivered", extra={"records": len(records), "reason": reason,
                                                                        **tel.flush()})
    return {"batchItemFailures": [{"itemIdentifier": r["seq"]} for r in records]}


def _commit_chunk(chunk: list[dict[str, Any]], tel: Telemetry) -> None:
    from detectors.parsers import NotEvent, ParseError, Skipped, parse_record

    db = get_db()
    state = DbStateStore(db)
    det = detector()
    try:
        with db.transaction():
            done = _progress(db, chunk)
            unmarked = [r for r in chunk if not r.get("redrive") and
                        int(r["seq"]) > done.get((r["shard"], r["device"] or ""), -1)]
            candidates = unmarked + [r for r in chunk if r.get("redrive")]  # a redrive bypasses the marks
            repeats = identity.seen(db, [k for r in candidates for k in identity.keys(r)])
            fresh = []
            for r in candidates:  # a producer retry (in this chunk or committed before), a redrive again
                keys = identity.keys(r)
                if repeats.isdisjoint(keys):
                    fresh.append(r)
                    repeats.update(keys)
            events: list[Any] = []
            committed: list[str] = []
            for r in fresh:
                if r["problem"]:
                    dlq.park(r["problem"], r)
                    tel.count("RecordsToDLQ", 1)
                    continue
                committed += identity.keys(r)
                parsed = parse_record(r["text"], device=r["device"], received=r["arrival"])
                bad = [p for p in parsed if isinstance(p, ParseError)]
                if bad:
                    dlq.park("; ".join(sorted({b.reason for b in bad}))[:1000] +
                             f" ({len(bad)} of {len(parsed)} lines)",
                             {**r, "text": "\n".join(b.raw for b in bad), "part": "parse-errors"})
                    tel.count("ParseErrors", len(bad))
                    tel.count("RecordsToDLQ", 1)
                skipped = sum(isinstance(p, Skipped) for p in parsed)
                if skipped:
                    tel.count("RecordsSkipped", skipped)
                events += [_sane_time(p, r["arrival"]) for p in parsed if not isinstance(p, NotEvent)]
            det.state = state
            found, _ = det.process(events)
            created = alerts.store(found, suppressions.active())
            notify.enqueue(created)
            state.flush()
            identity.remember(db, committed)
            _advance(db, done, unmarked)
    except Exception:
        state.discard()
        raise
    tel.count("RecordsIn", len(chunk))
    tel.count("RecordsReplayed", len(chunk) - len(candidates))
    if repeats:
        tel.count("RecordsDuplicate", len(candidates) - len(fresh))
    tel.count("EventsIn", len(events))
    for a in created:
        tel.count(f"Alerts{alerts.SEVERITY_EN.get(a['alert'].severity, 'OTHER').title()}", 1)
    tel.latency(time.time() - min(r["arrival"] for r in chunk))  # from Kinesis arrival to committed alerts


PAST_S, FUTURE_S = 5 * 366 * 86400, 86400


def _sane_time(ev: dict[str, Any], arrival: float) -> dict[str, Any]:
    """An event time more than a day ahead of its arrival, or years behind, is a broken clock or a forged field:
    the event is kept, timed at its arrival, and says so (``_ts_adjusted``), so windows and dates stay sane."""
    ts = ev.get("_ts")
    if not isinstance(ts, (int, float)) or not arrival - PAST_S <= ts <= arrival + FUTURE_S:
        ev["_ts_adjusted"] = str(ts)[:40]
        ev["_ts"] = arrival
    return ev


def _progress(db: Any, chunk: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """The committed high-water mark of each (shard, partition key) in the chunk."""
    out: dict[tuple[str, str], int] = {}
    by_shard: dict[str, set[str]] = {}
    for r in chunk:
        by_shard.setdefault(r["shard"], set()).add(r["device"] or "")
    for shard, keys in by_shard.items():
        for row in db.query_in("SELECT clave, secuencia FROM progreso_flujo WHERE fuente = %s AND clave IN ({marks})",
                               sorted(keys), (shard,)):
            out[(shard, row["clave"])] = int(row["secuencia"])
    return out


def _advance(db: Any, done: dict[tuple[str, str], int], fresh: list[dict[str, Any]]) -> None:
    """Move the marks past the records just committed (inside the chunk's transaction)."""
    high: dict[tuple[str, str], int] = {}
    for r in fresh:
        key = (r["shard"], r["device"] or "")
        high[key] = max(high.get(key, 0), int(r["seq"]))
    now = now_str()
    for (shard, key), seq in sorted(high.items()):
        if (shard, key) in done:
            db.execute("UPDATE progreso_flujo SET secuencia = %s, fecha = %s WHERE fuente = %s AND clave = %s",
                       (str(seq), now, shard, key))
        else:
            db.execute("INSERT INTO progreso_flujo (fuente, clave, secuencia, fecha) VALUES (%s, %s, %s, %s)",
                       (shard, key, str(seq), now))
