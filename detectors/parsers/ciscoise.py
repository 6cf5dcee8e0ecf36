"""Cisco ISE remote-logging syslog (``CISE_<category> <msgid> <total> <segment> <time> <tz> <seq> <code> <sev> ...``).

ISE cuts long messages into segments sharing one message id (``2 0``, ``2 1``); each segment stays its own event
(``ise.segment``) because segments may arrive apart: the first carries the time, code and class, later ones only
more attributes. Attributes are ``, ``-separated ``key=value`` pairs; commas inside values are escaped ``\\,``.
A repeated key (``Step=``) becomes a list. The text may begin at ``CISE_`` or carry a syslog header (often two, a
relay's and ISE's own); the host in front of ``CISE_`` is the ISE node. Format: Cisco ISE "Syslog Messages".
"""
from __future__ import annotations

import ipaddress
import re

from .common import Event, iso_offset as _iso

TAG = re.compile(r"(?:^|\s)CISE_(\w+) (\d{1,12}) (\d+) (\d+)(?: |$)")
FIRST = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d:?\d\d) (\d+) (\d+) (\w+)\s+"
                   r"(?:([^:,]+?): )?(.*)$", re.S)
SPLIT = re.compile(r"(?<!\\),\s*")
AUTH = {"Failed_Attempts": "failure", "Passed_Authentications": "success"}
ECS = {"NetworkDeviceName": "observer.name", "FailureReason": "event.reason", "AuthenticationMethod": "_method",
       "SelectedAccessService": "rule.ruleset", "AuthorizationPolicyMatchedRule": "rule.name",
       "NAS-Identifier": "observer.hostname_nas", "Called-Station-ID": "destination.address",
       "AcsSessionID": "network.session_id", "AdminName": "_admin", "AdminIPAddress": "_adminip"}
MAC = re.compile(r"^[0-9A-Fa-f]{2}(?:[-:.]?[0-9A-Fa-f]{2}){5}$")


def sniff(text: str) -> bool:
    return TAG.search(text, 0, 300) is not None


def _ip(v: object) -> str | None:
    if not isinstance(v, str):
        return None
    try:
        return str(ipaddress.ip_address(v.strip()))
    except ValueError:
        return None


def _attrs(text: str) -> tuple[str, dict[str, object]]:
    """The free text before the first ``key=``, and the attributes (repeated keys into lists)."""
    lead: list[str] = []
    out: dict[str, object] = {}
    last = None
    for part in SPLIT.split(text):
        part = part.replace("\\,", ",").strip()
        key, sep, value = part.partition("=")
        if sep and key and "  " not in key and len(key) < 80:
            key = key.strip()
            if key in out:
                prev = out[key]
                out[key] = (prev if isinstance(prev, list) else [prev]) + [value]
            else:
                out[key] = value
            last = key
        elif part and last is None:
            lead.append(part)
        elif part and last:  # an unescaped comma inside a value
            prev = out[last]
            if isinstance(prev, list):
                prev[-1] += "," + part
            else:
                out[last] = f"{prev},{part}"
    return ", ".join(lead), out


def parse(text: str) -> Event | None:
    m = TAG.search(text, 0, 300)
    if not m:
        return None
    category, msg_id, total, seg = m.groups()
    rest = text[m.end():]
    ev: Event = {"observer.vendor": "Cisco", "observer.product": "ISE", "ise.category": f"CISE_{category}",
                 "ise.message_id": msg_id, "ise.segments": int(total), "ise.segment": int(seg)}
    prefix = text[:m.start()].split()
    if prefix:
        ev["observer.hostname"] = ev["host.name"] = prefix[-1]
    f = FIRST.match(rest)
    if f:
        stamp, tz, seq, code, severity, klass, body = f.groups()
        ev.update({"ise.sequence": seq, "event.code": code, "log.level": severity.lower()})
        if ts := _iso(f"{stamp.replace(' ', 'T')}{tz}"):
            ev["_ts"] = ts
        if klass:
            ev["ise.class"] = klass
        text_part, attrs = _attrs(body)
        if text_part:
            ev["message"] = f"{klass}: {text_part}" if klass else text_part
    else:
        _, attrs = _attrs(rest)
    for k, v in attrs.items():
        ev.setdefault(k, v)
    _map(ev, category, attrs)
    ev["_logsource"] = {"product": "cisco", "service": "ise"}
    return ev


def _map(ev: Event, category: str, a: dict[str, object]) -> None:
    for src, dst in ECS.items():
        if a.get(src) not in (None, ""):
            ev[dst] = a[src] if isinstance(a[src], str) else a[src][0]
    user = a.get("UserName") or a.get("User-Name")
    if isinstance(user, str) and user:
        ev["user.name"] = user
    calling = a.get("Calling-Station-ID")
    device = a.get("Device IP Address") or a.get("NAS-IP-Address")
    if ip := _ip(calling):
        ev["source.ip"] = ip
    elif (ip := _ip(a.get("Framed-IP-Address"))) or (ip := _ip(a.get("EndpointIPAddress"))):
        ev["source.ip"] = ip
    elif ip := _ip(device):
        ev["source.ip"] = ip
        if str(a.get("Device Port", "")).isdigit():
            ev["source.port"] = int(a["Device Port"])
    if isinstance(calling, str) and MAC.match(calling):
        ev["source.mac"] = calling
    if ip := _ip(device):
        ev["observer.ip"] = ip
    if ip := _ip(a.get("DestinationIPAddress")):
        ev["destination.ip"] = ip
        if str(a.get("DestinationPort", "")).isdigit():
            ev["destination.port"] = int(a["DestinationPort"])
    if method := ev.pop("_method", None):
        ev["auth.method"] = method
    admin, admin_ip = ev.pop("_admin", None), ev.pop("_adminip", None)
    if admin:
        ev.setdefault("user.name", admin)
    if ip := _ip(admin_ip):
        ev["source.ip"] = ip
    klass = ev.get("ise.class", "")
    outcome = AUTH.get(category)
    if outcome or klass in ("Failed-Attempt", "Passed-Authentication"):
        ev["event.category"] = "authentication"
        ev["event.outcome"] = outcome or ("failure" if klass.startswith("Failed") else "success")
        ev["event.action"] = "authentication"
    elif category == "RADIUS_Accounting":
        ev["event.category"], ev["event.action"] = "session", str(a.get("Acct-Status-Type") or "accounting")
    elif category == "Administrative_and_Operational_Audit":
        ev["event.category"] = "configuration"
