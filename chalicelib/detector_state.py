"""The detectors' state store on MySQL (``estado_detectores``), written back once per committed chunk.

Detectors read and update windows on every event; a round trip per event would cost more than the detection.
Values are read lazily once per chunk, kept in memory, and the changed ones are written in the same
transaction as the chunk's alerts and processed-record marks, so a replay or a failed chunk never leaves the
windows ahead of the alerts. ``discard`` forgets unsaved changes after a failure.
"""
from __future__ import annotations

from typing import Any

import orjson

from .db.connection import Database

_MISSING = object()


class DbStateStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[Any, float] | None] = {}
        self._dirty: set[str] = set()
        self._deleted: set[str] = set()

    def _load(self, key: str) -> tuple[Any, float] | None:
        hit = self._cache.get(key, _MISSING)
        if hit is _MISSING:
            row = self.db.one("SELECT valor, expira FROM estado_detectores WHERE clave = %s", (key,))
            hit = self._cache[key] = (orjson.loads(row["valor"]), float(row["expira"])) if row else None
        return hit  # type: ignore[return-value]

    def get(self, key: str, now: float) -> Any | None:
        item = self._load(key)
        if item is None or item[1] <= now:
            return None
        return item[0]

    def put(self, key: str, value: Any, now: float, ttl: float) -> None:
        self._cache[key] = (value, now + ttl)
        self._dirty.add(key)
        self._deleted.discard(key)

    def delete(self, key: str) -> None:
        self._cache[key] = None
        self._dirty.discard(key)
        self._deleted.add(key)

    def flush(self) -> int:
        """Write the changed keys (call inside the chunk's transaction); returns how many."""
        rows = [(k, orjson.dumps(self._cache[k][0]).decode(), self._cache[k][1])  # type: ignore[index]
                for k in sorted(self._dirty)]
        if rows:
            if self.db.kind == "mysql":
                self.db.executemany("INSERT INTO estado_detectores (clave, valor, expira) VALUES (%s, %s, %s) "
                                    "ON DUPLICATE KEY UPDATE valor = VALUES(valor), expira = VALUES(expira)", rows)
            else:
                self.db.executemany("INSERT INTO estado_detectores (clave, valor, expira) VALUES (%s, %s, %s) "
                                    "ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor, "
                                    "expira = excluded.expira", rows)
        for key in sorted(self._deleted):
            self.db.execute("DELETE FROM estado_detectores WHERE clave = %s", (key,))
        n = len(rows) + len(self._deleted)
        self._dirty.clear()
        self._deleted.clear()
        return n

    def discard(self) -> None:
        """Forget everything read or changed (after a rollback the database is the truth again)."""
        self._cache.clear()
        self._dirty.clear()
        self._deleted.clear()



def purge_expired(db: Database, now: float) -> int:
    """Scheduled: drop windows whose event-time expiry has passed."""
    return db.execute("DELETE FROM estado_detectores WHERE expira <= %s", (now,))[1]
