"""W3C extended logs: IIS access logs and the Windows Firewall log (pfirewall.log).

Both are space-separated with a ``#Fields:`` header naming the columns (values never contain spaces: W3C writes
``+`` for a space), so ``str.split`` and the header are enough. Without a header the IIS 8.5+ default field list
is used (14-column lines: the IIS 7 or IIS 6 default), or the pfirewall list for a firewall-looking line.
IIS lines carry Sigma's webserver names; ``cs-uri-query`` holds path and query as the SigmaHQ webserver rules
(and ``access.py``) expect, the logged query alone is in ``url.query``. Timestamps are UTC (IIS always writes
UTC; pfirewall says ``#Time Format: Local`` without an offset, so it is read as UTC too).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from .common import Event

IIS_DEFAULT = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
               "cs(Referer) sc-status sc-substatus sc-win32-status time-taken").split()
IIS7_DEFAULT = [f for f in IIS_DEFAULT if f != "cs(Referer)"]
IIS6_DEFAULT = ("date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
                "cs(User-Agent) sc-status sc-substatus sc-win32-status").split()
FIREWALL = ("date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype "
            "icmpcode info path").split()
FW_ACTIONS = frozenset(("ALLOW", "DROP", "OPEN", "CLOSE", "OPEN-INBOUND", "INFO-EVENTS-LOST"))
INTS = frozenset(("s-port", "sc-status", "sc-substatus", "sc-win32-status", "time-taken", "sc-bytes", "cs-bytes",
                  "c-port", "src-port", "dst-port", "size", "tcpwin", "icmptype", "icmpcode", "pid"))
DATA = re.compile(r"^(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d ")
IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def header(text: str, ctx: dict) -> bool:
    if not text.startswith("#"):
        return False
    key, _, value = text[1:].partition(":")
    key, value = key.strip(), value.strip()
    if key not in ("Software", "Version", "Date", "Fields", "Remark", "Start-Date", "End-Date", "Time Format"):
        return False
    if key == "Fields" and "x-edge-" in value:
        return False  # CloudFront's header: awsweb reads it
    w = ctx.setdefault("w3c", {})
    if key == "Fields":
        w["fields"] = value.split()
        w["kind"] = "firewall" if {"src-ip", "dst-ip", "action"} <= set(w["fields"]) else "iis"
    elif key == "Date":
        w["date"] = value.split()[0] if value else None
    elif key == "Software":
        w["software"] = value
    return True


def sniff(text: str) -> bool:
    return DATA.match(text) is not None


def _default_fields(values: list[str]) -> list[str] | None:
    if len(values) >= 3 and values[2] in FW_ACTIONS and len(values) in (len(FIREWALL), len(FIREWALL) + 1):
        return FIREWALL + ["pid"] if len(values) > len(FIREWALL) else FIREWALL
    if len(values) == len(IIS_DEFAULT):
        return IIS_DEFAULT
    if len(values) == len(IIS7_DEFAULT):
        return IIS7_DEFAULT if IPV4.match(values[2]) or ":" in values[2] else IIS6_DEFAULT
    return None


def parse(text: str, ctx: dict | None = None) -> Event | None:
    if text.startswith("#"):
        return None
    w = (ctx or {}).get("w3c") or {}
    values = text.split()
    fields = w.get("fields") or _default_fields(values)
    if not fields or len(values) != len(fields):
        return None
    rec: dict[str, Any] = {}
    for name, raw in zip(fields, values):
        if raw == "-":
            continue
        if name in INTS and raw.lstrip("-").isdigit():
            rec[name] = int(raw)
        else:
            rec[name] = raw
    ts = _epoch(rec.get("date") or w.get("date"), rec.get("time"))
    if rec.get("time") and ts is None:
        return None
    is_fw = (w.get("kind") == "firewall") if w.get("fields") else fields[:3] == FIREWALL[:3]
    ev = _firewall(rec) if is_fw else _iis(rec)
    if ts is not None:
        ev["_ts"] = ts
    return ev


@lru_cache(maxsize=4096)
def _epoch(date: str | None, clock: str | None) -> float | None:
    if not date or not clock:
        return None
    try:
        return datetime.strptime(f"{date} {clock[:8]}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def _iis(rec: dict[str, Any]) -> Event:
    ev: Event = dict(rec)
    stem, query = rec.get("cs-uri-stem"), rec.get("cs-uri-query")
    if "c-ip" in rec:
        ev["source.ip"] = rec["c-ip"]
    if "c-port" in rec:
        ev["source.port"] = rec["c-port"]
    if "s-ip" in rec:
        ev["destination.ip"] = rec["s-ip"]
    if isinstance(rec.get("s-port"), int):
        ev["destination.port"] = rec["s-port"]
    if "cs-method" in rec:
        ev["http.request.method"] = rec["cs-method"]
    if stem:
        ev["url.path"] = stem
        ev["url.original"] = f"{stem}?{query}" if query else stem
        ev["cs-uri-query"] = ev["url.original"]  # SigmaHQ webserver rules read path and query here
        tail = stem.rsplit("/", 1)[-1]
        if "." in tail:
            ev["url.extension"] = tail.rsplit(".", 1)[-1]
    if query:
        ev["url.query"] = query
    user = rec.get("cs-username")
    if user:
        ev["user.name"] = user
        for sep in ("\\", "/"):
            if sep in user:
                ev["user.domain"], ev["user.name"] = user.split(sep, 1)
                break
    ua = rec.get("cs(User-Agent)")
    if ua:
        ev["user_agent.original"] = ev["cs-user-agent"] = ua.replace("+", " ")  # W3C writes spaces as '+'
    ref = rec.get("cs(Referer)")
    if ref:
        ev["http.request.referrer"] = ev["cs-referer"] = ref
    status = rec.get("sc-status")
    if isinstance(status, int):
        ev["http.response.status_code"] = status
        ev["event.outcome"] = "failure" if status >= 400 else "success"
    for src, dst in (("cs-host", "url.domain"), ("s-computername", "host.name"), ("s-sitename", "service.name"),
                     ("sc-bytes", "http.response.bytes"), ("cs-bytes", "http.request.bytes"),
                     ("cs(Cookie)", "http.request.cookie")):
        if src in rec:
            ev[dst] = rec[src]
    if str(rec.get("cs-version", "")).startswith("HTTP/"):
        ev["http.version"] = rec["cs-version"][5:]
    if isinstance(rec.get("time-taken"), int):
        ev["event.duration"] = rec["time-taken"] * 1_000_000  # milliseconds -> nanoseconds
    ev.update({"event.category": "web", "observer.vendor": "microsoft", "observer.product": "iis"})
    ev["_logsource"] = {"category": "webserver", "product": "windows", "service": "iis"}
    return ev


def _firewall(rec: dict[str, Any]) -> Event:
    ev: Event = dict(rec)
    for src, ecs, sigma in (("src-ip", "source.ip", "src_ip"), ("dst-ip", "destination.ip", "dst_ip"),
                            ("src-port", "source.port", "src_port"), ("dst-port", "destination.port", "dst_port")):
        if src in rec:
            ev[ecs] = ev[sigma] = rec[src]
    action = str(rec.get("action", "")).upper()
    if action:
        ev["event.action"] = action.lower()
    if action in ("ALLOW", "OPEN", "OPEN-INBOUND"):
        ev["event.outcome"], ev["event.type"] = "success", "allowed"
    elif action == "DROP":
        ev["event.outcome"], ev["event.type"] = "failure", "denied"
    if isinstance(rec.get("protocol"), str):
        ev["network.transport"] = rec["protocol"].lower()
    if isinstance(rec.get("size"), int):
        ev["network.bytes"] = rec["size"]
    direction = {"SEND": "outbound", "RECEIVE": "inbound", "FORWARD": "forward"}.get(str(rec.get("path", "")).upper())
    if direction:
        ev["network.direction"] = direction
    if isinstance(rec.get("pid"), int):
        ev["process.pid"] = rec["pid"]
    ev.update({"event.category": "network", "observer.vendor": "microsoft", "observer.product": "windows firewall"})
    ev["_logsource"] = {"product": "windows", "service": "firewall", "category": "firewall"}
    return ev
