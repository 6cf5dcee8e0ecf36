"""Audit trail for actions that belong to no incident (logins, users, catalogues, exports)."""
from __future__ import annotations

from .db import get_db
from .timeutil import now_str


def record(user: str, action: str, obj: str | None = None, description: str | None = None) -> None:
    get_db().execute("INSERT INTO auditoria (usuario, accion, objeto, descripcion, fecha) VALUES (%s, %s, %s, %s, %s)",
                     (user, action, obj, description, now_str()))


def recent(limit: int = 50) -> list[dict]:
    return get_db().query("SELECT id, usuario, accion, objeto, descripcion, fecha FROM auditoria "
                          "ORDER BY id DESC LIMIT %s", (int(limit),))
