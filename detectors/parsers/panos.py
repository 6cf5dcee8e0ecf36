"""Palo Alto PAN-OS syslog in the default CSV layout (TRAFFIC, THREAT; SYSTEM, CONFIG and others generically).

Columns follow the PAN-OS 10.x/11.x "Syslog Field Descriptions" order; older releases (6.x-9.x) write a prefix of
the same columns, so shorter rows simply stop early. Quoted values (URLs, app characteristics) need the csv
module. Column names are PAN-OS's own filter names (``src``, ``dst``, ``sport``, ``action``...), kept as fields.
The body starts at the ``1,YYYY/MM/DD`` column; a syslog header before it is read for the host only.
"""
from __future__ import annotations

import csv
import ipaddress
import re
from datetime import datetime, timezone

from .common import Event, iso_offset as _iso

BODY = re.compile(r"(?:^|\s)(\d*,\d{4}[/-]\d\d[/-]\d\d[ T]\d\d:\d\d:\d\d[^,]*,[^,]*,(?:TRAFFIC|THREAT|SYSTEM|CONFIG|"
                  r"HIPMATCH|GLOBALPROTECT|USERID|AUTH|DECRYPTION|TUNNEL|SCTP|CORRELATION|IPTAG|GTP|URL|WILDFIRE|"
                  r"DATA|FILE),)")
COMMON = ("future_use1", "receive_time", "serial", "type", "subtype", "future_use2", "time_generated")
NET = COMMON + ("src", "dst", "natsrc", "natdst", "rule", "srcuser", "dstuser", "app", "vsys", "from", "to",
                "inbound_if", "outbound_if", "logset", "future_use3", "sessionid", "repeatcnt", "sport", "dport",
                "natsport", "natdport", "flags", "proto", "action")
FIELDS = {
    "TRAFFIC": NET + ("bytes", "bytes_sent", "bytes_received", "packets", "start", "elapsed", "category",
                      "future_use4", "seqno", "actionflags", "srcloc", "dstloc", "future_use5", "pkts_sent",
                      "pkts_received", "session_end_reason", "dg_hier_level_1", "dg_hier_level_2",
                      "dg_hier_level_3", "dg_hier_level_4", "vsys_name", "device_name", "action_source"),
    "THREAT": NET + ("misc", "threatid", "category", "severity", "direction", "seqno", "actionflags", "srcloc",
                     "dstloc", "future_use4", "contenttype", "pcap_id", "filedigest", "cloud", "url_idx",
                     "user_agent", "filetype", "xff", "referer", "sender", "subject", "recipient", "reportid",
                     "dg_hier_level_1", "dg_hier_level_2", "dg_hier_level_3", "dg_hier_level_4", "vsys_name",
                     "device_name", "future_use5", "src_uuid", "dst_uuid", "http_method", "tunnel_id",
                     "monitortag", "parent_session_id", "parent_start_time", "tunnel", "thr_category",
                     "contentver"),
    "SYSTEM": COMMON + ("vsys", "eventid", "object", "future_use3", "future_use4", "module", "severity", "opaque",
                        "seqno", "actionflags", "dg_hier_level_1", "dg_hier_level_2", "dg_hier_level_3",
                        "dg_hier_level_4", "vsys_name", "device_name"),
    "CONFIG": COMMON + ("host", "vsys", "cmd", "admin", "client", "result", "path"),
}
FIELDS["URL"] = FIELDS["THREAT"]  # some collectors label the url subtype as its own type
THREAT_NAME = re.compile(r"^(.*?)\s*\((\d+)\)\s*$")
ALLOW = ("allow", "alert", "continue", "override")
HIGH_RES = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
ECS = {"rule": "rule.ruleset", "app": "network.application", "from": "observer.ingress.zone",
       "to": "observer.egress.zone", "inbound_if": "observer.ingress.interface.name",
       "outbound_if": "observer.egress.interface.name", "serial": "observer.serial_number",
       "device_name": "observer.hostname", "sessionid": "network.session_id", "direction": "network.direction",
       "user_agent": "user_agent.original", "http_method": "http.request.method", "referer": "http.request.referrer",
       "dstuser": "destination.user.name", "subtype": "event.type_detail", "severity": "log.level",
       "session_end_reason": "event.reason", "cmd": "_cmd", "admin": "_admin", "client": "_client"}
INTS = {"sport": "source.port", "dport": "destination.port", "natsport": "source.nat.port",
        "natdport": "destination.nat.port", "bytes_sent": "source.bytes", "bytes_received": "destination.bytes",
        "pkts_sent": "source.packets", "pkts_received": "destination.packets", "bytes": "network.bytes",
        "packets": "network.packets"}


def sniff(text: str) -> bool:
    return BODY.match(text) is not None or BODY.search(text[:300]) is not None


def _ip(v: str) -> str | None:
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        return None


