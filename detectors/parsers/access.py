"""Apache/nginx access logs: common, combined, and the forms attacks produce.

The request line is what attackers control, so it is read as the text between the first quote and the
``" status size`` that follows, whatever it holds: spaces (``GET /a b c HTTP/1.1``), escaped or bare quotes,
no protocol (HTTP/0.9), a bare ``-`` (nginx, for a connection that sent nothing). Fields after the user agent
(nginx's forwarded-for, response times) are kept in ``access.extra``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from .common import MONTHS, Event

QUOTED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'  # a quoted field with backslash escapes, as an unrolled loop (fast)
TAIL = rf'\[([^\]]+)\] {QUOTED} (\d{{3}}|-) (\d+|-)(?: {QUOTED}(?: {QUOTED})?)?(.*)$'
STRICT = re.compile(rf'^()(\S+) (\S+) (\S+) {TAIL}')
VHOST = re.compile(rf'^(\S+) (\S+) (\S+) (\S+) {TAIL}')  # Apache's vhost_combined: the virtual host first
NO_USER = re.compile(rf'^()(\S+) ()(\S+) {TAIL}')  # ip - [time]: no user field
LOOSE = re.compile(r'^(?:(\S+) )??(\S+) (\S+) (\S+) \[([^\]]+)\] "(.*?)" (\d{3}|-) (\d+|-)(?: "(.*?)"(?: "(.*)")?)?()$')
EPOCH_DAY = date(1970, 1, 1).toordinal()
PROTO = re.compile(r"^HTTP/\d(?:\.\d)?$", re.I)


@lru_cache(maxsize=4096)
def _day(day: str) -> int | None:
    """``17/May/2015`` -> days since the epoch (strptime is the slow part of an access line)."""
    try:
        return date(int(day[7:11]), MONTHS[day[3:6]], int(day[0:2])).toordinal() - EPOCH_DAY
    except (KeyError, ValueError):
        return None


@lru_cache(maxsize=4096)
def _epoch(ts: str) -> float | None:
    """``17/May/2015:10:05:03 +0000`` (bursts share seconds: cached)."""
    if len(ts) != 26 or ts[2] != "/" or ts[20] != " ":
        try:
            return datetime.strptime(ts, "%d/%b/%Y:%H:%M:%S %z").timestamp()
        except ValueError:
            return None
    day = _day(ts[:11])
    try:
        hh, mm, ss = int(ts[12:14]), int(ts[15:17]), int(ts[18:20])
        sign = -1 if ts[21] == "-" else 1
        off = sign * (int(ts[22:24]) * 3600 + int(ts[24:26]) * 60)
    except ValueError:
        return None
    if day is None or hh > 23 or mm > 59 or ss > 60:
        return None
    return float(day * 86400 + hh * 3600 + mm * 60 + ss - off)


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
    m = STRICT.match(text) or VHOST.match(text) or LOOSE.match(text) or NO_USER.match(text)
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
                 "user_agent.original": None if agent in (None, "-") else agent, "_ts": epoch, "event.category": "web"}
    # Sigma's webserver names (c-ip, cs-method, cs-uri-query, cs-uri-stem, sc-status, cs-user-agent, cs-referer)
    # are read from these ECS fields by the matchers (sigma.matchers.FIELD_FALLBACK): not stored twice
    if url and "?" in url:
        ev["url.path"], ev["url.query"] = url.split("?", 1)
    elif url:
        ev["url.path"] = url
    if vhost:
        ev["url.domain"] = vhost.rsplit(":", 1)[0] if vhost.rsplit(":", 1)[-1].isdigit() else vhost
    if extra and extra.strip():
        ev["access.extra"] = extra.strip()
    ev["event.outcome"] = "failure" if code is not None and code >= 400 else "success"
    ev["_logsource"] = {"category": "webserver"}
    return ev
