"""Evidence: upload plans straight to S3, listing, download links, re-verification and deletion.

The browser never sends file bytes through Lambda (6 MB limit): it gets a presigned POST (or a multipart
plan for large files) and S3's ``Object Created`` event triggers :mod:`chalicelib.evidence_arrival`.
"""
from __future__ import annotations

import hmac
import re
import unicodedata
import uuid as uuidlib
from typing import Any
from urllib.parse import quote

from . import custody, history, incidents, storage
from .config import get_settings
from .db import get_db
from .errors import Conflict, NotFound, ValidationError
from .timeutil import iso, now_str

UPLOAD_EXPIRES = 15 * 60
DOWNLOAD_EXPIRES = 5 * 60
COLS = ("id, incidente_id, nombre_archivo, tipo_archivo, s3_key, tamano, fecha_subida, uuid, estado, motivo, sha256, "
        "tipo_real, usuario_sube, tamano_declarado, version_s3, id_multipart, fecha_verificacion, eliminado_por, "
        "motivo_eliminacion, fecha_eliminacion")
_UNSAFE = re.compile(r"[^\w.\-() ]+", re.UNICODE)


def display_name(name: str) -> str:
    """The name as shown: without control and format characters (a right-to-left override turns
    ``invoice‮fdp.exe`` into "invoiceexe.pdf" on screen)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    return "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf")).strip() or "archivo"


def safe_name(name: str) -> str:
    """A storage-safe file name: no path, no control characters, no ``+``/``%``, at most 120 characters."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    name = re.sub(r"\s+", "_", name)
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 119 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else name[:120]
    return name or "archivo"


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "incident_id": row["incidente_id"], "file_name": row["nombre_archivo"],
            "declared_type": row["tipo_archivo"], "real_type": row["tipo_real"], "size": row["tamano"],
            "sha256": row["sha256"], "state": row["estado"] or "stored", "reason": row["motivo"],
            "uploaded_by": row["usuario_sube"], "uploaded_at": iso(row["fecha_subida"]),
            "verified_at": iso(row["fecha_verificacion"]), "deleted_by": row["eliminado_por"],
            "deletion_reason": row["motivo_eliminacion"], "deleted_at": iso(row["fecha_eliminacion"])}


def get_row(evidence_id: int) -> dict[str, Any]:
    row = get_db().one(f"SELECT {COLS} FROM evidencias WHERE id = %s", (evidence_id,))
    if not row:
        raise NotFound(f"Evidencia {evidence_id} no encontrada / Evidence not found")
    return row


def by_uuid(upload_id: str) -> dict[str, Any] | None:
    return get_db().one(f"SELECT {COLS} FROM evidencias WHERE uuid = %s", (upload_id,))


def list_for_incident(incident_id: int) -> list[dict[str, Any]]:
    incidents.get_row(incident_id)
    return [to_api(r) for r in get_db().query(f"SELECT {COLS} FROM evidencias WHERE incidente_id = %s "
                                              "ORDER BY fecha_subida DESC, id DESC", (incident_id,))]


def _key(incident_id: int, upload_id: str, name: str) -> str:
    return f"evidencias/{incident_id}/{upload_id}/{name}"


def insert_pending(incident_id: int, file_name: str, declared: str, size: int | None, user: str,
                   upload_id: str, key: str) -> int:
    eid, _ = get_db().execute(
        "INSERT INTO evidencias (incidente_id, nombre_archivo, tipo_archivo, ruta, s3_key, s3_url, tamano, fecha_subida, "
        "uuid, estado, usuario_sube, tamano_declarado) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s)",
        (incident_id, file_name[:255], (declared or "")[:30] or None, key, key, f"s3://{storage.bucket()}/{key}"[:1000],
         size, now_str(), upload_id, user, size))
    custody.record(eid, incident_id, user, "upload_requested", detail=f"{file_name[:200]} ({size} bytes declared)")
    return eid


