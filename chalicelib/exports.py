"""CSV and JSON exports of incidents, alerts and history for a period, written to the reports bucket.

A Lambda response is capped at 6 MB, so the file goes to private, encrypted S3 and the user gets a short-lived
link. CSV cells that a spreadsheet would run as a formula (``= + - @``) are neutralised. Every export is a
line in ``historial`` (who, what, which filters, how many rows).
"""
from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from . import history
from .aws import client
from .config import get_settings
from .custody import spreadsheet_safe
from .db import get_db
from .errors import ValidationError
from .stats import _alert_where, _incident_where, filters
from .timeutil import iso, utcnow

KINDS = {
    "incidents": ["id", "title", "type", "severity", "status", "reported_by", "assignee", "created_at", "updated_at",
                  "acknowledged_at", "contained_at", "resolved_at", "seconds_to_acknowledge", "seconds_to_contain",
                  "seconds_to_resolve", "description"],
    "alerts": ["id", "rule_id", "title", "severity", "state", "dismiss_reason", "assignee", "entity_key", "device",
               "attack", "count", "first_seen", "last_seen", "origin", "incident_id"],
    "history": ["id", "at", "user", "action", "incident_id", "alert_id", "field", "old_value", "new_value",
                "description"],
}
FORMATS = ("csv", "json")
MAX_ROWS = 500_000
LINK_SECONDS = 300


def _incidents(f: dict[str, Any]) -> list[dict[str, Any]]:
    where, args = _incident_where(f)
    rows = get_db().query(
        "SELECT id, titulo, tipo, severidad, estado, usuario_reporta, asignado_a, fecha_creacion, fecha_actualizacion, "
        "fecha_reconocimiento, fecha_contencion, fecha_resolucion, seg_reconocer, seg_contener, seg_resolver, "
        f"descripcion FROM incidentes{where} ORDER BY id LIMIT {MAX_ROWS}", args)
    return [dict(zip(KINDS["incidents"], (
        r["id"], r["titulo"], r["tipo"], r["severidad"], r["estado"] or "Abierto", r["usuario_reporta"], r["asignado_a"],
        iso(r["fecha_creacion"]), iso(r["fecha_actualizacion"]), iso(r["fecha_reconocimiento"]),
        iso(r["fecha_contencion"]), iso(r["fecha_resolucion"]), r["seg_reconocer"], r["seg_contener"],
        r["seg_resolver"], r["descripcion"]))) for r in rows]


def _alerts(f: dict[str, Any]) -> list[dict[str, Any]]:
    from .alerts import COLS, to_api

    where, args = _alert_where(f)
    rows = get_db().query(f"SELECT {COLS} FROM alertas{where} ORDER BY id LIMIT {MAX_ROWS}", args)
    out = []
    for r in rows:
        a = to_api(r)
        a["attack"] = ", ".join(a["attack"])
        out.append({k: a[k] for k in KINDS["alerts"]})
    return out


def _history(f: dict[str, Any]) -> list[dict[str, Any]]:
    rows = get_db().query(f"SELECT {history.COLS} FROM historial h WHERE h.fecha BETWEEN %s AND %s "
                          f"ORDER BY h.fecha, h.id LIMIT {MAX_ROWS}", (f["date_from"], f["date_to"]))
    out = []
    for r in rows:
        h = history.to_api(r)
        out.append({k: h[k] for k in KINDS["history"]})
    return out


def render(kind: str, fmt: str, rows: list[dict[str, Any]]) -> bytes:
    if fmt == "json":
        return orjson.dumps({"kind": kind, "rows": len(rows), "items": rows})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(KINDS[kind])
    for r in rows:
        w.writerow([spreadsheet_safe(r[c]) for c in KINDS[kind]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: spreadsheets then read UTF-8 accents correctly


def create(kind: str, fmt: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
    if kind not in KINDS or fmt not in FORMATS:
        raise ValidationError("Exportación no válida / Invalid export",
                              {"kind": f"one of {', '.join(KINDS)}", "format": f"one of {', '.join(FORMATS)}"})
    f = filters(params)
    rows = {"incidents": _incidents, "alerts": _alerts, "history": _history}[kind](f)
    body = render(kind, fmt, rows)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    name = f"cyberincident-{kind}-{f['date_from'][:10]}-{f['date_to'][:10]}.{fmt}"
    key = f"exports/{stamp}-{actor}-{name}"
    bucket = get_settings().reports_bucket
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="AES256",
                  ContentType="text/csv; charset=utf-8" if fmt == "csv" else "application/json")
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="{name}"'},
        ExpiresIn=LINK_SECONDS)
    shown = {k: v for k, v in f.items() if v}
    history.record(None, actor, "exportacion", f"{kind} {fmt}: {len(rows)} filas; filtros {shown}", field="exportacion",
                   new=key)
    return {"url": url, "key": key, "rows": len(rows), "format": fmt, "kind": kind, "expires_in": LINK_SECONDS}
