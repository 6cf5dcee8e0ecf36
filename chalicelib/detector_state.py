"""The detectors' state store on MySQL (``estado_detectores``), mirrored in memory once per container.

Detectors read and update windows on every event, mostly for keys never seen before (a new source address);
a round trip per key would cost more than the detection. So a container loads the live windows once, then
before each chunk reads only the rows other containers changed since its last look (``actualizado``), and
writes its own changes in the same transaction as the chunk's alerts and processed-record marks: a failed
chunk never leaves the windows ahead of the alerts. After a rollback the mirror is dropped and reloaded.
Concurrent containers that touch the same key keep the last write, as windowed counters can afford.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import orjson

from .db.connection import Database

WRITER = str(uuid.uuid4())  # this container: its own writes are already in its mirror
SKEW_S = 5.0  # re-read a little before the last look: clocks of different hosts are not perfectly aligned


class _Mirror:
    def __init__(self) -> None:
        self.db: Database | None = None
        self.data: dict[str, tuple[Any, float]] = {}
        self.synced: float | None = None
        self.swept_at = 0.0
        self.swept: set[str] = set()  # keys dropped from memory (long expired): read again from the table if asked


_mirror = _Mirror()
MAX_KEY = 200


def db_key(key: str) -> str:
    """Keys are built from log fields (a user name can be any length): long ones are shortened by a hash."""
    if len(key) <= MAX_KEY:
        return key
    return key[:120] + "#" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def reset() -> None:
    """Forget the container's mirror (a test that empties the table, a rollback)."""
    global _mirror
    _mirror = _Mirror()


class DbStateStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._dirty: set[str] = set()
        self._deleted: set[str] = set()
        self.sync()

    def sync(self) -> int:
        """Bring the mirror up to date: everything the first time, then the rows changed since the last look."""
        m = _mirror
        if m.db is not self.db:
            m.db, m.data, m.synced = self.db, {}, None
        started = time.time()
        if m.synced is None:
            rows = self.db.query("SELECT clave, valor, expira FROM estado_detectores")
        else:
            rows = self.db.query("SELECT clave, valor, expira FROM estado_detectores WHERE actualizado >= %s "
                                 "AND (escritor IS NULL OR escritor <> %s)", (m.synced - SKEW_S, WRITER))
        for r in rows:
            m.data[r["clave"]] = (orjson.loads(r["valor"]), float(r["expira"]))
        m.synced = started
        if started - m.swept_at > 300:  # memory forgets windows long expired by the clock (re-read if needed)
            m.swept_at = started
            if len(m.swept) > 200_000:
                m.swept.clear()
            for key in [k for k, (_, exp) in m.data.items() if exp < started - 3600]:
                del m.data[key]
                m.swept.add(key)
        return len(rows)

    def get(self, key: str, now: float) -> Any | None:
        key = db_key(key)
        item = _mirror.data.get(key)
        if item is None and key in _mirror.swept:  # a backfill of old events may still want it
            _mirror.swept.discard(key)
            row = self.db.one("SELECT valor, expira FROM estado_detectores WHERE clave = %s", (key,))
            if row:
                item = _mirror.data[key] = (orjson.loads(row["valor"]), float(row["expira"]))
        if item is None or item[1] <= now:
            return None
        return item[0]

    def put(self, key: str, value: Any, now: float, ttl: float) -> None:
        key = db_key(key)
        _mirror.data[key] = (value, now + ttl)
        self._dirty.add(key)
        self._deleted.discard(key)

    def delete(self, key: str) -> None:
        key = db_key(key)
        _mirror.data.pop(key, None)
        self._dirty.discard(key)
        self._deleted.add(key)

    def flush(self) -> int:
        """Write the changed keys (call inside the chunk's transaction); returns how many."""
        now = time.time()
        data = _mirror.data
        rows = [(k, orjson.dumps(data[k][0]).decode(), data[k][1], now, WRITER) for k in sorted(self._dirty) if k in data]
        if rows:
            if self.db.kind == "mysql":
                self.db.executemany("INSERT INTO estado_detectores (clave, valor, expira, actualizado, escritor) VALUES "
                                    "(%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE valor = VALUES(valor), "
                                    "expira = VALUES(expira), actualizado = VALUES(actualizado), "
                                    "escritor = VALUES(escritor)", rows)
            else:
                self.db.executemany("INSERT INTO estado_detectores (clave, valor, expira, actualizado, escritor) VALUES "
                                    "(%s, %s, %s, %s, %s) ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor, "
                                    "expira = excluded.expira, actualizado = excluded.actualizado, "
                                    "escritor = excluded.escritor", rows)
        for key in sorted(self._deleted):
            self.db.execute("DELETE FROM estado_detectores WHERE clave = %s", (key,))
        n = len(rows) + len(self._deleted)
        self._dirty.clear()
        self._deleted.clear()
        return n

    def discard(self) -> None:
        """After a rollback the in-memory windows may be ahead of the database: reload them next time."""
        self._dirty.clear()
        self._deleted.clear()
        reset()


def purge_expired(db: Database, now: float, grace_s: float = 86400) -> int:
    """Scheduled: drop windows expired a day ago by the clock (a backfill of older logs keeps its own for a day)."""
    return db.execute("DELETE FROM estado_detectores WHERE expira <= %s", (now - grace_s,))[1]
