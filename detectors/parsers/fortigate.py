"""FortiGate / FortiOS key=value logs (traffic, utm, event), bare or behind a bare ``<PRI>``.

FortiOS sends ``<188>date=... time=... devname="fw" ...`` with no other syslog header, so ``sniff`` accepts an
optional ``<PRI>`` followed by a FortiOS key. Values are bare or double-quoted (spaces inside quotes). No library
parses FortiOS logs outside of Logstash/Beats pipelines; a single regex over ``key=value`` pairs is enough.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .common import Event

START = re.compile(r"^(?:<\d{1,3}>)?(?:date|time|devname|devid|eventtime|timestamp|logver|logid|itime|tz|type)=")
KV = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)')
TZ = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$")
PROTO = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "47": "gre", "50": "esp", "51": "ah",
         "132": "sctp", "2": "igmp", "89": "ospf"}
FAIL_ACTIONS = {"deny", "blocked", "block", "drop", "dropped", "reset", "ssl-login-fail", "login-fail", "failed",
                "tunnel-fail", "negotiate-fail", "auth-fail", "fail", "quarantine", "blacklist"}
OK_ACTIONS = {"accept", "allow", "allowed", "pass", "passthrough", "permit", "close", "timeout", "server-rst",
              "client-rst", "ssl-login-success", "tunnel-up", "login-success", "monitored", "ip-conn"}
ECS = {"dstip": "destination.ip", "user": "user.name", "devname": "observer.hostname",
       "devid": "observer.serial_number",
       "msg": "message", "logid": "event.code", "level": "log.level", "policyid": "rule.id", "logdesc": "event.reason",
       "qname": "dns.question.name", "hostname": "url.domain", "srcmac": "source.mac", "dstmac": "destination.mac",
       "srcintf": "observer.ingress.interface.name", "dstintf": "observer.egress.interface.name",
       "attack": "rule.name", "virus": "rule.name", "app": "network.application", "group": "user.group.name",
       "agent": "user_agent.original", "srccountry": "source.geo.country_name",
       "dstcountry": "destination.geo.country_name", "dst_host": "destination.domain"}
INTS = {"srcport": "source.port", "dstport": "destination.port", "sentbyte": "source.bytes",
        "rcvdbyte": "destination.bytes", "sentpkt": "source.packets", "rcvdpkt": "destination.packets",
        "duration": "event.duration_s"}
NA = ("", "N/A", "n/a", "(null)", "-")


def sniff(text: str) -> bool:
    return START.match(text) is not None and ("logid=" in text or "devname=" in text or "date=" in text)


def _kv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in KV.findall(text):
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1].replace('\\"', '"')
        out[k] = v
    return out


def _offset(tz: str | None) -> timezone:
    m = TZ.match((tz or "").strip())
    if not m:
        return timezone.utc
    mins = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return timezone(timedelta(minutes=-mins if m.group(1) == "-" else mins))


def _time(kv: dict[str, str]) -> float | None:
    for key in ("eventtime", "timestamp", "itime"):
        v = kv.get(key, "")
        if v.isdigit():  # FortiOS 6.2+ writes ns, some builds us or ms, older ones s
            n = int(v)
            return n / (1e9 if n > 1e17 else 1e6 if n > 1e14 else 1e3 if n > 1e11 else 1)
    date, clock = kv.get("date", ""), kv.get("time", "")
    if date and clock:
        try:
            dt = datetime.strptime(f"{date} {clock}", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
        return dt.replace(tzinfo=_offset(kv.get("tz"))).timestamp()
    return None


def _outcome(kv: dict[str, str]) -> str | None:
    action = kv.get("action", "").lower()
    status = kv.get("status", "").lower()
    desc = f"{kv.get('logdesc', '')} {kv.get('msg', '')}".lower()
    if action in FAIL_ACTIONS or status in ("failed", "failure", "fail", "deny", "denied") or "fail" in action:
        return "failure"
    if status in ("success", "succeeded", "ok") or action in OK_ACTIONS:
        return "success"
    if "login failed" in desc or "failed to log" in desc:
        return "failure"
    return None


def parse(text: str) -> Event | None:
    body = text[text.index(">") + 1:] if text.startswith("<") and ">" in text[:5] else text
    kv = _kv(body)
    if not kv or not ({"logid", "devname", "date", "type"} & kv.keys()):
        return None
    ev: Event = dict(kv)
    ev["observer.vendor"], ev["observer.product"] = "Fortinet", "FortiGate"
    for src, dst in ECS.items():
        if kv.get(src, "") not in NA:
            ev[dst] = kv[src]
    for src, dst in INTS.items():
        if kv.get(src, "").isdigit():
            ev[dst] = int(kv[src])
    kind, sub = kv.get("type", "").lower(), kv.get("subtype", "").lower()
    src_ip = kv.get("remip") if sub == "vpn" and kv.get("remip") else kv.get("srcip") or kv.get("remip")
    if (src_ip or "") not in NA:
        ev["source.ip"] = src_ip
    proto = kv.get("proto", "")
    if proto:
        ev["network.transport"] = PROTO.get(proto, proto.lower())
        if proto.isdigit():
            ev["network.iana_number"] = proto
    if kv.get("action", "") not in NA:
        ev["event.action"] = kv["action"]
    if outcome := _outcome(kv):
        ev["event.outcome"] = outcome
    if url := kv.get("url"):
        ev["url.original"] = url
        if url.startswith("/"):
            ev["url.path"], _, query = url.partition("?")
            if query:
                ev["url.query"] = query
    if ts := _time(kv):
        ev["_ts"] = ts
    desc = f"{kv.get('logdesc', '')} {kv.get('action', '')} {kv.get('msg', '')}".lower()
    if kind == "traffic":
        cats = ["network"]
    elif sub in ("vpn", "user") or "login" in desc or "logon" in desc or "auth" in sub:
        cats = ["authentication"]
    elif kind == "utm":
        cats = {"webfilter": ["network", "web"], "dns": ["network", "dns"], "virus": ["malware"],
                "ips": ["intrusion_detection"], "anomaly": ["intrusion_detection"]}.get(sub, ["network"])
    else:
        cats = []
    if cats:
        ev["event.category"] = cats[0] if len(cats) == 1 else cats
    ls = {"product": "fortigate"}
    if kind:
        ls["service"] = kind
    if kind == "traffic" or (kind == "utm" and sub in ("app-ctrl", "webfilter", "ips", "anomaly", "dns")):
        ls["category"] = "firewall"
    ev["_logsource"] = ls
    if ev.get("observer.hostname"):
        ev["host.name"] = ev["observer.hostname"]
    return ev
