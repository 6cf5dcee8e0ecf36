"""The security team's SNS summary of a scan that ended (done or failed), through the notification outbox."""
from __future__ import annotations

from typing import Any

from .. import notify, scans
from ..alerts import SEVERITY_EN
from ..config import get_settings

MAX_LINES = 20


def message(scan: dict[str, Any]) -> tuple[str, str]:
    url = f"{get_settings().public_url}/scans/{scan['id']}"
    p = scan["progress"]
    if scan["state"] == "done":
        subject = f"[CyberIncident] Deep scan #{scan['id']} done: {scan['findings']} findings ({scan['new_alerts']} new)"
    else:
        subject = f"[CyberIncident] Deep scan #{scan['id']} {scan['state']}"
    lines = [subject.removeprefix("[CyberIncident] "), "",
             f"Range: {scan['from']} to {scan['to']}",
             f"Launched by: {scan['created_by']}" + (f" from incident #{scan['incident_id']}" if scan['incident_id'] else ""),
             f"Archive: {p['objects_done']}/{p['objects_total']} objects, {p['bytes_done'] / 1e6:.1f} MB, "
             f"{p['events']:,} events" + (f" in {scan['seconds']} s" if scan["seconds"] is not None else "")]
    if scan.get("error"):
        lines.append(f"Reason: {scan['error']}")
    corrupt = (scan.get("summary") or {}).get("corrupt_objects") or []
    if corrupt:
        lines.append(f"Unreadable archive objects: {len(corrupt)} (listed in the report)")
    if scan.get("alerts"):
        lines += ["", "Findings:"]
        for a in scan["alerts"][:MAX_LINES]:
            lines.append(f"- {SEVERITY_EN.get(a['severity'], a['severity'])} {a['title']} - {a['entity_key']} "
                         f"({a['events']} events, {'new' if a['new'] else 'already known'}) alert #{a['id']}")
        if len(scan["alerts"]) > MAX_LINES:
            lines.append(f"… and {len(scan['alerts']) - MAX_LINES} more in the report")
    lines += ["", f"Open the scan: {url}"]
    return subject, "\n".join(lines)


def enqueue_summary(scan_id: int) -> None:
    scan = scans.get(scan_id)
    notify.enqueue_message("escaneo", *message(scan))
