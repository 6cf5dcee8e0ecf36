"""Apache/nginx access logs: common, combined, and the forms attacks produce.

The request line is what attackers control, so it is read as the text between the first quote and the
``" status size`` that follows, whatever it holds: spaces (``GET /a b c HTTP/1.1``), escaped or bare quotes,
no protocol (HTTP/0.9), a bare ``-`` (nginx, for a connection that sent nothing). Fields after the user agent
(nginx's forwarded-for, response times) are kept in ``access.extra``.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from .common import Event

QUOTED = r'"((?:[^"\\]|\\.)*)"'
VHOST = r"(?:(\S+) )??"  # Apache's vhost_combined puts the virtual host (and port) first
STRICT = re.compile(rf'^{VHOST}(\S+) (\S+) (\S+) \[([^\]]+)\] {QUOTED} (\d{{3}}|-) (\d+|-)(?: {QUOTED}(?: {QUOTED})?)?(.*)$')
NO_USER = re.compile(rf'^()(\S+) ()(\S+) \[([^\]]+)\] {QUOTED} (\d{{3}}|-) (\d+|-)(?: {QUOTED}(?: {QUOTED})?)?(.*)$')  # ip - [time]
LOOSE = re.compile(rf'^{VHOST}(\S+) (\S+) (\S+) \[([^\]]+)\] "(.*?)" (\d{{3}}|-) (\d+|-)(?: "(.*?)"(?: "(.*)")?)?()$')
PROTO = re.compile(r"^HTTP/\d(?:\.\d)?$", re.I)


@lru_cache(maxsize=4096)
def _epoch(ts: str) -> float | None:
    try:
        return datetime.strptime(ts, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        return None


def _unescape(v: str | None) -> str | None:
    if v is None or "\\" not in v:
        return v
    return v.replace('\\"', '"').replace("\\\\", "\\")


def split_request(request: str) -> tuple[str | None, str | None, str | None]:
    """``GET /a b HTTP/1.1`` -> method, target (spaces kept), protocol."""
    if request in ("", "-"):
        return None, None, None
    method, _, rest = request.partition(" ")
    head, _, last = rest.rpartition(" ")
    if head and PROTO.match(last):
        return method, head, last
    return method, rest or None, None


def parse(text: str) -> Event | None:
    m = STRICT.match(text) or LOOSE.match(text) or NO_USER.match(text)
    if not m:
        return None
    vhost, ip, _, user, ts, request, status, size, referrer, agent, extra = m.groups()
    epoch = _epoch(ts)
    if epoch is None:
        return None
    method, url, proto = split_request(_unescape(request) or "")
    referrer, agent = _unescape(referrer), _unescape(agent)
    code = int(status) if status != "-" else None
    ev: Event = {"source.ip": ip, "user.name": None if user == "-" else user, "http.request.method": method,
                 "url.original": url, "http.version": (proto or "").upper().replace("HTTP/", "") or None,
                 "http.response.status_code": code, "http.response.body.bytes": 0 if size == "-" else int(size),
                 "http.request.referrer": None if referrer in (None, "-") else referrer,
                 "user_agent.original": None if agent in (None, "-") else agent, "_ts": epoch, "event.category": "web",
                 # Sigma's webserver field names
                 "c-ip": ip, "cs-method": method, "cs-uri-query": url, "cs-uri-stem": (url or "").split("?")[0] or None,
                 "sc-status": code, "cs-user-agent": agent, "cs-referer": referrer, "cs-version": proto}
    if url and "?" in url:
        ev["url.path"], ev["url.query"] = url.split("?", 1)
    elif url:
        ev["url.path"] = url
    if vhost:
        ev["url.domain"] = vhost.rsplit(":", 1)[0] if vhost.rsplit(":", 1)[-1].isdigit() else vhost
        ev["cs-host"] = vhost
    if extra and extra.strip():
        ev["access.extra"] = extra.strip()
    ev["event.outcome"] = "failure" if code is not None and code >= 400 else "success"
    ev["_logsource"] = {"category": "webserver"}
    return ev
