"""SNS email for new alerts, throttled per rule and entity, with a digest of what was held back.

An outbox: the notification row is written in the same transaction as the alert, then sent after commit
(and retried by the schedule when SNS fails), so an alert is never notified twice nor silently not at all.
States: ``pendiente`` → ``enviada`` (message id kept) or ``fallida`` (retried); ``retenida`` (throttled)
→ ``resumida`` once a digest carried it.
"""
from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta
from typing import Any

from . import aws
from .alerts import SEVERITIES, SEVERITY_EN
from .config import get_settings
from .db import get_db
from .history import choice_filter, page_args
from .errors import ValidationError
from .timeutil import db_str, iso, now_str, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
DIGEST_LINES = 100
LEASE_MINUTES = 10
STATES_EN = {"pendiente": "pending", "enviando": "sending", "enviada": "sent", "fallida": "failed",
             "retenida": "held", "resumida": "digested"}
KINDS_EN = {"alerta": "alert", "resumen": "digest", "escaneo": "scan"}


def ascii_subject(text: str) -> str:
    """SNS subjects must be ASCII, one line, under 100 characters."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.split())[:99]


def _message(alert_id: int, a: Any, entity_key: str) -> tuple[str, str]:
    s = get_settings()
    subject = ascii_subject(f"[CyberIncident] {SEVERITY_EN.get(a.severity, a.severity)}: {a.title} - {entity_key}")
    expl = a.explanation or {}
    body = "\n".join([
        f"{a.title}", "",
        f"Severity: {SEVERITY_EN.get(a.severity, a.severity)} ({a.severity})",
        f"Rule: {a.rule_id}",
        f"Entity: {entity_key}",
        f"Device: {a.device or '-'}",
        f"ATT&CK: {', '.join(a.attack) or '-'}",
        f"Events: {a.count}",
        f"Why: {expl.get('summary') or '-'}",
        "", f"Open the alert: {s.public_url}/alerts/{alert_id}",
    ])
    return subject, body


def enqueue(created: list[dict[str, Any]]) -> int:
    """Outbox rows for alerts created now (inside the pipeline's transaction); returns how many will be sent."""
    s = get_settings()
    floor = SEVERITIES.index(s.notify_min_severity) if s.notify_min_severity in SEVERITIES else 2
    since = db_str(utcnow() - timedelta(seconds=s.notify_throttle_s))
    db, queued, now = get_db(), 0, now_str()
    for item in created:
        a = item["alert"]
        if item["suppressed"] or a.severity not in SEVERITIES or SEVERITIES.index(a.severity) < floor:
            continue
        recent = db.scalar("SELECT COUNT(*) AS n FROM notificaciones WHERE tipo = 'alerta' AND regla_id = %s AND "
                           "entidad_clave = %s AND estado IN ('pendiente', 'enviando', 'enviada', 'fallida') AND "
                           "fecha_creacion >= %s", (a.rule_id[:120], item["entity_key"], since))
        state = "retenida" if recent else "pendiente"
        subject, body = _message(item["id"], a, item["entity_key"])
        db.execute("INSERT INTO notificaciones (alerta_id, tipo, estado, regla_id, entidad_clave, severidad, asunto, "
                   "cuerpo, fecha_creacion) VALUES (%s, 'alerta', %s, %s, %s, %s, %s, %s, %s)",
                   (item["id"], state, a.rule_id[:120], item["entity_key"], a.severity, subject, body, now))
        queued += state == "pendiente"
    return queued


def enqueue_message(kind: str, subject: str, body: str) -> None:
    """Any other message for the team (a scan's summary) through the same outbox, retries included."""
    get_db().execute("INSERT INTO notificaciones (tipo, estado, asunto, cuerpo, fecha_creacion) "
                     "VALUES (%s, 'pendiente', %s, %s, %s)", (kind, ascii_subject(subject), body, now_str()))


def _publish(subject: str, body: str) -> str:
    topic = get_settings().sns_topic_arn
    if not topic:
        raise RuntimeError("SNS_TOPIC_ARN is not set")
    return aws.client("sns").publish(TopicArn=topic, Subject=subject, Message=body)["MessageId"]


def send_pending(limit: int = 20) -> dict[str, int]:
    """Publish what the outbox holds, each row claimed first so two containers never send it twice; a failure
    waits 2, 4, 8… minutes before its next try, and after MAX_ATTEMPTS it stays ``fallida`` for a person to see."""
    db = get_db()
    now = now_str()
    rows = db.query("SELECT id, asunto, cuerpo, intentos FROM notificaciones WHERE estado IN ('pendiente', 'fallida') "
                    "AND intentos < %s AND (proximo_intento IS NULL OR proximo_intento <= %s) ORDER BY id LIMIT %s",
                    (MAX_ATTEMPTS, now, limit))
    sent = failed = 0
    for r in rows:
        lease = db_str(utcnow() + timedelta(minutes=LEASE_MINUTES))
        _, claimed = db.execute("UPDATE notificaciones SET estado = 'enviando', intentos = intentos + 1, "
                                "proximo_intento = %s WHERE id = %s AND estado IN ('pendiente', 'fallida') "
                                "AND intentos = %s", (lease, r["id"], r["intentos"]))
        if claimed != 1:
            continue  # another container took it
        try:
            mid = _publish(r["asunto"], r["cuerpo"])
        except Exception as exc:  # SNS down or misconfigured: keep the row, say why, try later
            attempts = int(r["intentos"]) + 1
            level = log.error if attempts >= MAX_ATTEMPTS else log.warning
            level("SNS publish failed for notification %s (attempt %s): %s", r["id"], attempts, exc)
            retry = db_str(utcnow() + timedelta(seconds=60 * 2 ** attempts))
            db.execute("UPDATE notificaciones SET estado = 'fallida', error = %s, proximo_intento = %s WHERE id = %s",
                       (str(exc)[:1000], retry, r["id"]))
            failed += 1
            continue
        db.execute("UPDATE notificaciones SET estado = 'enviada', message_id = %s, error = NULL, fecha_envio = %s "
                   "WHERE id = %s", (mid, now_str(), r["id"]))
        sent += 1
    return {"sent": sent, "failed": failed}


def release_stuck() -> int:
    """Rows claimed by a container that died before it could say how it went are tried again once the lease ends
    (at worst one duplicate e-mail, never a lost one)."""
    return get_db().execute("UPDATE notificaciones SET estado = 'fallida', error = 'sender stopped mid-send' "
                            "WHERE estado = 'enviando' AND proximo_intento <= %s", (now_str(),))[1]


def send_digest(force: bool = False) -> dict[str, Any] | None:
    """One message listing the notifications held back by throttling, grouped by rule and entity; at most one
    per ``NOTIFY_THROTTLE_SECONDS`` unless forced, so the digest does not become the storm it prevents."""
    db = get_db()
    if not force:
        last = db.scalar("SELECT MAX(fecha_creacion) AS t FROM notificaciones WHERE tipo = 'resumen'")
        if last and str(last) > db_str(utcnow() - timedelta(seconds=get_settings().notify_throttle_s)):
            return None
    with db.transaction():
        did, _ = db.execute("INSERT INTO notificaciones (tipo, estado, asunto, cuerpo, fecha_creacion) "
                            "VALUES ('resumen', 'preparando', '-', '-', %s)", (now_str(),))
        _, claimed = db.execute("UPDATE notificaciones SET estado = 'resumida', resumen_id = %s WHERE estado = 'retenida'",
                                (did,))
        if not claimed:
            db.execute("DELETE FROM notificaciones WHERE id = %s", (did,))
            return None
        held = db.query("SELECT regla_id, entidad_clave, severidad, COUNT(*) AS n, MIN(fecha_creacion) AS first, "
                        "MAX(fecha_creacion) AS last FROM notificaciones WHERE resumen_id = %s "
                        "GROUP BY regla_id, entidad_clave, severidad ORDER BY n DESC, regla_id", (did,))
        total = sum(int(h["n"]) for h in held)
        lines = [f"{total} alert notifications were held back by throttling since the last digest:", ""]
        lines += [f"- {SEVERITY_EN.get(h['severidad'], h['severidad'])} {h['regla_id']} on {h['entidad_clave']}: "
                  f"{h['n']} alert(s), {iso(h['first'])} to {iso(h['last'])}" for h in held[:DIGEST_LINES]]
        if len(held) > DIGEST_LINES:
            lines.append(f"- … and {len(held) - DIGEST_LINES} more rule/entity pairs")
        lines += ["", f"Review them: {get_settings().public_url}/alerts"]
        subject = ascii_subject(f"[CyberIncident] Digest: {total} alerts held back")
        db.execute("UPDATE notificaciones SET estado = 'pendiente', asunto = %s, cuerpo = %s WHERE id = %s",
                   (subject, "\n".join(lines), did))
    send_pending()
    return {"id": did, "held": total, "groups": len(held)}


def to_api(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "kind": KINDS_EN.get(row["tipo"], row["tipo"]), "alert_id": row["alerta_id"],
            "state": STATES_EN.get(row["estado"], row["estado"]), "rule_id": row["regla_id"],
            "entity_key": row["entidad_clave"], "severity": row["severidad"], "subject": row["asunto"],
            "body": row["cuerpo"], "message_id": row["message_id"], "attempts": row["intentos"],
            "error": row["error"], "digest_id": row["resumen_id"], "created_at": iso(row["fecha_creacion"]),
            "sent_at": iso(row["fecha_envio"])}


def search(params: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    where, args = [], []
    choice_filter(params, "state", {v: k for k, v in STATES_EN.items()}, "estado", where, args, errors)
    choice_filter(params, "kind", {v: k for k, v in KINDS_EN.items()}, "tipo", where, args, errors)
    page, per_page = page_args(params, 50, errors)
    if errors:
        raise ValidationError("Filtros no válidos / Invalid filters", errors)
    sql_where = (" WHERE " + " AND ".join(where)) if where else ""
    db = get_db()
    total = int(db.scalar(f"SELECT COUNT(*) AS n FROM notificaciones{sql_where}", args) or 0)
    rows = db.query(f"SELECT * FROM notificaciones{sql_where} ORDER BY id DESC LIMIT %s OFFSET %s",
                    (*args, per_page, (page - 1) * per_page))
    return {"items": [to_api(r) for r in rows], "total": total, "page": page, "per_page": per_page}
