"""Syslog RFC 3164 and RFC 5424, with the programs security teams care about parsed into fields.

Program tags come in the forms real systems write: ``sshd[1]:``, ``sshd(pam_unix)[1]:``, ``prog[1] (sub):``,
``prog[1] <Info>:``, no pid, an empty host; a line with no tag keeps its message. A BSD timestamp has no year:
it takes the year that puts it closest before the reference time (arrival, or the file's date), so December
lines read in January land in December of the year before.
"""
from __future__ import annotations

import re
from time import time as _time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable

from .access import _epoch as access_time
from .common import MONTHS, Event, iso_to_epoch
from .linuxauth import is_ip as fast_is_ip, pam, sshd, su, sudo

RFC5424 = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[[^\]\\]*(?:\\.[^\]\\]*)*\])+) ?(.*)$", re.S)
BSD_TS = r"[A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?(?: \d{4}(?= ))?"
ISO_TS = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
RFC3164 = re.compile(rf"^(?:<(\d{{1,3}})>)?({BSD_TS}|{ISO_TS}) (\S*) ?"
                     r"([^\s:\[\(]+)(?:\(([^)\s]*)\))?(?:\[(\d+)\])?(?: \(([^)]*)\)| <(\w+)>)?: ?(.*)$", re.S)
# the classic form, by far the commonest: tried before the general one (which allows the rarer tag forms)
CLASSIC = re.compile(r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\s:\[\(]+)(?:\[(\d+)\])?: ?(.*)$",
                     re.S)
CLASSIC_ISO = re.compile(rf"^(?:<(\d{{1,3}})>)?({ISO_TS}) (\S+) ([^\s:\[\(]+)(?:\[(\d+)\])?: ?(.*)$", re.S)  # rsyslog's
UNTAGGED = re.compile(rf"^(?:<(\d{{1,3}})>)?({BSD_TS}|{ISO_TS}) (\S+) (.*)$", re.S)
# Cisco-style "<166>Aug 06 2016 20:39:42: %ASA-…" and "Feb 29 01:15:43: text": a time, a colon, no host
HOSTLESS = re.compile(r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2} {1,2}\d{1,2}(?: \d{4})? \d\d:\d\d:\d\d(?:\.\d+)?): (.*)$", re.S)
# "<164>fenotify-1.alert: text": a relayed message with a tag and no time or host
NO_TIME = re.compile(r"^<(\d{1,3})>([^\s:\[<]+)(?:\[(\d+)\])?: ?(.*)$", re.S)
LOOKS = re.compile(rf"^(?:{BSD_TS}|{ISO_TS}) ")
SD_PARAM = re.compile(r'([^\s=]+)="([^"\\]*(?:\\.[^"\\]*)*)"')
REPEATED = re.compile(r"^(?:last )?message repeated (\d+) times(?:: \[ ?(.*?)\]?)?$", re.S)


MONTH_NAMES = frozenset(MONTHS)


def looks_like_header(line: str) -> bool:
    if line[:3] not in MONTH_NAMES and not (line[4:5] == "-" and line[:4].isdigit()):
        return False
    return LOOKS.match(line) is not None


