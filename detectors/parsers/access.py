"""Apache/nginx combined (and common) access logs."""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from .common import Event

COMBINED = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+)(?: (\S+))?" (\d{3}) (\d+|-)'
                      r'(?: "([^"]*)" "([^"]*)")?')


@lru_cache(maxsize=4096)
def _epoch(ts: str) -> float | None:
    try:
        return datetime.strptime(ts, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        return None


def parse(text: str) -> Event | None:
    m = COMBINED.match(text)
    if not m:
        return None
    ip, _, user, ts, method, url, proto, status, size, referrer, agent = m.groups()
    epoch = _epoch(ts)
    ev: Event = {"source.ip": ip, "user.name": None if user == "-" else user, "http.request.method": method,
                 "url.original": url, "http.version": (proto or "").replace("HTTP/", "") or None,
                 "http.response.status_code": int(status), "http.response.body.bytes": 0 if size == "-" else int(size),
                 "http.request.referrer": None if referrer in (None, "-") else referrer,
                 "user_agent.original": agent, "_ts": epoch, "event.category": "web",
                 # Sigma's webserver field names
                 "c-ip": ip, "cs-method": method, "cs-uri-query": url, "cs-uri-stem": url.split("?")[0],
                 "sc-status": int(status), "cs-user-agent": agent, "cs-referer": referrer}
    ev["event.outcome"] = "failure" if int(status) >= 400 else "success"
    ev["_logsource"] = {"category": "webserver"}
    return ev
