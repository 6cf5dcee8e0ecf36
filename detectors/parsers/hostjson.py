"""Host-side JSON document kinds: journald export (``journalctl -o json``), Caddy's Coraza WAF logger, Laurel auditd.

Dispatched by :mod:`cloudjson` (``kind`` / ``from_doc``); kept apart only to keep each module short.
"""
from __future__ import annotations

import re
from typing import Any

from .common import Event, iso_to_epoch
from .common import flatten


def _set(ev: Event, key: str, value: Any) -> None:
    if value not in (None, "", "-", []):
        ev[key] = value


def _port(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


# ---- journald ---------------------------------------------------------------------------------------------------
JOURNAL_SERVICE = {"sshd": "sshd", "sshd-session": "sshd", "sudo": "sudo", "su": "auth", "cron": "cron",
                   "crond": "cron", "anacron": "cron", "auditd": "auditd", "audispd": "auditd"}


def journald(doc: dict[str, Any]) -> list[Event]:
    ev = dict(doc)
    msg = doc.get("MESSAGE")
    if isinstance(msg, list):  # journald exports non-UTF-8 messages as a byte array
        msg = bytes(b & 0xFF for b in msg if isinstance(b, int)).decode("utf-8", "replace")
    ident = doc.get("SYSLOG_IDENTIFIER") or doc.get("_COMM")
    ts = _port(doc.get("_SOURCE_REALTIME_TIMESTAMP") or doc.get("__REALTIME_TIMESTAMP"))
    if ts:
        ev["_ts"] = ts / 1e6
    _set(ev, "message", msg)
    _set(ev, "process.name", ident)
    _set(ev, "process.pid", _port(doc.get("_PID") or doc.get("SYSLOG_PID")))
    _set(ev, "process.executable", doc.get("_EXE"))
    _set(ev, "process.command_line", doc.get("_CMDLINE"))
    _set(ev, "host.name", doc.get("_HOSTNAME"))
    _set(ev, "user.id", doc.get("_UID"))
    _set(ev, "log.syslog.priority", _port(doc.get("PRIORITY")))
    _set(ev, "systemd.unit", doc.get("_SYSTEMD_UNIT"))
    ls = {"product": "linux"}
    service = JOURNAL_SERVICE.get(str(ident or "").lower())
    if service:
        ls["service"] = service
    ev["_logsource"] = ls
    return [ev]


# ---- Caddy / Coraza WAF and Laurel auditd -----------------------------------------------------------------------
_AUDIT_ID = re.compile(r"\d+\.\d+:\d+$")
CORAZA_TAG = re.compile(r'\[(\w+) "([^"\\]*(?:\\.[^"\\]*)*)"\]')


def coraza(doc: dict[str, Any]) -> list[Event]:
    """Caddy's ``http.handlers.waf`` logger: Coraza's ModSecurity-style ``[key "value"]`` message."""
    ev = flatten(doc)
    msg = str(doc.get("msg") or "")
    tags: dict[str, Any] = {}
    for k, v in CORAZA_TAG.findall(msg):
        if k == "tag":
            tags.setdefault("tag", []).append(v)
        else:
            tags.setdefault(k, v)
    ev.update({f"coraza.{k}": v for k, v in tags.items()})
    ev.update({"_ts": iso_to_epoch(doc.get("ts")), "message": msg, "event.category": "intrusion_detection",
               "observer.product": "Coraza", "event.action": "deny" if "Access denied" in msg else "alert"})
    _set(ev, "rule.id", tags.get("id"))
    _set(ev, "rule.name", tags.get("msg"))
    _set(ev, "source.ip", tags.get("client"))
    _set(ev, "url.original", tags.get("uri"))
    _set(ev, "event.severity_name", tags.get("severity"))
    ev["_logsource"] = {"product": "coraza", "service": "waf"}
    return [ev]


def laurel(doc: dict[str, Any]) -> list[Event]:
    """Laurel's one JSON per audit event: SYSCALL, EXECVE, PATH … merged, raw auditd names kept for Sigma."""
    sc = doc.get("SYSCALL") if isinstance(doc.get("SYSCALL"), dict) else {}
    ex = doc.get("EXECVE") if isinstance(doc.get("EXECVE"), dict) else {}
    if not sc:  # a record without a syscall (ANOM_ABEND, USER_*): its first record's fields stand in
        first = next((v for k, v in doc.items() if k != "ID" and isinstance(v, (dict, list))), {})
        sc = (first[0] if first and isinstance(first[0], dict) else {}) if isinstance(first, list) else first
    ev: Event = {k: v for k, v in sc.items() if not isinstance(v, (dict, list))}
    ev.update(flatten({k: v for k, v in doc.items() if k not in ("SYSCALL", "EXECVE", "PATH")}))
    ev["type"] = [k for k in doc if k.isupper() and k != "ID"]
    argv = ex.get("ARGV") or (doc.get("PROCTITLE") or {}).get("ARGV") or []
    for i, a in enumerate(argv if ex else sc.get("ARGV") or []):
        ev[f"a{i}"] = a
    names = [p.get("name") for p in doc.get("PATH") or [] if isinstance(p, dict) and p.get("name")]
    _set(ev, "name", names)
    stamp = str(doc.get("ID") or "").split(":")[0]
    try:
        ev["_ts"] = float(stamp)
    except ValueError:
        pass
    ev["process.pid"], ev["process.parent.pid"] = sc.get("pid"), sc.get("ppid")
    _set(ev, "process.executable", sc.get("exe"))
    _set(ev, "process.name", sc.get("comm"))
    _set(ev, "process.command_line", " ".join(str(a) for a in argv) if argv else None)
    _set(ev, "process.parent.executable", (sc.get("PPID") or {}).get("exe"))
    _set(ev, "user.name", sc.get("UID") or sc.get("AUID"))
    _set(ev, "user.effective.name", sc.get("EUID"))
    _set(ev, "event.action", str(sc.get("SYSCALL") or "").lower())
    if sc.get("success"):
        ev["event.outcome"] = "success" if sc["success"] == "yes" else "failure"
    ev["_logsource"] = {"product": "linux", "service": "auditd"}
    return [ev]