def parse_header(text: str, ref: float | None = None) -> tuple[Event, str, bool] | None:
    """(event, "3164" or "5424", program known): the stream's path, without marker keys to pop again."""
    m = CLASSIC.match(text) if text[:1] != "2" else CLASSIC_ISO.match(text)
    if m:  # the commonest forms first, with the fewest steps
        pri, ts, host, app, pid, msg = m.groups()
        ev: Event = {"_ts": _stamp(ts, ref), "host.name": host, "process.name": app, "process.pid": pid,
                     "message": msg.strip()}
        if pri:
            ev["log.syslog.priority"] = int(pri)
        return ev, "3164", _program(ev, app, ev["message"], False)
    m = RFC5424.match(text) if text[:1] == "<" and text.find(">1 ", 1, 6) > 0 else None
    if m:
        pri, ts, host, app, procid, msgid, sd, msg = m.groups()
        ev = {"_ts": iso_to_epoch(ts) if ts != "-" else None, "host.name": None if host == "-" else host,
              "process.name": None if app == "-" else app, "process.pid": None if procid == "-" else procid,
              "message": msg.lstrip("\ufeff").strip(), "log.syslog.priority": int(pri)}
        if msgid != "-":
            ev["log.syslog.msgid"] = msgid
        if sd != "-":
            ev["log.syslog.structured_data"] = sd
            _structured(ev, sd)
        return ev, "5424", _program(ev, ev["process.name"], ev["message"], False)
    pam_title = False
    if (m := RFC3164.match(text)) is not None:
        pri, ts, host, app, sub, pid, sub2, level, msg = m.groups()
        ev = {"_ts": _stamp(ts, ref), "host.name": host or None, "process.name": app,
              "process.pid": pid, "message": msg.strip()}
        if sub or sub2:
            ev["process.title"] = sub or sub2
            pam_title = ev["process.title"] == "pam_unix"
        if level:
            ev["log.level"] = level
    elif (m := HOSTLESS.match(text)) is not None:
        pri, ts, msg = m.groups()
        ev = {"_ts": _stamp(_year_last(ts), ref), "message": msg.strip()}
    elif (m := UNTAGGED.match(text)) is not None:
        pri, ts, host, msg = m.groups()
        ev = {"_ts": _stamp(ts, ref), "host.name": host, "message": msg.strip()}
    elif (m := NO_TIME.match(text)) is not None:
        pri, app, pid, msg = m.groups()
        ev = {"process.name": app, "process.pid": pid, "message": msg.strip()}
    else:
        return None
    if pri:
        ev["log.syslog.priority"] = int(pri)
    return ev, "3164", _program(ev, ev.get("process.name"), ev["message"], pam_title)


def wrap(header: Event, inner: Event) -> Event:
    """A device format carried in syslog: the inner record's fields win; the header says who relayed it."""
    out = dict(inner)
    for k in ("log.syslog.priority", "log.syslog.structured_data"):
        if header.get(k) is not None:
            out.setdefault(k, header[k])
    if header.get("host.name"):
        out.setdefault("observer.hostname", header["host.name"])
        out.setdefault("host.name", header["host.name"])
    if out.get("_ts") is None and header.get("_ts") is not None:
        out["_ts"] = header["_ts"]
    return out


SD_BLOCK = re.compile(r"\[([^\]\\]*(?:\\.[^\]\\]*)*)\]")
SD_UNESCAPE = re.compile(r'\\([\]"\\])')


def _structured(ev: Event, sd: str) -> None:
    for block in SD_BLOCK.findall(sd):
        sdid, _, params = block.partition(" ")
        for k, v in SD_PARAM.findall(params):
            ev[f"log.syslog.structured_data.{sdid}.{k}"] = SD_UNESCAPE.sub(r"\1", v) if "\\" in v else v


AUDIT_TS = re.compile(r"msg=audit\((\d+(?:\.\d+)?)(?::(\d+))?\)")


def parse_audit(text: str) -> Event | None:
    """A raw auditd line (``/var/log/audit/audit.log``), without a syslog header."""
    m = AUDIT_TS.search(text)
    if not m:
        return None
    ev = _auditd(text)
    ev["_ts"] = float(m.group(1))
    if m.group(2):
        ev["audit.sequence"] = int(m.group(2))
    if text.startswith("node="):
        ev["host.name"] = text[5:].split(" ", 1)[0]
    ev["_logsource"] = {"product": "linux", "service": "auditd"}
    return ev


def _year_last(ts: str) -> str:
    """``Aug 06 2016 20:39:42`` -> ``Aug 06 20:39:42 2016`` (the order the BSD parser reads)."""
    parts = ts.split()
    return f"{parts[0]} {parts[1]} {parts[3]} {parts[2]}" if len(parts) == 4 else ts


