"""Catalogues of incident types and severities (admin-extensible) and the fixed status workflow."""
from __future__ import annotations

from typing import Any

from . import audit
from .db import get_db
from .errors import Conflict, ValidationError

CATEGORIES = ("tipo", "severidad", "evidencia")  # evidencia: real file types allowed as evidence
STATUSES = ["Abierto", "En investigación", "Contenido", "Resuelto", "Cerrado"]
STATUS_EN = {"Abierto": "Open", "En investigación": "Investigating", "Contenido": "Contained",
             "Resuelto": "Resolved", "Cerrado": "Closed"}
# Forward moves follow the workflow (skipping ahead is allowed); going back to Abierto/En investigación
# from a later state is a reopen and needs a reason.
REOPEN_TARGETS = {"Abierto", "En investigación"}


def is_reopen(old: str, new: str) -> bool:
    if old not in STATUSES or new not in STATUSES:
        return False
    return new in REOPEN_TARGETS and STATUSES.index(new) < STATUSES.index(old) and old in ("Contenido", "Resuelto", "Cerrado")


def allowed_transitions(current: str) -> list[str]:
    if current not in STATUSES:
        return list(STATUSES)
    i = STATUSES.index(current)
    forward = STATUSES[i + 1:]
    back = [s for s in STATUSES[:i] if is_reopen(current, s)]
    return forward + back


def entries(category: str, include_inactive: bool = False) -> list[dict[str, Any]]:
    where = "" if include_inactive else " AND activo = 1"
    return get_db().query("SELECT id, categoria, valor, etiqueta_en, orden, activo FROM catalogos "
                          f"WHERE categoria = %s{where} ORDER BY orden, valor", (category,))


def values(category: str) -> list[str]:
    return [e["valor"] for e in entries(category)]


def labels(category: str) -> dict[str, str]:
    return {e["valor"]: e["etiqueta_en"] or e["valor"] for e in entries(category, include_inactive=True)}


def add(category: str, value: str, label_en: str | None, actor: str) -> dict[str, Any]:
    value = (value or "").strip()
    if category not in CATEGORIES:
        raise ValidationError("Categoría no válida / Invalid category", {"category": "tipo, severidad or evidencia"})
    if category == "evidencia":
        from .filetypes import MIME

        if value not in MIME:
            raise ValidationError("Tipo de archivo desconocido / Unknown file type", {"value": "one of " + ", ".join(MIME)})
    if not 1 <= len(value) <= (50 if category == "tipo" else 20):
        raise ValidationError("Valor no válido / Invalid value", {"value": "1-50 characters (severity: 1-20)"})
    db = get_db()
    existing = db.one("SELECT id, activo FROM catalogos WHERE categoria = %s AND valor = %s", (category, value))
    if existing and existing["activo"]:
        raise Conflict("El valor ya existe / Value already exists", {"value": "taken"})
    if existing:
        db.execute("UPDATE catalogos SET activo = 1, etiqueta_en = %s WHERE id = %s", (label_en or value, existing["id"]))
    else:
        order = (db.scalar("SELECT MAX(orden) AS m FROM catalogos WHERE categoria = %s", (category,)) or 0) + 1
        db.execute("INSERT INTO catalogos (categoria, valor, etiqueta_en, orden, activo) VALUES (%s, %s, %s, %s, 1)",
                   (category, value, (label_en or value).strip()[:100], order))
    audit.record(actor, "catalogo_alta", f"{category}:{value}", label_en)
    return db.one("SELECT id, categoria, valor, etiqueta_en, orden, activo FROM catalogos "
                  "WHERE categoria = %s AND valor = %s", (category, value))  # type: ignore[return-value]


def deactivate(entry_id: int, actor: str) -> None:
    """Retire a value from new incidents; incidents that use it keep it."""
    db = get_db()
    row = db.one("SELECT categoria, valor FROM catalogos WHERE id = %s", (entry_id,))
    if not row:
        raise ValidationError("Entrada no encontrada / Entry not found")
    db.execute("UPDATE catalogos SET activo = 0 WHERE id = %s", (entry_id,))
    audit.record(actor, "catalogo_baja", f"{row['categoria']}:{row['valor']}")