def _mend_ips(row: list[str]) -> list[str]:
    """An address split by an anonymiser (``23.200,10,217``) is joined back so the columns after it line up."""
    for i in range(7, 11):
        if i + 2 < len(row) and not _ip(row[i]) and row[i] and _ip(".".join(row[i:i + 3])):
            row[i:i + 3] = [".".join(row[i:i + 3])]
    return row


def _local(v: str) -> float | None:
    if "-" in v[:5]:
        return _iso(v)
    try:
        return datetime.strptime(v, "%Y/%m/%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def parse(text: str) -> Event | None:
    m = BODY.match(text) or BODY.search(text[:300])
    if not m:
        return None
    prefix, body = text[:m.start(1)].strip(), text[m.start(1):]
    try:
        row = next(csv.reader([body], skipinitialspace=False))
    except (csv.Error, StopIteration):
        return None
    if len(row) < 7:  # a stray quote swallowed the columns
        return None
    kind = row[3].upper()
    names = FIELDS.get(kind, COMMON)
    if kind in ("TRAFFIC", "THREAT", "URL"):
        row = _mend_ips(row)
    ev: Event = {name: row[i].strip() for i, name in enumerate(names) if i < len(row) and row[i].strip() != ""}
    ev.update({f"field_{i}": v for i, v in enumerate(row) if i >= len(names) and v.strip()})
    ev["observer.vendor"], ev["observer.product"] = "Palo Alto Networks", "PAN-OS"
    ev["event.kind"], ev["event.dataset"] = "event", f"panos.{kind.lower()}"
    for src, dst in ECS.items():
        if ev.get(src):
            ev[dst] = ev[src]
    for src, dst in INTS.items():
        if str(ev.get(src, "")).isdigit():
            ev[dst] = int(ev[src])
    for src, dst in (("src", "source.ip"), ("dst", "destination.ip"), ("natsrc", "source.nat.ip"),
                     ("natdst", "destination.nat.ip")):
        if (ip := _ip(ev.get(src, ""))) and not (src.startswith("nat") and ip == "0.0.0.0"):
            ev[dst] = ip
    if ev.get("srcuser"):
        ev["user.name"] = ev["srcuser"]
    if ev.get("proto"):
        ev["network.transport"] = ev["proto"].lower()
    if action := ev.get("action"):
        ev["event.action"] = action
        ev["event.outcome"] = "success" if action in ALLOW else "failure"
    ts = None
    for v in reversed(row[60:]):  # 9.1+ append a high-resolution timestamp with the device's offset
        if HIGH_RES.match(v):
            ts = _iso(v)
            break
    ev["_ts"] = ts or _local(row[6] or row[1])
    ls = {"product": "paloalto", "service": kind.lower()}
    if kind == "TRAFFIC":
        ev["event.category"] = "network"
        if ev.get("rule"):
            ev["rule.name"] = ev["rule"]
        ls["category"] = "firewall"
    elif kind in ("THREAT", "URL"):
        _threat(ev)
        ls["category"] = "firewall"
    elif kind == "SYSTEM":
        ev["message"] = ev.get("opaque", "")
        ev["event.code"] = ev.get("eventid")
        if "auth" in ev.get("subtype", "") or "login" in ev.get("eventid", ""):
            ev["event.category"] = "authentication"
            ev["event.outcome"] = "failure" if "fail" in ev.get("eventid", "") else "success"
    elif kind == "CONFIG":
        ev["event.category"] = "configuration"
        ev.update({"message": ev.get("_cmd"), "user.name": ev.get("_admin"), "source.ip": _ip(ev.get("_client", "")),
                   "event.outcome": "success" if ev.get("result", "").lower() == "succeeded" else "failure"})
    for k in ("_cmd", "_admin", "_client"):
        ev.pop(k, None)
    ev = {k: v for k, v in ev.items() if v is not None}
    if prefix and not ev.get("observer.hostname"):
        tokens = [t for t in prefix.split() if not t.startswith("<")]
        if len(tokens) > 1:
            ev["observer.hostname"] = tokens[-1]
    if ev.get("observer.hostname"):
        ev["host.name"] = ev["observer.hostname"]
    ev["_logsource"] = ls
    return ev


def _threat(ev: Event) -> None:
    sub = ev.get("subtype", "")
    ev["event.category"] = "web" if sub == "url" else ["intrusion_detection", "network"]
    ev["event.kind"] = "alert"
    threat = ev.get("threatid", "")
    if m := THREAT_NAME.match(threat):
        ev["rule.name"], ev["rule.id"] = m.group(1), m.group(2)
    elif threat:
        ev["rule.name" if not threat.isdigit() else "rule.id"] = threat
    if misc := ev.get("misc"):
        if sub in ("url", "vulnerability", "spyware") or "/" in misc:
            ev["url.original"] = misc
            path, _, query = misc.partition("?")
            if "/" in path and not path.startswith("/"):
                ev["url.domain"], _, rest = path.partition("/")
                path = "/" + rest
            ev["url.path"] = path
            if query:
                ev["url.query"] = query
        else:
            ev["file.name"] = misc
    if ev.get("thr_category"):
        ev["threat.category"] = ev["thr_category"]
