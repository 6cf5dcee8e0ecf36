"""ArcSight CEF (firewalls, IDS): seven pipe-separated header fields and a key=value extension."""
from __future__ import annotations

import re

from .common import Event

EXT_KEY = re.compile(r"(?:^|\s)([A-Za-z0-9_.\[\]]+)=")
ECS = {"src": "source.ip", "dst": "destination.ip", "spt": "source.port", "dpt": "destination.port",
       "suser": "user.name", "duser": "user.target.name", "shost": "source.domain", "dhost": "destination.domain",
       "act": "event.action", "proto": "network.transport", "request": "url.original", "out": "source.bytes",
       "in": "destination.bytes", "outcome": "event.outcome", "msg": "message", "app": "network.protocol",
       "deviceExternalId": "observer.serial_number", "dvchost": "observer.hostname", "rt": "_rt",
       "cs1": "cs1", "fname": "file.name", "sproc": "process.name"}
SEVERITY = {"low": 3, "medium": 6, "high": 8, "very-high": 10}


def _split_header(body: str) -> list[str]:
    head_end = 0
    for _ in range(7):  # the seven header pipes; without a backslash before them a plain split is exact
        head_end = body.find("|", head_end) + 1
        if not head_end:
            break
    if "\\" not in body[:head_end or len(body)]:
        return body.split("|", 7)
    parts, cur, i = [], [], 0
    while i < len(body) and len(parts) < 7:
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] in "|\\":
            cur.append(body[i + 1])
            i += 2
            continue
        if ch == "|":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append(body[i:])
    return parts


def _unescape(v: str) -> str:
    if "\\" not in v:
        return v.strip()
    return v.replace("\\=", "=").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\").strip()


def parse(text: str) -> Event | None:
    start = text.find("CEF:")
    if start < 0:
        return None
    parts = _split_header(text[start + 4:])
    if len(parts) < 8:
        return None
    version, vendor, product, dev_version, sig, name, severity, ext = parts[:8]
    ev: Event = {"cef.version": version, "observer.vendor": vendor, "observer.product": product,
                 "observer.version": dev_version, "event.code": sig, "event.name": name, "cef.severity": severity}
    keys = list(EXT_KEY.finditer(ext))
    for n, m in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(ext)
        ev[m.group(1)] = _unescape(ext[m.end():end])
    for src, dst in ECS.items():
        if ev.get(src) not in (None, ""):
            ev[dst] = ev[src]
    for port in ("source.port", "destination.port", "source.bytes", "destination.bytes"):
        if isinstance(ev.get(port), str) and ev[port].isdigit():
            ev[port] = int(ev[port])
    if isinstance(ev.get("_rt"), str) and ev["_rt"].isdigit():
        ev["_ts"] = int(ev["_rt"]) / 1000.0
    ev.pop("_rt", None)
    if prefix := text[:start].strip():
        ev["log.syslog.header"] = prefix
        host = prefix.split()[-1] if prefix.split() else None
        if host:
            ev.setdefault("observer.hostname", host)
    ev["host.name"] = ev.get("observer.hostname") or ev.get("dvchost")
    ev["_logsource"] = {"category": "firewall" if _is_firewall(ev) else "ids", "product": str(product).lower()}
    return ev


def _is_firewall(ev: Event) -> bool:
    text = f"{ev.get('observer.product', '')} {ev.get('event.name', '')}".lower()
    return any(w in text for w in ("firewall", "fw", "traffic", "asa", "pan-os", "fortigate", "deny", "accept"))
