"""Windowed state behind one small interface, so detectors run the same in Lambda, batch and tests.

The pipeline supplies a MySQL-backed store; tests and the CLI use :class:`MemoryStateStore`.
Values are JSON-serialisable; ``ttl`` is in seconds of *event time*, measured against ``now``.
"""
from __future__ import annotations

from typing import Any, Protocol


class StateStore(Protocol):
    def get(self, key: str, now: float) -> Any | None:
        """Return the value stored under ``key`` unless it expired at event time ``now``."""

    def put(self, key: str, value: Any, now: float, ttl: float) -> None:
        """Store ``value`` under ``key``; it expires at ``now + ttl``."""

    def delete(self, key: str) -> None: ...


class MemoryStateStore:
    """Dict-backed store; expired entries are dropped lazily on read and by :meth:`sweep`."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[Any, float]] = {}

    def get(self, key: str, now: float) -> Any | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires <= now:
            del self._data[key]
            return None
        return value

    def put(self, key: str, value: Any, now: float, ttl: float) -> None:
        self._data[key] = (value, now + ttl)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def sweep(self, now: float) -> int:
        dead = [k for k, (_, exp) in self._data.items() if exp <= now]
        for k in dead:
            del self._data[k]
        return len(dead)

    def __len__(self) -> int:
        return len(self._data)
