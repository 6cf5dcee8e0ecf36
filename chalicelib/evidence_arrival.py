"""S3 ``Object Created`` (via EventBridge) → check size and real type, hash, record, or quarantine.

Idempotent: the row moves out of ``pending`` with a conditional UPDATE, so a duplicate or concurrent
delivery of the same event changes nothing.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from . import auth, catalogs, custody, evidence, filetypes, history, storage
from .config import get_settings
from .db import get_db
from .history import as_id

log = logging.getLogger(__name__)
QUARANTINE_PREFIX = "cuarentena/"


def handle_event(event: dict[str, Any]) -> str:
    """EventBridge event (``detail.bucket.name``, ``detail.object.key``) → outcome."""
    detail = event.get("detail") or {}
    obj = detail.get("object") or {}
    if (detail.get("bucket") or {}).get("name") not in (None, storage.bucket()):
        return "ignored"
    key = unquote_plus(obj.get("key", ""))
    return process(key, obj.get("version-id"))


def process(key: str, version_id: str | None = None) -> str:
    parts = key.split("/")
    if len(parts) < 4 or parts[0] != "evidencias" or as_id(parts[1]) is None:
        return "ignored"
    row = evidence.by_uuid(parts[2])
    if row is not None and row["s3_key"] != key and row["estado"] == "pending":
        _quarantine_unregistered(key)  # an object beside the registered key: not the file the row announced
        return "quarantined"
    meta = storage.head(key)  # once per delivery: size, version and the form upload's metadata
    if meta is None:
        return "duplicate"  # already moved by an earlier delivery
    if row is not None and row["estado"] != "pending":
        new = version_id or meta.get("VersionId")
        if row["estado"] == "stored" and row["s3_key"] == key and new and row["version_s3"] and \
                new != row["version_s3"]:
            return _later_upload(row, key, new)  # a second file posted with a used form
        return "duplicate"
    if row is None:
        row = _row_from_form_upload(key, int(parts[1]), parts[2], meta)
    if row is None:
        _quarantine_unregistered(key)
        return "quarantined"
    if row["estado"] != "pending":
        return "duplicate"
    version_id = version_id or meta.get("VersionId")
    size = int(meta["ContentLength"])
    reason, real = None, None
    if size == 0:
        reason = "archivo vacío / empty file"
    elif size > get_settings().evidence_max_bytes:
        reason = f"demasiado grande: {size} bytes / oversize: {size} > {get_settings().evidence_max_bytes}"
    else:
        real = filetypes.detect(storage.read_head(key, filetypes.HEAD_BYTES, version_id))
        if real not in catalogs.values("evidencia"):
            reason = f"tipo no permitido: {real} / file type not allowed: {real}"
        else:
            reason = filetypes.name_mismatch(row["nombre_archivo"], real)
    if reason:
        return _quarantine(row, key, size, real, reason)
    digest, hashed = storage.sha256_of(key, version_id)
    db = get_db()
    with db.transaction():
        _, changed = db.execute(
            "UPDATE evidencias SET estado = 'stored', sha256 = %s, tipo_real = %s, tamano = %s, version_s3 = %s, "
            "motivo = NULL WHERE id = %s AND estado = 'pending'", (digest, real, hashed, version_id, row["id"]))
        if not changed:
            return "duplicate"
        days = get_settings().evidence_retention_days
        locked = ""
        if days > 0:  # inside the transaction: a version we cannot lock is not recorded as stored
            storage.lock(key, version_id, days)
            locked = f", locked {days} days (governance)"
        custody.record(row["id"], row["incidente_id"], "system", "stored", digest,
                       f"{real}, {hashed} bytes, uploaded by {row['usuario_sube']}{locked}")
        history.record(row["incidente_id"], row["usuario_sube"] or "system", "evidencia_agregada",
                       f"{row['nombre_archivo']} ({real}, {hashed} bytes) SHA-256 {digest}")
    return "stored"


def _quarantine(row: dict[str, Any], key: str, size: int, real: str | None, reason: str) -> str:
    dst = QUARANTINE_PREFIX + key[len("evidencias/"):]
    db = get_db()
    with db.transaction():
        _, changed = db.execute(
            "UPDATE evidencias SET estado = 'quarantined', motivo = %s, tipo_real = %s, tamano = %s, s3_key = %s, "
            "ruta = %s WHERE id = %s AND estado = 'pending'", (reason, real, size, dst, dst, row["id"]))
        if not changed:
            return "duplicate"
        custody.record(row["id"], row["incidente_id"], "system", "quarantined", None, reason)
        history.record(row["incidente_id"], row["usuario_sube"] or "system", "evidencia_rechazada",
                       f"{row['nombre_archivo']}: {reason}")
    storage.move(key, dst)
    return "quarantined"


def _row_from_form_upload(key: str, incident_id: int, slot: str, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The plain HTML form uploads first and registers after: trust it only with a valid slot MAC."""
    md = {k.lower(): v for k, v in (meta.get("Metadata") or {}).items()}
    user, mac = md.get("uploader", ""), md.get("slot", "")
    if not user or not auth.mac_matches(evidence.slot_message(incident_id, slot, user), mac):
        return None
    if not get_db().one("SELECT id FROM incidentes WHERE id = %s", (incident_id,)):
        return None
    name = key.split("/", 3)[3]
    try:
        evidence.insert_pending(incident_id, name, meta.get("ContentType") or "", int(meta["ContentLength"]), user,
                                slot, key)
    except Exception:  # a concurrent delivery inserted it first (unique uuid)
        log.info("form upload %s already registered", key)
    return evidence.by_uuid(slot)


def _later_upload(row: dict[str, Any], key: str, version_id: str) -> str:
    """Another file sent with an upload form already used: that version leaves the evidence, the custody log says
    so, and the stored one is untouched."""
    dst = f"{QUARANTINE_PREFIX}reenvio/{key[len('evidencias/'):]}.{version_id}"
    storage.move_version(key, version_id, dst)
    custody.record(row["id"], row["incidente_id"], "system", "quarantined", None,
                   f"a later upload with the same form (version {version_id}) moved to {dst}")
    return "quarantined"


def _quarantine_unregistered(key: str) -> None:
    log.warning("unregistered object %s moved to quarantine", key)
    storage.move(key, QUARANTINE_PREFIX + "sin-registro/" + key[len("evidencias/"):])


def deliver_pending() -> int:
    """Local stack stand-in for EventBridge: deliver ``Object Created`` for objects not yet processed."""
    from .aws import client

    done = 0
    pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=storage.bucket(), Prefix="evidencias/")
    for page in pages:
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key in _delivered:
                continue
            parts = key.split("/")
            row = evidence.by_uuid(parts[2]) if len(parts) >= 4 else None
            if row is None or row["estado"] == "pending":
                process(key)
                done += 1
            else:
                _delivered.add(key)  # settled: never looked up again by this process
    return done


_delivered: set[str] = set()
