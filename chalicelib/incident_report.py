"""The complete report of one incident: summary, classification, response times, timeline, alerts, evidence
with hashes and the chain-of-custody log; as data for the HTML page and as a PDF (fpdf2, DejaVu for Unicode).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import alerts, custody, evidence, history, incidents
from .db import get_db
from .timeutil import iso, now_str

FONTS = Path(__file__).resolve().parent / "assets" / "fonts"


def gather(incident_id: int) -> dict[str, Any]:
    inc = incidents.get(incident_id)
    row = get_db().one("SELECT fecha_reconocimiento, fecha_contencion, fecha_resolucion, seg_reconocer, seg_contener, "
                       "seg_resolver FROM incidentes WHERE id = %s", (incident_id,)) or {}
    return {
        "incident": inc,
        "milestones": {"acknowledged_at": iso(row.get("fecha_reconocimiento")), "contained_at": iso(row.get("fecha_contencion")),
                       "resolved_at": iso(row.get("fecha_resolucion")), "seconds_to_acknowledge": row.get("seg_reconocer"),
                       "seconds_to_contain": row.get("seg_contener"), "seconds_to_resolve": row.get("seg_resolver")},
        "timeline": [history.to_api(r) for r in history.for_incident(incident_id)],
        "alerts": alerts.for_incident(incident_id),
        "evidence": evidence.list_for_incident(incident_id),
        "custody": custody.for_incident(incident_id),
        "generated_at": iso(now_str()),
    }


def duration(seconds: Any) -> str:
    if seconds is None:
        return "—"
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    parts = [f"{d} d"] if d else []
    parts += [f"{h} h"] if h else []
    parts += [f"{m} min"] if m and not d else []
    return " ".join(parts) or f"{s} s"


def pdf(report: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    inc = report["incident"]
    doc.set_title(f"Incidente #{inc['id']}: {inc['title']}")
    doc.set_author("CyberIncident")
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    def heading(text: str) -> None:
        doc.ln(3)
        doc.set_font("DejaVu", "B", 12)
        doc.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        doc.set_font("DejaVu", "", 9)

    def line(label: str, value: Any) -> None:
        doc.set_font("DejaVu", "B", 9)
        doc.cell(48, 5, label)
        doc.set_font("DejaVu", "", 9)
        doc.multi_cell(width - 48, 5, "—" if value in (None, "") else str(value), new_x="LMARGIN", new_y="NEXT")

    doc.set_font("DejaVu", "B", 15)
    doc.multi_cell(width, 8, f"Incidente #{inc['id']} — {inc['title']}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", "", 8)
    doc.cell(width, 5, f"CyberIncident · informe generado {report['generated_at']}", new_x="LMARGIN", new_y="NEXT")
    heading("Resumen / Summary")
    doc.multi_cell(width, 5, inc["description"], new_x="LMARGIN", new_y="NEXT")
    heading("Clasificación / Classification")
    for label, key in (("Tipo / Type", "type"), ("Severidad / Severity", "severity"), ("Estado / Status", "status"),
                       ("Reportado por / Reported by", "reported_by"), ("Asignado a / Assignee", "assignee"),
                       ("Creado / Created", "created_at"), ("Actualizado / Updated", "updated_at")):
        line(label, inc.get(key))
    m = report["milestones"]
    heading("Tiempos de respuesta / Response times")
    line("Reconocido / Acknowledged", f"{m['acknowledged_at'] or '—'} ({duration(m['seconds_to_acknowledge'])})")
    line("Contenido / Contained", f"{m['contained_at'] or '—'} ({duration(m['seconds_to_contain'])})")
    line("Resuelto / Resolved", f"{m['resolved_at'] or '—'} ({duration(m['seconds_to_resolve'])})")
    heading(f"Cronología / Timeline ({len(report['timeline'])})")
    for h in report["timeline"]:
        change = f"{h['field']}: {h['old_value'] or '—'} → {h['new_value'] or '—'}" if h["field"] else ""
        doc.multi_cell(width, 5, f"{h['at']}  {h['user']}  {h['action']}  {change}  {h['description'] or ''}".strip(),
                       new_x="LMARGIN", new_y="NEXT")
    heading(f"Alertas / Alerts ({len(report['alerts'])})")
    for a in report["alerts"]:
        doc.multi_cell(width, 5, f"#{a['id']} [{a['severity']}] {a['title']} — {a['entity_key']} — {a['count']} "
                                 f"eventos, {a['first_seen']} → {a['last_seen']} — {', '.join(a['attack'])}",
                       new_x="LMARGIN", new_y="NEXT")
    heading(f"Evidencias / Evidence ({len(report['evidence'])})")
    for e in report["evidence"]:
        line(f"#{e['id']} {e['file_name']}"[:40], f"SHA-256 {e.get('sha256') or '—'} · {e.get('size') or 0} bytes · "
                                                  f"{e.get('real_type') or '—'} · {e.get('state')}")
    heading(f"Cadena de custodia / Chain of custody ({len(report['custody'])})")
    for c in report["custody"]:
        doc.multi_cell(width, 5, f"{c['at']}  {c['user']}  {c['action']}  #{c['evidence_id']} {c['file_name']}  "
                                 f"{c['sha256'] or ''}  {c['detail'] or ''}".strip(), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def publish_pdf(incident_id: int, actor: str) -> dict[str, Any]:
    """The PDF in the private reports bucket, a 5-minute link to it, and a line in the incident's history."""
    from .aws import client
    from .config import get_settings
    from .timeutil import utcnow

    body = pdf(gather(incident_id))
    key = f"incidents/{incident_id}/report-{utcnow():%Y%m%dT%H%M%SZ}.pdf"
    bucket = get_settings().reports_bucket
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/pdf", ServerSideEncryption="AES256")
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="incidente-{incident_id}.pdf"'},
        ExpiresIn=300)
    history.record(incident_id, actor, "informe_pdf", f"Informe PDF generado ({len(body)} bytes)")
    return {"url": url, "key": key, "bytes": len(body)}