def _stamp(ts: str, ref: float | None) -> float | None:
    """A BSD time's epoch, by the day it was read on (the reference, or today)."""
    return _bsd_time(ts, int((_time() if ref is None else ref) // 86400))


@lru_cache(maxsize=8192)
def _bsd_time(ts: str, ref_day: int) -> float | None:
    """Cached: log bursts repeat the same second."""
    if ts[0].isdigit():
        return iso_to_epoch(ts.replace(" ", "T", 1))
    try:
        parts = ts.split()
        hh, mi, ss = parts[2].split(":")
        sec = float(ss)
        month, day = MONTHS[parts[0]], int(parts[1])
        if len(parts) > 3:
            return datetime(int(parts[3]), month, day, int(hh), int(mi), int(sec), tzinfo=timezone.utc).timestamp() \
                + sec % 1
        limit = (ref_day + 1) * 86400 + 86400
        year = datetime.fromtimestamp(ref_day * 86400, tz=timezone.utc).year
        for y in (year + 1, year, year - 1):  # the latest year that is not after the reference (plus a day)
            try:
                t = datetime(y, month, day, int(hh), int(mi), int(sec), tzinfo=timezone.utc).timestamp()
            except ValueError:  # 29 February of a year without one
                continue
            if t <= limit:
                return t + sec % 1
        return None
    except (KeyError, ValueError, IndexError):
        return None


def _program(ev: Event, prog: str | None, msg: str, pam_title: bool) -> bool:
    """Fields of the programs we know, found by name (one dict lookup), and the logsource; whether it was known."""
    if msg.find("repeated", 0, 25) >= 0 and (rep := REPEATED.match(msg)) is not None:
        count = int(rep.group(1))  # rsyslog's "message repeated N times: [ msg ]": the record, counted N times
        ev["event.repeat_count"] = count
        if rep.group(2):
            msg = ev["message"] = rep.group(2).strip()
    else:
        count = 0
    spec = PROGRAMS.get(prog) if prog else None  # type: ignore[arg-type]
    if spec is None and prog:
        spec = PROGRAMS.get(prog.lower())
    if spec is not None:
        parse_fields, ls = spec
        if parse_fields is not None and not pam_title:  # sshd(pam_unix): PAM's line, read below
            ls = parse_fields(ev, msg) or ls  # a handler may name a narrower logsource (the kernel's firewall)
        ev["_logsource"] = ls.copy()
        known = True
    elif msg.startswith("type="):
        ev["_logsource"], known = _audit(ev, msg).copy(), True
    elif "SRC=" in msg and " DST=" in msg:
        netfilter(ev, msg)
        ev["_logsource"], known = FIREWALL_LS.copy(), True
    else:
        ev["_logsource"], known = {"product": "linux"}, False
    if "authentication failure" in msg:  # pam_unix's failure line and its "N more" summary, in any program
        pam(ev, msg)
    if count and ev.get("auth.attempts"):
        ev["auth.attempts"] = ev["auth.attempts"] * count
    return known


def program_fields(prog: str | None, msg: str) -> tuple[Event, dict[str, Any]]:
    """The fields and logsource a message of ``prog`` gets (journald's messages carry no syslog header)."""
    ev: Event = {"message": msg}
    _program(ev, prog, msg, False)
    return ev, ev.pop("_logsource")


AUDITD_LS = {"product": "linux", "service": "auditd"}
FIREWALL_LS = {"product": "linux", "category": "firewall"}


def _audit(ev: Event, msg: str) -> dict[str, Any]:
    ev.update(_auditd(msg))
    return AUDITD_LS


def _kernel(ev: Event, msg: str) -> dict[str, Any] | None:
    if "SRC=" in msg and " DST=" in msg:
        netfilter(ev, msg)
        return FIREWALL_LS
    return None


# program -> (field parser, which may return a narrower logsource, or None; the program's logsource)
PROGRAMS: dict[str, tuple[Callable[[Event, str], dict[str, Any] | None] | None, dict[str, Any]]] = {
    **dict.fromkeys(("sshd", "sshd-session", "sshd-auth"), (sshd, {"product": "linux", "service": "sshd"})),
    "sudo": (sudo, {"product": "linux", "service": "sudo"}), "su": (su, {"product": "linux", "service": "su"}),
    "audispd": (_audit, AUDITD_LS), "auditd": (_audit, AUDITD_LS), "kernel": (_kernel, {"product": "linux"}),
    **dict.fromkeys(("cron", "crond"), (None, {"product": "linux", "service": "cron"}))}


KV = re.compile(r"(\w+)=(\"[^\"]*\"|\S*)")


def _kv(msg: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in KV.findall(msg)}


def _auditd(msg: str) -> Event:
    kv = _kv(msg)
    out: Event = dict(kv)
    if "type" in kv:
        out["event.action"] = kv["type"].lower()
    if kv.get("exe"):
        out["process.executable"] = kv["exe"]
    if kv.get("res") or kv.get("success"):
        out["event.outcome"] = "success" if (kv.get("res") or kv.get("success")) in ("success", "yes") else "failure"
    addr = kv.get("addr")
    if addr not in (None, "?", ""):
        out["source.ip" if fast_is_ip(addr) else "source.domain"] = addr
    if kv.get("acct"):
        out["user.name"] = kv["acct"]
    return out


FW_KEYS = ("SRC", "DST", "LEN", "PROTO", "SPT", "DPT", "IN", "OUT")


def _fw_fields(msg: str) -> dict[str, str]:
    """The first ``KEY=value`` of each key netfilter writes (a word of its own); a few finds cost less than a
    regex that tries eight names at every word boundary."""
    text = " " + msg
    out = {}
    for key in FW_KEYS:
        at = text.find(f" {key}=")
        if at >= 0:
            at += len(key) + 2
            end = text.find(" ", at)
            out[key] = text[at:] if end < 0 else text[at:end]
    return out


def netfilter(ev: Event, msg: str) -> None:
    """iptables/ufw/nftables LOG lines (``SRC= DST= PROTO= SPT= DPT=``), in the kernel log or any wrapper."""
    kv = _fw_fields(msg)
    get = kv.get
    proto, size, spt, dpt = get("PROTO"), get("LEN", ""), get("SPT", ""), get("DPT", "")
    ev["source.ip"], ev["destination.ip"] = get("SRC"), get("DST")
    ev["network.transport"] = proto.lower() if proto else None
    ev["network.bytes"] = int(size) if size.isdigit() else None
    if get("IN"):
        ev["observer.ingress.interface.name"] = kv["IN"]
    if get("OUT"):
        ev["observer.egress.interface.name"] = kv["OUT"]
    if spt.isdigit():
        ev["source.port"] = int(spt)
    if dpt.isdigit():
        ev["destination.port"] = int(dpt)
    prefix = msg[:msg.find("SRC=")].upper()  # the verdict is in the log prefix, before the fields
    blocked = "BLOCK" in prefix or "DROP" in prefix or "REJECT" in prefix or "DENY" in prefix
    ev["event.action"] = "deny" if blocked else "allow"
    ev["event.outcome"] = "failure" if blocked else "success"
    ev["event.category"] = "network"


PVE_CHAIN = re.compile(r"\b(PVEFW-\S+)")
PVE_TS = re.compile(r"(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})")


def sniff_netfilter(text: str) -> bool:
    """A netfilter LOG line without a syslog header (Proxmox pvefw, ulogd, a bare ``dmesg`` line)."""
    return "SRC=" in text and " DST=" in text and text[0] != "<" and not looks_like_header(text)


def parse_netfilter(text: str) -> Event | None:
    ev: Event = {"message": text}
    netfilter(ev, text)
    if not ev.get("source.ip"):
        return None
    m = PVE_TS.search(text, 0, 120)
    if m:
        ts = access_time(m.group(1))
        if ts is not None:
            ev["_ts"] = ts
    chain = PVE_CHAIN.search(text, 0, 80)
    if chain:
        ev["rule.name"] = chain.group(1)
    ev["_logsource"] = {"product": "linux", "category": "firewall"}
    return ev
