"""pfSense / OPNsense ``filterlog`` CSV lines (pf packet filter verdicts), IPv4 and IPv6.

Field order is pfSense's documented filterlog format (``rule,subrule,anchor,tracker,interface,reason,action,
direction,ipversion,...`` then the IPv4 or IPv6 block and a per-protocol block); OPNsense writes the same.
The body is the CSV after ``filterlog:`` / ``filterlog[pid]:``; the tag, or a whole RFC 3164/5424 line, is
accepted too, and then the header's time and host are used (the CSV itself carries no time).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .common import MONTHS, Event, iso_offset as _iso

CSV_START = re.compile(r"\d*,\d*,[^,]*,[^,]*,[^,]+,[\w-]+,(?:pass|block|match|reject|scrub|nat|rdr|binat),(?:in|out),"
                       r"[46],")
TAG = re.compile(r"(?:^|\s)filterlog(?:\[\d+\])?(?::|\s+\d+\s+\S+\s+(?:-|(?:\[[^\]]*\])+))\s*")
BSD = re.compile(r"^(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)\s+(\S+)(?:\s|$)")
ISO = re.compile(r"^(?:<\d{1,3}>)?(?:1 )?(\d{4}-\d\d-\d\dT\S+)\s+(\S+)(?:\s|$)")
HEAD = ("rulenr", "subrulenr", "anchorname", "tracker", "interface", "reason", "action", "direction", "ipversion")
V4 = ("tos", "ecn", "ttl", "id", "offset", "flags", "protonum", "protoname", "length", "src", "dst")
V6 = ("class", "flowlabel", "hoplimit", "protoname", "protonum", "length", "src", "dst")
TCP = ("srcport", "dstport", "datalen", "tcpflags", "seq", "ack", "window", "urg", "options")
UDP = ("srcport", "dstport", "datalen")
ICMP = {"request": ("icmp_id", "icmp_seq"), "reply": ("icmp_id", "icmp_seq"), "tstamp": ("icmp_id", "icmp_seq"),
        "tstampreply": ("icmp_id", "icmp_seq", "icmp_otime", "icmp_rtime", "icmp_ttime"),
        "unreachproto": ("icmp_dstip", "icmp_protoid"), "unreachport": ("icmp_dstip", "icmp_protoid", "icmp_port"),
        "needfrag": ("icmp_dstip", "icmp_mtu")}
CARP = ("carp_type", "carp_ttl", "vhid", "version", "advbase", "advskew")


def _body(text: str) -> tuple[str, str]:
    if CSV_START.match(text):
        return "", text
    m = TAG.search(text, 0, 400)
    if m and CSV_START.match(text, m.end()):
        return text[:m.start()], text[m.end():]
    return "", ""


def sniff(text: str) -> bool:
    return bool(_body(text)[1])


def _header(prefix: str, ev: Event) -> None:
    if m := ISO.match(prefix):
        ev["_ts"], host = _iso(m.group(1)), m.group(2)
        if ev["_ts"] is None:
            del ev["_ts"]
    elif m := BSD.match(prefix):
        now = datetime.now(timezone.utc)
        try:
            dt = datetime(now.year, MONTHS[m.group(1)], *map(int, m.group(2, 3, 4, 5)), tzinfo=timezone.utc)
        except (KeyError, ValueError):
            return
        if dt.timestamp() > now.timestamp() + 86400:  # December lines read in January
            dt = dt.replace(year=now.year - 1)
        ev["_ts"], host = dt.timestamp(), m.group(6)
    else:
        return
    if host != "-":
        ev["observer.hostname"] = ev["host.name"] = host


def parse(text: str) -> Event | None:
    prefix, body = _body(text.strip())
    if not body:
        return None
    row = body.split(",")
    ev: Event = dict(zip(HEAD, row))
    rest = row[len(HEAD):]
    version = ev.get("ipversion")
    block = V4 if version == "4" else V6
    ev.update(zip(block, rest))
    rest = rest[len(block):]
    proto = ev.get("protoname", "").lower()
    ev["protoname"] = proto
    if proto in ("tcp", "udp"):
        ev.update(zip(TCP if proto == "tcp" else UDP, rest))
    elif proto in ("icmp", "ipv6-icmp", "icmp6", "icmpv6") and rest:
        ev["icmp_type"] = rest[0]
        names = ICMP.get(rest[0], ("icmp_descr",))
        ev.update(zip(names, rest[1:]))
    elif proto == "carp":
        ev.update(zip(CARP, rest))
    ev = {k: v for k, v in ev.items() if v != ""}
    action = ev.get("action", "")
    out: Event = dict(ev)
    out.update({"observer.vendor": "Netgate", "observer.product": "pfSense", "event.category": "network",
                "event.action": {"pass": "allow", "block": "deny", "reject": "deny"}.get(action, action),
                "rule.id": ev.get("rulenr"), "rule.uuid": ev.get("tracker"),
                "observer.ingress.interface.name": ev.get("interface"), "network.direction":
                {"in": "inbound", "out": "outbound"}.get(ev.get("direction", ""), ev.get("direction")),
                "network.type": f"ipv{version}", "network.transport": proto or None,
                "source.ip": ev.get("src"), "destination.ip": ev.get("dst"), "event.reason": ev.get("reason")})
    if action in ("pass", "block", "reject"):
        out["event.outcome"] = "success" if action == "pass" else "failure"
    if ev.get("protonum", "").isdigit():
        out["network.iana_number"] = ev["protonum"]
    for src, dst in (("srcport", "source.port"), ("dstport", "destination.port"), ("length", "network.bytes")):
        if ev.get(src, "").isdigit():
            out[dst] = int(ev[src])
    if prefix:
        _header(prefix, out)
    out["_logsource"] = {"category": "firewall", "product": "pfsense"}
    return {k: v for k, v in out.items() if v is not None}
