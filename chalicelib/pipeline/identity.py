"""Record identity, so that a record is committed once whatever delivers it again.

Two deliveries escape the per-device high-water marks: a producer retry (the same data under a new sequence
number, after a read timeout) and a redrive (a parked record, older than the marks). Both are recognised by keys
in ``registros_vistos``:

- ``p:<device>:<id>``: the producer's stable id, given on a first line ``#ci-record-id: <id>`` (the shipper writes
  device, file identity and offset; any shipper may, see the README), kept ``RECORD_ID_WINDOW_SECONDS`` (1 h:
  a producer retries within minutes, and one row per record must not pile up);
- ``k:<shard>:<sequence>``: a redriven record, kept ``RECORD_ID_TTL_SECONDS`` (8 days: longer than the stream
  keeps records), so a second redrive of the same message changes nothing.
"""
from __future__ import annotations

import time
from typing import Any, Iterable

ID_LINE = "#ci-record-id: "
MAX_ID = 200


def split_id(text: str) -> tuple[str | None, str]:
    """The producer id of a record (its first line) and the record without that line."""
    if not text.startswith(ID_LINE):
        return None, text
    head, _, rest = text.partition("\n")
    rid = head[len(ID_LINE):].strip()
    return (rid[:MAX_ID] or None), rest


def with_id(rid: str, data: bytes) -> bytes:
    return f"{ID_LINE}{rid}\n".encode() + data


def keys(rec: dict[str, Any]) -> list[str]:
    """The keys a record is known by: its producer id, and for a redrive its shard and sequence too."""
    part = f":{rec['part']}" if rec.get("part") else ""  # the parse-error lines of a record, parked apart
    out = [f"p:{rec.get('device') or ''}:{rec['rid']}{part}"[:300]] if rec.get("rid") else []
    if rec.get("redrive"):
        out.append(f"k:{rec['shard']}:{rec['seq']}{part}"[:300])
    return out


def seen(db: Any, keys: Iterable[str]) -> set[str]:
    """The keys already committed (inside the chunk's transaction)."""
    return {r["clave"] for r in db.query_in("SELECT clave FROM registros_vistos WHERE clave IN ({marks})",
                                            sorted(set(keys)))}


def remember(db: Any, keys: Iterable[str]) -> None:
    now = time.time()
    rows = [(k, now) for k in sorted(set(keys))]
    if rows:
        db.executemany("INSERT INTO registros_vistos (clave, fecha) VALUES (%s, %s)", rows)


def expire(db: Any, window_s: int, ttl_s: int) -> int:
    """Forget producer ids after the retry window and redrive keys after the TTL (the scheduled job)."""
    now = time.time()
    return db.execute("DELETE FROM registros_vistos WHERE (clave LIKE %s AND fecha < %s) OR fecha < %s",
                      ("p:%", now - window_s, now - ttl_s))[1]
