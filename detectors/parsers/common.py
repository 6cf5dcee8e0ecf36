"""The normalized event and the parse error every parser returns."""
from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any


Event = dict[str, Any]
MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                      "Dec"), 1)}


def is_ip(value: str | None) -> bool:
    """An IPv4 or IPv6 address (a host name is not)."""
    try:
        ipaddress.ip_address(value or "")
        return True
    except ValueError:
        return False


class NotEvent:
    """What a parser hands back for a record that is not an event: callers test ``isinstance(x, NotEvent)``."""


@dataclass
class ParseError(NotEvent):
    """A record that could not be parsed: kept with its raw text and the reason, never dropped."""
    raw: str
    reason: str
    format: str | None = None
    device: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"raw": self.raw, "reason": self.reason, "format": self.format, "device": self.device}


@dataclass
class Skipped(NotEvent):
    """A record that holds no event by design (a header or comment line, an empty record list), with the reason."""
    raw: str
    reason: str


FRACTION = re.compile(r"\.(\d+)")


def iso_to_epoch(value: Any) -> float | None:
    if value.__class__ is str:
        return _iso_text(value)
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) / (1000.0 if value > 1e11 else 1.0)
    return _iso_text(str(value))


@lru_cache(maxsize=8192)
def _iso_text(value: str) -> float | None:
    """Cached: a burst of records shares its timestamps."""
    text = value.strip()
    if not text:
        return None
    try:
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        if "." in text:  # Python 3.11 reads at most 6 fractional digits (EVTX writes 7); the offset stays
            text = FRACTION.sub(lambda m: "." + m.group(1)[:6], text, count=1)
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":" and text[-4:].isdigit():
            text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


@lru_cache(maxsize=8192)
def epoch_to_iso(ts: float) -> str:
    """Millisecond ISO 8601; cached, since log bursts share their times."""
    sec, ms = divmod(int(round(ts * 1000)), 1000)
    return datetime.fromtimestamp(sec, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z"


def finish(ev: Event, fmt: str, raw: str, device: str | None, received: float | None) -> Event:
    """Fill the metadata every event carries: format, raw text, device, event time."""
    ts = ev.get("_ts")
    if ts is None:
        ts = iso_to_epoch(ev.get("@timestamp"))
    if ts is None:
        ts = received if received is not None else time.time()
    ev["_ts"] = ts
    if "@timestamp" not in ev:
        ev["@timestamp"] = epoch_to_iso(ts)
    ev["_format"] = fmt
    ev["_raw"] = raw
    ev["_device"] = device
    if "_logsource" not in ev:
        ev["_logsource"] = {}
    if device and not ev.get("host.name"):
        ev["host.name"] = device
    return ev


def flatten(doc: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None, depth: int = 0) -> dict[str, Any]:
    """Nested objects become dotted keys (``userIdentity.type``); lists stay as values."""
    out = {} if out is None else out
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and depth < 6:
            flatten(v, key + ".", out, depth + 1)
        else:
            out[key] = v
    return out


FRACTION_ANY = re.compile(r"\.\d+")


def iso_offset(value: str) -> float | None:
    """ISO 8601 as devices write it (``Z`` anywhere, any fraction), its offset kept; UTC without one."""
    text = FRACTION_ANY.sub(lambda m: m.group(0)[:7], value.strip().replace("Z", "+00:00"))
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


def proxy_request(ev: Event, url: str | None, host: str | None) -> None:
    """A client request a network sensor saw, in ECS and in the field names of SigmaHQ's proxy rules."""
    if url:
        path, _, query = url.partition("?")
        ev.update({"url.original": url, "url.path": path, "c-uri": url, "c-uri-stem": path})
        if query:
            ev["url.query"] = ev["c-uri-query"] = query
        tail = path.rsplit("/", 1)[-1]
        if "." in tail:
            ev["url.extension"] = ev["c-uri-extension"] = tail.rsplit(".", 1)[-1]
    if host:
        ev["url.domain"] = ev["cs-host"] = host
        ev.setdefault("destination.domain", host)
