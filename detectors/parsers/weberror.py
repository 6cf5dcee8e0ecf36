"""Apache httpd error log (2.2 and 2.4 forms) and nginx error log, with ModSecurity (v2 and v3) hits parsed.

Bracketed prefixes (Apache) and the trailing ``, client: ..., request: "..."`` context (nginx) are regular;
ModSecurity appends ``[key "value"]`` pairs. No library parses these. SigmaHQ's rules for these logs name
``service: apache`` / ``service: nginx`` only (keyword rules on the error log), so the logsource is
``{"product": "apache", "service": "apache"}`` / ``{"product": "nginx", "service": "nginx"}``: not
``category: webserver``, whose rules read access-log fields and would alert twice on payloads quoted here.
ModSecurity's pairs are kept as ``modsec.<key>`` (bare ``id``/``file``/``line`` would collide with other fields).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .common import Event, is_ip

APACHE = re.compile(r"^\[(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4})\] ")
SYSLOG_BODY = re.compile(r"^\[(?:[\w.-]*:\w+|pid \d+[^\]]*|client [^\]]+)\] ")
BRACKET = re.compile(r"\[([^\]]*)\] ?")
NGINX = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?(.*)$", re.S)
NGINX_CTX = re.compile(r',? (client|server|request|upstream|host|referrer|subrequest|port|login): '
                       r'("(?:[^"\\]|\\.)*"|[^,]*)')
MODSEC = re.compile(r'\[(\w+) "((?:[^"\\]|\\.)*)"\]')
AH_CODE = re.compile(r"^(AH\d{5}): ")
DENIED = re.compile(r"Access denied with code (\d{3})")
MODSEC_SEVERITY = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG")


def sniff(text: str) -> bool:
    return APACHE.match(text) is not None or NGINX.match(text[:60] + " ") is not None



def _client(value: str, has_port: bool) -> tuple[str | None, int | None]:
    """Apache 2.4 writes ``ip:port`` (``::1:37752`` for IPv6, no brackets); 2.2 and ModSecurity write the IP."""
    value = value.strip()
    if not has_port and is_ip(value):
        return value, None
    head, sep, port = value.rpartition(":")
    if sep and port.isdigit() and is_ip(head.strip("[]")):
        return head.strip("[]"), int(port)
    return (value, None) if is_ip(value) else (None, None)


def parse(text: str) -> Event | None:
    if text.startswith("["):
        return _apache(text)
    return _nginx(text)


def _apache(text: str) -> Event | None:
    m = APACHE.match(text)
    ev: Event = {}
    if m:
        stamp = m.group(1)
        try:
            fmt = "%a %b %d %H:%M:%S.%f %Y" if "." in stamp else "%a %b %d %H:%M:%S %Y"
            ev["_ts"] = datetime.strptime(stamp, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return None
        pos, modern = m.end(), "." in stamp
    elif SYSLOG_BODY.match(text):  # ErrorLog syslog: the body after the syslog header has no timestamp
        pos, modern = 0, True
    else:
        return None
    while True:
        b = BRACKET.match(text, pos)
        if not b:
            break
        inner = b.group(1)
        if "log.level" not in ev and not inner.startswith(("pid ", "client ", "remote ")):
            module, colon, level = inner.rpartition(":")  # 2.4: [module:level]; 2.2: [level]
            modern = modern or bool(colon)
            ev["log.level"] = level
            if module:
                ev["log.logger"] = module
        elif inner.startswith("pid "):
            pid, _, tid = inner[4:].partition(":tid ")
            if pid.isdigit():
                ev["process.pid"] = int(pid)
            if tid.isdigit():
                ev["process.thread.id"] = int(tid)
            modern = True
        elif inner.startswith(("client ", "remote ")):
            ip, port = _client(inner.split(" ", 1)[1], modern and "source.ip" not in ev)
            key = "source" if inner.startswith("client ") else "client"
            if ip and f"{key}.ip" not in ev:
                ev[f"{key}.ip"] = ip
                if port is not None:
                    ev[f"{key}.port"] = port
        else:
            break
        pos = b.end()
    if "source.ip" not in ev and "client.ip" in ev:  # [remote ...] only: the peer is the client
        ev["source.ip"] = ev["client.ip"]
    msg = text[pos:]
    if c := AH_CODE.match(msg):
        ev["error.code"] = c.group(1)
    ev["message"] = msg
    _modsec(ev, msg)
    ev.update({"observer.product": "apache", "event.category": ev.get("event.category", "web")})
    ev["_logsource"] = {"product": "apache", "service": "apache"}
    return ev


def _nginx(text: str) -> Event | None:
    m = NGINX.match(text)
    if not m:
        return None
    stamp, level, pid, tid, conn, msg = m.groups()
    try:
        ts = datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None
    ev: Event = {"_ts": ts, "log.level": level, "process.pid": int(pid), "process.thread.id": int(tid)}
    if conn:
        ev["nginx.connection_id"] = int(conn)
    cut = msg.rfind(", client: ")
    if cut < 0 and msg.startswith("client: "):
        cut = 0
    if cut >= 0:
        for key, val in NGINX_CTX.findall(msg[cut:]):
            if val.startswith('"') and val.endswith('"') and len(val) >= 2:
                val = val[1:-1]
            ev.setdefault(key, val)
        msg = msg[:cut]
    ev["message"] = msg
    client = ev.get("client")
    if isinstance(client, str) and is_ip(client):
        ev["source.ip"] = client
    elif (b := re.match(r"\[client ([^\]]+)\]", msg)) and is_ip(b.group(1)):
        ev["source.ip"] = b.group(1)
    request = ev.get("request")
    if isinstance(request, str):
        parts = request.split(" ")
        if len(parts) >= 2:
            ev["http.request.method"], ev["url.original"] = parts[0], parts[1]
            ev["url.path"], _, query = parts[1].partition("?")
            if query:
                ev["url.query"] = query
        if len(parts) >= 3 and parts[-1].startswith("HTTP/"):
            ev["http.version"] = parts[-1][5:]
    if ev.get("host"):
        host, colon, port = str(ev["host"]).rpartition(":")
        if colon and port.isdigit() and "]" not in port and ":" not in host:
            ev["url.domain"], ev["url.port"] = host, int(port)
        else:
            ev["url.domain"] = ev["host"]
    if ev.get("referrer"):
        ev["http.request.referrer"] = ev["referrer"]
    if ev.get("server"):
        ev["destination.domain"] = ev["server"]
    _modsec(ev, msg)
    ev.update({"observer.product": "nginx", "event.category": ev.get("event.category", "web")})
    ev["_logsource"] = {"product": "nginx", "service": "nginx"}
    return ev


def _modsec(ev: Event, msg: str) -> None:
    at = msg.find("ModSecurity:")
    if at < 0:
        return
    pairs: dict[str, Any] = {}
    for key, val in MODSEC.findall(msg[at:]):
        if key == "tag":
            pairs.setdefault("tag", []).append(val)
        else:
            pairs.setdefault(key, val)
    for key, val in pairs.items():
        ev[f"modsec.{key}"] = val
    ev["event.category"], ev["event.kind"] = "intrusion_detection", "alert"
    ev["observer.type"] = "waf"
    if pairs.get("id"):
        ev["rule.id"] = pairs["id"]
    if pairs.get("msg"):
        ev["rule.name"] = pairs["msg"]
    if pairs.get("ver"):
        ev["rule.ruleset"] = pairs["ver"]
    if pairs.get("tag"):
        ev["tags"] = pairs["tag"]
    sev = pairs.get("severity")
    if sev:
        ev["modsec.severity"] = MODSEC_SEVERITY[int(sev)] if sev.isdigit() and int(sev) < 8 else sev
    if pairs.get("uri"):
        ev.setdefault("url.path", pairs["uri"])
        ev.setdefault("url.original", pairs["uri"])
    if pairs.get("hostname"):
        ev.setdefault("url.domain", pairs["hostname"])
    if pairs.get("unique_id"):
        ev["http.request.id"] = pairs["unique_id"]
    denied = DENIED.search(msg, at)
    if denied:
        ev["event.action"], ev["event.type"] = "deny", "denied"
        ev["http.response.status_code"] = int(denied.group(1))
    else:
        ev["event.action"] = "warning" if "ModSecurity: Warning" in msg else "detect"
