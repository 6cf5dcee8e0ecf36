"""Cisco ASA / FTD / PIX syslog messages (``%ASA-6-302013: Built inbound TCP connection ...``).

Every ``%ASA-<level>-<id>:`` line becomes an event: the message ids security teams query (connections, denies,
ACLs, NAT, AAA, logins, threat detection) get addresses, ports, users and an outcome; any other id keeps its text,
``event.code`` and the severity from the level digit. The text may start at ``%ASA-`` or carry the syslog header
in front (ASA's own ``Aug 05 2016 01:02:25:`` form included), whose time and host are then read. Message formats
are Cisco's "ASA Series Syslog Messages"; no maintained Python library parses them.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .common import MONTHS, Event, iso_offset as _iso

TAG = re.compile(r"%(ASA|FTD|PIX|FWSM)-(?:[a-z]+-)?(\d)-(\d{6}): ?")
HDR = re.compile(r"^(?:<(\d{1,3})>)?(?:1 )?\s*(?:(?P<ts>[A-Z][a-z]{2} {1,2}\d{1,2}(?: \d{4})? \d\d:\d\d:\d\d"
                 r"(?:\.\d+)?|\d{4}-\d\d-\d\dT\S+)(?: [A-Z]{3,4})?:?)?\s*(?P<host>[^\s:%]+)?(?: \S+){0,4}?\s*:?\s*$")
LEVELS = ("emergency", "alert", "critical", "error", "warning", "notification", "informational", "debugging")
A = (r"(?:(?P<{0}if>[^\s:/]*[g-zG-Z_\-][^\s:/]*):)?(?P<{0}ip>[0-9A-Fa-f.:]+)(?:/(?P<{0}port>\d+))?"
     r"(?:\((?P<{0}user>[^)]*)\))?")
SRC, DST = A.format("s"), A.format("d")
M = {
    "conn": re.compile(rf"^(?P<act>Built|Teardown) (?:(?P<dir>inbound|outbound) )?(?:dynamic |static )?"
                       rf"(?P<proto>\w+) connection (?P<cid>\d+ )?for {SRC}(?: \([^)]*\))?(?:\((?P<suser2>[^)]*)\))?"
                       rf" to {DST}(?: \([^)]*\))?(?: duration (?P<dur>\S+))?(?: bytes (?P<bytes>\d+))?"
                       rf"(?: (?P<reason>[^(]+?))?(?: \((?P<user>[^)]*)\))?\s*$"),
    "icmp": re.compile(r"^(?P<act>Built|Teardown) (?:(?P<dir>inbound|outbound) )?(?P<proto>ICMP|ICMPv6) connection "
                       r"for faddr (?P<sip>[0-9A-Fa-f.:]+)/\d+(?:\((?P<suser>[^)]*)\))? gaddr \S+ "
                       r"laddr (?P<dip>[0-9A-Fa-f.:]+)/\d+(?:\((?P<duser>[^)]*)\))?(?: .*?)?"
                       r"(?: \((?P<user>[^)]*)\))?$"),
    "xlate": re.compile(rf"^(?P<act>Built|Teardown) (?:dynamic|static) (?P<proto>\w+) translation from {SRC} "
                        rf"to {DST}(?: duration (?P<dur>\S+))?"),
    "deny_from": re.compile(rf"^(?:Deny inbound (?P<proto>\w+)|Inbound (?P<proto2>\w+) connection denied|Deny "
                            rf"(?P<proto3>\w+) \(no connection\)|(?P<proto4>\w+) (?:access denied by ACL|request "
                            rf"discarded)) from {SRC} to {DST}(?: flags (?P<flags>.*?))?(?:\s+on interface "
                            rf"(?P<iface>\S+))?"),
    "deny_src": re.compile(rf"^Deny (?:(?:inbound|outbound) )?(?:protocol )?(?P<proto>\w+) src {SRC} dst {DST}"
                           rf"(?: \(type (?P<itype>\d+), code (?P<icode>\d+)\))?"
                           rf"(?: by access-group \"(?P<acl>[^\"]+)\")?"),
    "acl": re.compile(r"^access-list (?P<acl>\S+) (?P<verdict>permitted|denied|est-allowed) (?P<proto>\w+) "
                      r"(?P<sif>[^/\s]+)/(?P<sip>[0-9A-Fa-f.:]+)\((?P<sport>\d+)\)(?:\([^)]*\))? -> "
                      r"(?P<dif>[^/\s]+)/(?P<dip>[0-9A-Fa-f.:]+)\((?P<dport>\d+)\)"),
    "aaa": re.compile(r"^AAA user (?P<what>authentication|authorization|accounting) (?P<verdict>Successful|Rejected)"
                      r"(?: : reason = (?P<reason>[^:]+?))?(?: : (?:server =\s*(?P<server>\S+)|local database))?"
                      r" : user = (?P<user>.+?)(?: : user IP = (?P<sip>\S+))?$"),
    "login": re.compile(r"^Login (?P<verdict>denied|permitted) from (?P<sip>[0-9A-Fa-f.:]+)/(?P<sport>\d+) to "
                        r"(?P<dif>[^:\s]+):(?P<dip>[0-9A-Fa-f.:]+)/(?P<service>\S+) for user \"(?P<user>[^\"]*)\""),
    "user_auth": re.compile(r"^User (?:authentication (?P<verdict>succeeded|failed)|(?P<out>logged out))"
                            r"(?:: IP address: (?P<sip>[^,\s]+))?[,:]? ?(?:Uname: (?P<user>\S+))?"),
    "anyconnect": re.compile(r"^Group <(?P<group>[^>]*)> User <(?P<user>[^>]*)> IP <(?P<sip>[^>]*)>"),
    "cmd": re.compile(r"^User '(?P<user>[^']*)'(?:, running '[^']*' from IP (?P<sip>\S+),)? executed (?:the )?"
                      r"(?:'(?P<cmd>.*)'|cmd: (?P<cmd2>.*))"),
    "dup_syn": re.compile(rf"^Duplicate TCP SYN from {SRC} to {DST}"),
    "threat": re.compile(r"^\[ ?(?P<object>[^\]]*?) ?\] drop rate-(?P<rate>\d+) exceeded"),
    "attack": re.compile(r"^(?:Host|Subnet) (?P<sip>[0-9A-Fa-f.:]+)(?:/\S+)? is (?P<role>attacking|targeted)"),
    "vpn": re.compile(r"^(?:Group = (?P<group>[^,]+), )?(?:Username = (?P<user>[^,]+), )?IP = (?P<sip>[^,]+),"),
}
BY_ID = {
    **dict.fromkeys(("302013", "302014", "302015", "302016", "302017", "302018", "302303", "302304"), "conn"),
    **dict.fromkeys(("302020", "302021"), "icmp"), **dict.fromkeys(("305011", "305012"), "xlate"),
    **dict.fromkeys(("106001", "106006", "106007", "106015", "710003", "710005"), "deny_from"),
    **dict.fromkeys(("106010", "106014", "106023"), "deny_src"), "106100": "acl",
    **dict.fromkeys(("113004", "113005", "113015"), "aaa"), **dict.fromkeys(("605004", "605005"), "login"),
    **dict.fromkeys(("611101", "611102", "611103"), "user_auth"), "113039": "anyconnect",
    **dict.fromkeys(("111008", "111009", "111010"), "cmd"), "419002": "dup_syn", "733100": "threat",
    **dict.fromkeys(("733101", "733102"), "attack"),
}
FALLBACK = re.compile(rf"(?:from|src) {SRC} (?:to|dst) {DST}|\bfrom (?:laddr )?(?P<sip2>[0-9A-Fa-f.:]{{7,}})\b")
USER = re.compile(r"\b[Uu]ser(?:name)? = ([^\s,]+)")
IP = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)$")


def sniff(text: str) -> bool:
    return TAG.search(text, 0, 300) is not None


def parse(text: str) -> Event | None:
    m = TAG.search(text, 0, 300)
    if not m:
        return None
    vendor, level, code = m.groups()
    msg = text[m.end():].strip()
    ev: Event = {"observer.vendor": "Cisco", "observer.product": vendor, "event.code": code, "message": msg,
                 "event.severity": int(level), "log.level": LEVELS[int(level)], "cisco.message_id": code}
    if prefix := text[:m.start()].strip():
        _header(ev, prefix)
    kind = BY_ID.get(code)
    g = None
    if kind:
        g = M[kind].search(msg)
    elif code.startswith(("713", "752", "113", "722", "734")):
        kind, g = "vpn", M["vpn"].search(msg)
    if g is None:
        kind, g = "generic", FALLBACK.search(msg)
    groups = {k: v for k, v in g.groupdict().items() if v} if g else {}
    if kind == "generic" and "sip2" in groups:
        groups["sip"] = groups.pop("sip2")
    _fields(ev, kind, code, groups)
    ls = {"product": "cisco", "service": "asa", "category": "firewall"}
    if kind == "cmd":  # command accounting: SigmaHQ's Cisco CLI keyword rules read service aaa
        ls["service"] = "aaa"
    ev["_logsource"] = ls
    return ev


def _header(ev: Event, prefix: str) -> None:
    h = HDR.match(prefix)
    if not h:
        ev["log.syslog.header"] = prefix
        return
    if h.group(1):
        ev["log.syslog.priority"] = int(h.group(1))
    if h.group("host"):
        ev["observer.hostname"] = ev["host.name"] = h.group("host")
    ts = h.group("ts")
    if ts and ts[0].isdigit():
        if (epoch := _iso(ts)) is not None:
            ev["_ts"] = epoch
    elif ts:
        parts = ts.split()
        year = int(parts[2]) if len(parts) == 4 else datetime.now(timezone.utc).year
        try:
            dt = datetime(year, MONTHS[parts[0]], int(parts[1]), *map(int, parts[-1].split(".")[0].split(":")),
                          tzinfo=timezone.utc)
        except (KeyError, ValueError):
            return
        if len(parts) == 3 and dt.timestamp() > datetime.now(timezone.utc).timestamp() + 86400:
            dt = dt.replace(year=year - 1)
        ev["_ts"] = dt.timestamp()


def _put(ev: Event, side: str, g: dict, key: str) -> None:
    if (ip := g.get(key + "ip")) and IP.match(ip):
        ev[f"{side}.ip"] = ip
    if (port := g.get(key + "port")) and port.isdigit():
        ev[f"{side}.port"] = int(port)
    if g.get(key + "if"):
        ev[f"observer.{'ingress' if side == 'source' else 'egress'}.interface.name"] = g[key + "if"]
    if side == "source.nat":
        return
    if user := g.get(key + "user"):
        ev[f"{side}.user.name"] = user


def _fields(ev: Event, kind: str, code: str, g: dict) -> None:
    proto = next((g[k] for k in ("proto", "proto2", "proto3", "proto4") if g.get(k)), None)
    if proto:
        ev["network.transport"] = proto.lower() if not proto.isdigit() else proto
    first, second = ("d", "s") if g.get("dir") == "outbound" else ("s", "d")  # outbound: "for" is the responder
    if kind in ("conn", "icmp", "xlate", "deny_from", "deny_src", "acl", "dup_syn", "generic"):
        _put(ev, "source", g, first)
        _put(ev, "source.nat" if kind == "xlate" else "destination", g, second)
        ev["event.category"] = "network"
    if kind in ("conn", "icmp", "xlate"):
        ev["event.action"] = f"{'xlate' if kind == 'xlate' else 'connection'}-{g['act'].lower()}"
        ev["event.outcome"] = "success"
        if g.get("dir"):
            ev["network.direction"] = g["dir"]
        if g.get("bytes"):
            ev["network.bytes"] = int(g["bytes"])
        if g.get("dur"):
            ev["event.duration_text"] = g["dur"]
        if g.get("reason"):
            ev["event.reason"] = g["reason"].strip()
        if g.get("cid"):
            ev["network.session_id"] = g["cid"].strip()
        if user := g.get("user") or g.get("suser2"):
            ev["user.name"] = user
    elif kind in ("deny_from", "deny_src"):
        ev["event.action"], ev["event.outcome"] = "deny", "failure"
        for key, dst in (("acl", "rule.name"), ("iface", "observer.ingress.interface.name"), ("flags", "tcp.flags")):
            if g.get(key):
                ev[dst] = g[key].strip()
        if g.get("itype"):
            ev["icmp.type"], ev["icmp.code"] = int(g["itype"]), int(g.get("icode") or 0)
    elif kind == "acl":
        ev["rule.name"] = g["acl"]
        ev["event.action"] = "deny" if g["verdict"] == "denied" else "allow"
        ev["event.outcome"] = "failure" if g["verdict"] == "denied" else "success"
    elif kind == "generic":
        ev.pop("event.category", None)
        if ev.get("source.ip") or ev.get("destination.ip"):
            ev["event.category"] = "network"
        if re.match(r"^(?:Deny|Denied|Drop|Discard)", ev["message"], re.I):
            ev["event.action"], ev["event.outcome"] = "deny", "failure"
        if u := USER.search(ev["message"]):
            ev["user.name"] = u.group(1)
    else:
        _identity(ev, kind, code, g)


def _identity(ev: Event, kind: str, code: str, g: dict) -> None:
    if g.get("user"):
        ev["user.name"] = g["user"].strip()
    if (ip := (g.get("sip") or "").strip()) and IP.match(ip):
        ev["source.ip"] = ip
    if g.get("sport"):
        ev["source.port"] = int(g["sport"])
    if g.get("dip"):
        ev["destination.ip"] = g["dip"]
    if g.get("group"):
        ev["user.group.name"] = g["group"].strip()
    if g.get("server"):
        ev["server.address"] = g["server"]
    if g.get("reason"):
        ev["event.reason"] = g["reason"].strip()
    verdict = g.get("verdict", "")
    if kind in ("aaa", "login", "user_auth", "anyconnect"):
        ev["event.category"] = "authentication"
        ok = verdict in ("Successful", "permitted", "succeeded") or kind == "anyconnect"
        ev["event.action"] = "logout" if g.get("out") else "login" if kind != "aaa" else f"aaa-{g['what']}"
        ev["event.outcome"] = "success" if ok or g.get("out") else "failure"
    elif kind == "cmd":
        ev["event.action"], ev["process.command_line"] = "command-executed", g.get("cmd") or g.get("cmd2")
        ev["event.category"] = "configuration"
    elif kind in ("threat", "attack"):
        ev["event.category"], ev["event.action"] = "intrusion_detection", "threat-detected"
        obj = g.get("object", "")
        if IP.match(obj):
            ev["source.ip"] = obj
        elif obj:
            ev["threat.name"] = obj
    elif kind == "vpn":
        ev["event.category"] = "network"
