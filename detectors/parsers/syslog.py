"""Syslog RFC 3164 and RFC 5424, with the programs security teams care about parsed into fields."""
from __future__ import annotations

import re
import time
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any

from .common import Event, iso_to_epoch

RFC5424 = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+) ?(.*)$", re.S)
RFC3164 = re.compile(r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) (\S+) "
                     r"([^\s:\[]+)(?:\[(\d+)\])?: ?(.*)$", re.S)
MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                      "Dec"), 1)}
SSHD = [
    (re.compile(r"^Failed (password|publickey|keyboard-interactive/pam) for (invalid user )?(\S+) from (\S+) port (\d+)"),
     "ssh_login", "failure"),
    (re.compile(r"^Accepted (password|publickey|keyboard-interactive/pam) for (\S+) from (\S+) port (\d+)"),
     "ssh_login", "success"),
    (re.compile(r"^Invalid user (\S*) from (\S+)(?: port (\d+))?"), "ssh_invalid_user", "failure"),
]
SUDO = re.compile(r"^\s*(\S+) : (?:(.*?) ; )?TTY=(\S+) ; PWD=(\S+) ; USER=(\S+) ;(?: COMMAND=(.*))?")
SU = re.compile(r"^(?:\(to (\S+)\) (\S+) on (\S+)|(FAILED SU|Successful su) .*?for (\S+) by (\S+))")
PAM = re.compile(r"pam_unix\((\S+)\): authentication failure;.*?(?:rhost=(\S*))?(?:\s+user=(\S+))?\s*$")
KV = re.compile(r"(\w+)=(\"[^\"]*\"|\S*)")
FW_KV = re.compile(r"\b(SRC|DST|LEN|PROTO|SPT|DPT)=(\S*)")  # netfilter values are never quoted


def parse(text: str) -> Event | None:
    m = RFC5424.match(text)
    if m:
        pri, ts, host, app, procid, msgid, sd, msg = m.groups()
        ev: Event = {"_ts": iso_to_epoch(ts) if ts != "-" else None, "host.name": None if host == "-" else host,
                     "process.name": None if app == "-" else app, "process.pid": None if procid == "-" else procid,
                     "message": msg.lstrip("\ufeff"), "log.syslog.priority": int(pri), "_syslog": "5424"}
        if sd != "-":
            ev["log.syslog.structured_data"] = sd
    else:
        m = RFC3164.match(text)
        if not m:
            return None
        pri, ts, host, app, pid, msg = m.groups()
        ev = {"_ts": _bsd_time(ts), "host.name": host, "process.name": app, "process.pid": pid, "message": msg,
              "_syslog": "3164"}
        if pri:
            ev["log.syslog.priority"] = int(pri)
    _program(ev)
    return ev


AUDIT_TS = re.compile(r"msg=audit\((\d+(?:\.\d+)?):(\d+)\)")


def parse_audit(text: str) -> Event | None:
    """A raw auditd line (``/var/log/audit/audit.log``), without a syslog header."""
    m = AUDIT_TS.search(text)
    if not m:
        return None
    ev = _auditd(text)
    ev["_ts"] = float(m.group(1))
    ev["audit.sequence"] = int(m.group(2))
    ev["_logsource"] = {"product": "linux", "service": "auditd"}
    return ev


@lru_cache(maxsize=4096)
def _bsd_time(ts: str) -> float | None:
    if ts[0].isdigit():
        return iso_to_epoch(ts)
    try:
        now = datetime.now(timezone.utc)
        dt = datetime(now.year, MONTHS[ts[:3]], int(ts[4:6]), int(ts[7:9]), int(ts[10:12]), int(ts[13:15]),
                      tzinfo=timezone.utc)
        if dt.timestamp() > time.time() + 86400:  # December lines read in January
            dt = dt.replace(year=now.year - 1)
        return dt.timestamp()
    except (KeyError, ValueError):
        return None


def _program(ev: Event) -> None:
    prog = (ev.get("process.name") or "").lower()
    msg = ev.get("message") or ""
    ls: dict[str, Any] = {"product": "linux"}
    if prog == "sshd":
        ls["service"] = "sshd"
        _sshd(ev, msg)
    elif prog == "sudo":
        ls["service"] = "sudo"
        m = SUDO.match(msg)
        if m:
            ev.update({"user.name": m.group(1), "event.action": "sudo", "process.working_directory": m.group(4),
                       "user.target.name": m.group(5), "process.command_line": m.group(6),
                       "event.outcome": "failure" if m.group(2) else "success"})
            if m.group(2):
                ev["error.message"] = m.group(2)
    elif prog == "su":
        ls["service"] = "su"
        m = SU.match(msg)
        if m:
            if m.group(1):
                ev.update({"user.target.name": m.group(1), "user.name": m.group(2), "event.outcome": "success"})
            else:
                ev.update({"user.target.name": m.group(5), "user.name": m.group(6),
                           "event.outcome": "failure" if m.group(4) == "FAILED SU" else "success"})
            ev["event.action"] = "su"
    elif prog in ("audispd", "auditd") or msg.startswith("type="):
        ls["service"] = "auditd"
        ev.update(_auditd(msg))
    elif prog == "kernel" and ("SRC=" in msg or "[UFW " in msg):
        ls = {"product": "linux", "category": "firewall"}
        _firewall(ev, msg)
    elif prog == "cron" or prog == "crond":
        ls["service"] = "cron"
    if "pam_unix" in msg:
        m = PAM.search(msg)
        if m:
            ev.update({"event.action": "pam_auth", "event.outcome": "failure"})
            if m.group(2):
                ev["source.ip"] = m.group(2)
            if m.group(3):
                ev["user.name"] = m.group(3)
    ev["_logsource"] = ls


def _sshd(ev: Event, msg: str) -> None:
    for rx, action, outcome in SSHD:
        m = rx.match(msg)
        if not m:
            continue
        g = m.groups()
        ev["event.action"], ev["event.outcome"], ev["event.category"] = action, outcome, "authentication"
        if action == "ssh_login" and outcome == "failure":
            ev.update({"user.name": g[2], "source.ip": g[3], "source.port": int(g[4]), "auth.method": g[0]})
            if g[1]:
                ev["user.invalid"] = True
        elif action == "ssh_login":
            ev.update({"user.name": g[1], "source.ip": g[2], "source.port": int(g[3]), "auth.method": g[0]})
        else:
            ev.update({"user.name": g[0], "source.ip": g[1], "user.invalid": True})
        return


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
    if kv.get("addr") not in (None, "?"):
        out["source.ip"] = kv.get("addr")
    if kv.get("acct"):
        out["user.name"] = kv["acct"]
    return out


def _firewall(ev: Event, msg: str) -> None:
    kv = dict(FW_KV.findall(msg))
    ev.update({"source.ip": kv.get("SRC"), "destination.ip": kv.get("DST"), "network.transport": (kv.get("PROTO") or
               "").lower() or None, "network.bytes": int(kv["LEN"]) if kv.get("LEN", "").isdigit() else None})
    if kv.get("SPT", "").isdigit():
        ev["source.port"] = int(kv["SPT"])
    if kv.get("DPT", "").isdigit():
        ev["destination.port"] = int(kv["DPT"])
    up = msg.upper()
    blocked = any(w in up for w in ("BLOCK", "DROP", "REJECT", "DENY"))
    ev["event.action"] = "deny" if blocked else "allow"
    ev["event.outcome"] = "failure" if blocked else "success"
    ev["event.category"] = "network"
