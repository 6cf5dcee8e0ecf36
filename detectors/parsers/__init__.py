"""Parse device records into normalized events: auto-detected per record, never raising out of a batch.

``parse_line`` returns a list (a CloudTrail file holds many records); a bad line yields a :class:`ParseError`
carrying its raw text and the reason, so nothing disappears.
"""
from __future__ import annotations

import orjson

from . import access, cef, jsonfmt, syslog
from .common import Event, ParseError, finish

_MONTHS = frozenset(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))
FORMATS = ("auto", "json", "syslog", "cef", "access", "auditd")
MAX_LINE = 1024 * 1024

__all__ = ["Event", "ParseError", "parse_line", "parse_record", "parse_json_documents", "FORMATS"]


def parse_line(text: str, fmt: str | None = None, device: str | None = None,
               received: float | None = None) -> list[Event | ParseError]:
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace")
    line = text.strip()
    if not line:
        return []
    if len(line) > MAX_LINE:
        return [ParseError(line[:1000], f"record of {len(line)} characters exceeds {MAX_LINE}", fmt, device)]
    fmt = None if fmt in (None, "auto") else fmt
    try:
        return _dispatch(line, fmt, device, received)
    except Exception as exc:  # a parser bug must not lose the record either
        return [ParseError(line, f"{type(exc).__name__}: {exc}", fmt, device)]


def _dispatch(line: str, fmt: str | None, device: str | None, received: float | None) -> list[Event | ParseError]:
    first = line[0]
    if fmt == "json" or (fmt is None and first in "{["):
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return [ParseError(line, f"invalid JSON: {exc}", "json", device)]
        docs = doc if isinstance(doc, list) else [doc]
        out: list[Event | ParseError] = []
        for d in docs:
            if not isinstance(d, dict):
                out.append(ParseError(line, "JSON value is not an object", "json", device))
                continue
            kind, events = jsonfmt.from_doc(d)
            out += [finish(e, kind, line, device, received) for e in events]
        return out
    if fmt == "cef" or (fmt is None and "CEF:" in line[:200]):
        ev = cef.parse(line)
        return [finish(ev, "cef", line, device, received) if ev else ParseError(line, "not a valid CEF record", "cef",
                                                                                  device)]
    if fmt in (None, "auditd") and line.startswith("type="):
        ev = syslog.parse_audit(line)
        if ev:
            return [finish(ev, "auditd", line, device, received)]
    looks_syslog = first == "<" or line[:3] in _MONTHS
    if fmt in (None, "access") and first.isalnum() and not looks_syslog:
        ev = access.parse(line)
        if ev:
            return [finish(ev, "access", line, device, received)]
        if fmt == "access":
            return [ParseError(line, "not a combined/common access log line", "access", device)]
    if fmt in (None, "syslog"):
        ev = syslog.parse(line)
        if ev:
            kind = "syslog5424" if ev.pop("_syslog") == "5424" else "syslog3164"
            return [finish(ev, kind, line, device, received)]
        return [ParseError(line, "unrecognised format (not JSON, CEF, access log or syslog)", fmt, device)]
    return [ParseError(line, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", fmt, device)]


def parse_record(data: bytes, fmt: str | None = None, device: str | None = None,
                 received: float | None = None) -> list[Event | ParseError]:
    """A Kinesis record: one line or several separated by newlines."""
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else data
    out: list[Event | ParseError] = []
    for line in text.split("\n"):
        if line.strip():
            out += parse_line(line, fmt, device, received)
    return out


def parse_json_documents(text: str, device: str | None = None) -> list[Event | ParseError]:
    """A file of one or more (possibly pretty-printed) JSON documents, as EVTX exporters write them."""
    import json

    decoder, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        try:
            doc, end = decoder.raw_decode(text, pos)
        except ValueError as exc:
            out.append(ParseError(text[pos:pos + 1000], f"invalid JSON: {exc}", "json", device))
            return out
        raw = text[pos:end]
        pos = end
        for d in doc if isinstance(doc, list) else [doc]:
            if not isinstance(d, dict):
                out.append(ParseError(raw[:1000], "JSON value is not an object", "json", device))
                continue
            kind, events = jsonfmt.from_doc(d)
            out += [finish(e, kind, raw, device, None) for e in events]