def request_upload(incident_id: int, data: dict[str, Any], user: str) -> dict[str, Any]:
    s = get_settings()
    incidents.get_row(incident_id)
    errors: dict[str, str] = {}
    name = data.get("file_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 1000:
        errors["file_name"] = "required, at most 1000 characters"
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        errors["size"] = "a positive integer (bytes); empty files are not evidence"
    elif size > s.evidence_max_bytes:
        errors["size"] = f"at most {s.evidence_max_bytes} bytes"
    declared = data.get("declared_type") or ""
    if not isinstance(declared, str) or len(declared) > 200:
        errors["declared_type"] = "a MIME type string"
    if errors:
        raise ValidationError("Solicitud de subida no válida / Invalid upload request", errors)
    upload_id = str(uuidlib.uuid4())
    key = _key(incident_id, upload_id, safe_name(name))
    eid = insert_pending(incident_id, display_name(name), declared, size, user, upload_id, key)
    if size > s.multipart_threshold:
        part = max(s.multipart_part_size, -(-size // 10000))
        plan = storage.start_multipart(key, size, part, UPLOAD_EXPIRES)
        get_db().execute("UPDATE evidencias SET id_multipart = %s WHERE id = %s", (plan["upload_id"], eid))
        upload = {"method": "multipart", "key": key, **plan, "expires_in": UPLOAD_EXPIRES,
                  "complete": f"/api/evidence/{eid}/complete"}
    else:
        post = storage.presigned_post(key, size, UPLOAD_EXPIRES, min_size=size)  # the declared size, exactly
        upload = {"method": "POST", "url": post["url"], "fields": post["fields"], "expires_in": UPLOAD_EXPIRES}
    return {"evidence_id": eid, "key": key, "upload": upload}


def complete_multipart(evidence_id: int, parts: Any, user: str) -> dict[str, Any]:
    row = get_row(evidence_id)
    if row["estado"] != "pending" or not row["id_multipart"]:
        raise Conflict("No hay una subida multiparte pendiente / No multipart upload is pending")
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) and "etag" in p and "part_number" in p
                                                           for p in parts):
        raise ValidationError("parts: [{part_number, etag}] requerido / required", {"parts": "required"})
    try:
        storage.complete_multipart(row["s3_key"], row["id_multipart"], sorted(parts, key=lambda p: int(p["part_number"])))
    except Exception as exc:
        raise ValidationError("S3 rechazó la subida / S3 refused to complete the upload", {"s3": str(exc)[:300]})
    return to_api(get_row(evidence_id))


def form_slot(incident_id: int, user: str, redirect_url: str) -> dict[str, Any]:
    """A presigned POST for the plain HTML form (no JavaScript): S3 fills in ``${filename}``.

    No row exists yet; the uploader and a MAC over (incident, slot, user) travel as pinned metadata, so the
    arrival handler can create the row and trust who sent it.
    """
    slot = str(uuidlib.uuid4())
    fields = {"x-amz-meta-uploader": user, "x-amz-meta-slot": slot_mac(incident_id, slot, user),
              "success_action_redirect": redirect_url}
    s = get_settings()
    return storage.presigned_post(f"evidencias/{incident_id}/{slot}/", min(s.multipart_threshold, s.evidence_max_bytes),
                                  UPLOAD_EXPIRES, fields=fields, key_prefix=True)


def slot_mac(incident_id: int, slot: str, user: str) -> str:
    from .auth import mac

    return mac(slot_message(incident_id, slot, user))


def slot_message(incident_id: int, slot: str, user: str) -> str:
    return f"slot:{incident_id}:{slot}:{user}"


def download(evidence_id: int, user: str) -> dict[str, Any]:
    row = get_row(evidence_id)
    if (row["estado"] or "stored") != "stored":
        raise Conflict(f"La evidencia está {row['estado']}; no se puede descargar / Evidence is {row['estado']}",
                       {"state": row["estado"]})
    name = safe_name(row["nombre_archivo"])
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    url = storage.presigned_get(row["s3_key"], disposition, DOWNLOAD_EXPIRES, row["version_s3"])
    custody.record(evidence_id, row["incidente_id"], user, "download", row["sha256"])
    return {"url": url, "expires_in": DOWNLOAD_EXPIRES, "file_name": name, "sha256": row["sha256"]}


def verify(evidence_id: int, user: str) -> dict[str, Any]:
    row = get_row(evidence_id)
    if row["estado"] != "stored" or not row["sha256"]:
        raise Conflict("Solo se verifican evidencias almacenadas con hash / Only stored, hashed evidence can be verified")
    digest, size = storage.sha256_of(row["s3_key"], row["version_s3"])
    ok = hmac.compare_digest(digest, row["sha256"])
    now = now_str()
    get_db().execute("UPDATE evidencias SET fecha_verificacion = %s WHERE id = %s", (now, evidence_id))
    custody.record(evidence_id, row["incidente_id"], user, "verified" if ok else "verify_failed", digest,
                   None if ok else f"expected {row['sha256']}, got {digest} ({size} bytes)")
    if not ok:
        history.record(row["incidente_id"], user, "evidencia_alterada", f"{row['nombre_archivo']}: hash distinto",
                       field="sha256", old=row["sha256"], new=digest)
    return {"evidence_id": evidence_id, "match": ok, "expected": row["sha256"], "actual": digest, "size": size,
            "verified_at": iso(now)}


def delete(evidence_id: int, reason: Any, user: str) -> dict[str, Any]:
    if not isinstance(reason, str) or len(reason.strip()) < 3:
        raise ValidationError("Eliminar requiere un motivo / Deleting requires a reason", {"reason": "required"})
    row = get_row(evidence_id)
    if row["estado"] == "deleted":
        raise Conflict("La evidencia ya está eliminada / Evidence already deleted")
    refused = storage.delete(row["s3_key"])
    detail = reason.strip()[:1000] + (f" — S3 retained the object: {refused}" if refused else "")
    get_db().execute("UPDATE evidencias SET estado = 'deleted', eliminado_por = %s, motivo_eliminacion = %s, "
                     "fecha_eliminacion = %s WHERE id = %s", (user, reason.strip()[:1000], now_str(), evidence_id))
    custody.record(evidence_id, row["incidente_id"], user, "deletion", row["sha256"], detail)
    history.record(row["incidente_id"], user, "evidencia_eliminada", f"{row['nombre_archivo']}: {reason.strip()[:500]}")
    return to_api(get_row(evidence_id))
