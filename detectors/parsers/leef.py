"""IBM QRadar LEEF 1.0 and 2.0 (``LEEF:2.0|Vendor|Product|Version|EventID|<delim>|key=value<delim>...``).

LEEF 1.0 separates attributes with a tab; 2.0 names the delimiter in a sixth header field (one character or a
hex code such as ``x09`` / ``0x5E``), but some producers (Trend Micro Deep Security) skip that field and start the
attributes at once, so the sixth field is only a delimiter when it has no ``=``. Trend Micro also joins a few
attributes with a space inside one tab field (``sev=8 cn1=37 cn1Label=Host ID``): those known keys are split out.
``devTime`` is read with ``devTimeFormat`` (Java SimpleDateFormat, translated to strptime). No PyPI package parses
LEEF 2.0 delimiters; the format is small enough to read here.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone

from .common import Event

START = re.compile(r"LEEF: ?(\d(?:\.\d)?)\|")
HEX = re.compile(r"^(?:0?[xX])([0-9a-fA-F]{1,4})$")
KNOWN = ("cat|devTime|devTimeFormat|proto|sev|src|dst|srcPort|dstPort|srcPreNAT|dstPreNAT|srcPostNAT|dstPostNAT|"
         "usrName|srcMAC|dstMAC|srcPreNATPort|dstPreNATPort|srcPostNATPort|dstPostNATPort|identSrc|identHostName|"
         "identNetBios|identGrpName|identMAC|vSrc|vSrcName|accountName|srcBytes|dstBytes|srcPackets|dstPackets|"
         "totalPackets|role|realm|policy|resource|url|groupID|domain|isLoginEvent|isLogoutEvent|name|desc|msg|act|"
         "suser|duser|dvc|dvchost|request|filePath|fileHash|action|c[ns]\\d+(?:Label)?|TrendMicro\\w*")
INNER = re.compile(rf" (?=(?:{KNOWN})=)")
JAVA = re.compile(r"yyyy|yy|MMM|MM|M|dd|d|HH|H|hh|mm|ss|SSS|a|zzz|z|Z|XXX|X|EEE|'[^']*'")
JAVA_MAP = {"yyyy": "%Y", "yy": "%y", "MMM": "%b", "MM": "%m", "M": "%m", "dd": "%d", "d": "%d", "HH": "%H",
            "H": "%H", "hh": "%I", "mm": "%M", "ss": "%S", "SSS": "%f", "a": "%p", "zzz": "%Z", "z": "%Z",
            "Z": "%z", "XXX": "%z", "X": "%z", "EEE": "%a"}
DEFAULT_FORMATS = ("%b %d %Y %H:%M:%S.%f %Z", "%b %d %Y %H:%M:%S %Z", "%b %d %Y %H:%M:%S.%f", "%b %d %Y %H:%M:%S",
                   "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S")
PROTO = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp"}
ECS = {"usrName": "user.name", "suser": "user.name", "accountName": "user.name", "duser": "user.target.name",
       "act": "event.action", "action": "event.action", "msg": "message", "name": "event.name", "desc": "message",
       "request": "url.original", "url": "url.original", "filePath": "file.path", "dvchost": "observer.hostname",
       "identHostName": "host.name", "srcMAC": "source.mac", "dstMAC": "destination.mac", "policy": "rule.name",
       "domain": "user.domain", "identGrpName": "user.group.name"}
INTS = {"srcPort": "source.port", "dstPort": "destination.port", "srcBytes": "source.bytes",
        "dstBytes": "destination.bytes", "srcPackets": "source.packets", "dstPackets": "destination.packets",
        "sev": "event.severity"}


def sniff(text: str) -> bool:
    return START.search(text, 0, 300) is not None


def _ip(v: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(v)) if v else None
    except ValueError:
        return None


def _delimiter(spec: str) -> str | None:
    if len(spec) == 1:
        return spec
    m = HEX.match(spec)
    return chr(int(m.group(1), 16)) if m else None


def _split(attrs: str, delim: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if delim == "\t":
        attrs = attrs.replace("#011", "\t")  # rsyslog's escape of a tab
    if delim not in attrs and "\t" not in attrs and delim == "\t":  # a 1.0 sender that used another separator
        delim = next((d for d in ("^", "|") if d in attrs), " ")
    chunks = re.split(r" (?=[\w.\[\]-]+=)", attrs) if delim == " " else attrs.split(delim)
    for chunk in chunks:
        for part in INNER.split(chunk):
            key, sep, value = part.partition("=")
            if sep and key.strip():
                out[key.strip()] = value.strip()
            elif out and part:  # a delimiter inside a value: keep it with the value before
                last = next(reversed(out))
                out[last] += delim + part
    return out


def _java_format(fmt: str) -> str:
    return JAVA.sub(lambda m: m.group(0)[1:-1] if m.group(0).startswith("'") else JAVA_MAP[m.group(0)], fmt)


def _dev_time(value: str, fmt: str | None) -> float | None:
    value = value.strip()
    if value.isdigit():
        n = int(value)
        return n / 1000.0 if n > 1e11 else float(n)
    formats = (_java_format(fmt),) if fmt else DEFAULT_FORMATS
    for f in formats:
        try:
            dt = datetime.strptime(value, f)
        except ValueError:
            continue
        return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()
    return None


def parse(text: str) -> Event | None:
    m = START.search(text, 0, 300)
    if not m:
        return None
    version = m.group(1)
    parts = text[m.end():].split("|", 4)
    if len(parts) < 5:
        return None
    vendor, product, dev_version, event_id, rest = parts
    delim = "\t"
    if version.startswith("2"):
        spec, bar, after = rest.partition("|")
        if rest.startswith("||"):
            delim, rest = "|", rest[2:]
        elif bar and "=" not in spec and (d := _delimiter(spec)):
            delim, rest = d, after
    kv = _split(rest, delim)
    ev: Event = dict(kv)
    ev.update({"leef.version": version, "observer.vendor": vendor, "observer.product": product,
               "observer.version": dev_version, "event.code": event_id})
    for src, dst in ECS.items():
        if kv.get(src) and dst not in ev:
            ev[dst] = kv[src]
    for src, dst in INTS.items():
        if kv.get(src, "").lstrip("-").isdigit():
            ev[dst] = int(kv[src])
    for src, dst in (("src", "source.ip"), ("dst", "destination.ip"), ("dvc", "observer.ip"),
                     ("srcPostNAT", "source.nat.ip"), ("dstPreNAT", "destination.nat.ip")):
        if ip := _ip(kv.get(src)):
            ev[dst] = ip
    if proto := kv.get("proto"):
        ev["network.transport"] = PROTO.get(proto, proto.lower())
    if kv.get("devTime") and (ts := _dev_time(kv["devTime"], kv.get("devTimeFormat"))):
        ev["_ts"] = ts
    prefix = text[:m.start()].strip()
    if prefix:
        ev["log.syslog.header"] = prefix
        host = prefix.split()[-1].rstrip(":")
        if not host.startswith("<") and not ev.get("observer.hostname"):
            ev["observer.hostname"] = host
    if ev.get("observer.hostname") and not ev.get("host.name"):
        ev["host.name"] = ev["observer.hostname"]
    ev["_logsource"] = _logsource(ev, vendor, product, kv)
    return ev


def _logsource(ev: Event, vendor: str, product: str, kv: dict[str, str]) -> dict:
    ls = {"product": product.lower() or vendor.lower()}
    text = f"{product} {kv.get('cat', '')}".lower()
    if any(w in text for w in ("anti-malware", "antivirus", "anti-virus", "malware", "virus")):
        ls["category"] = "antivirus"
        ev["event.category"] = "malware"
        if ev.get("event.name"):  # SigmaHQ's antivirus rules read Signature / Filename
            ev.setdefault("Signature", ev["event.name"])
        if ev.get("file.path"):
            ev.setdefault("Filename", ev["file.path"])
    elif re.search(r"\b(?:intrusion|ips|ids|threat)\b", text):
        ls["category"], ev["event.category"] = "ids", "intrusion_detection"
    elif any(w in text for w in ("firewall", "traffic")):
        ls["category"], ev["event.category"] = "firewall", "network"
    elif "web reputation" in text:
        ev["event.category"] = "web"
    if kv.get("isLoginEvent") == "true" or kv.get("isLogoutEvent") == "true":
        ev["event.category"] = "authentication"
    return ls
