"""Parse device records into normalized events: the format is recognised per record, never per file.

A :class:`Stream` is the parsing state of one input (a file, a zip member, an archive object, a Kinesis record):
header-driven formats (Zeek TSV, W3C) keep their field lists there. Every record comes back as events, a
:class:`ParseError` (raw text and reason) or a :class:`Skipped` (a header line, with the reason), so nothing
disappears. ``fmt`` forces one format for every record.
"""
from __future__ import annotations

import re
from typing import Any

import orjson

from . import access, cef, jsonfmt, syslog
from .common import Event, NotEvent, ParseError, Skipped, finish
from .registry import (BODY_FORMATS, HEADER_FORMATS, LINE_FORMATS, body_formats, classic_elb, forced, line_formats,
                       untagged_hint)

MAX_LINE = 1024 * 1024
FORMATS = ("auto", "json", "syslog", "cef", "access", "auditd",
           *sorted({f[0] for f in [*LINE_FORMATS, *HEADER_FORMATS, *BODY_FORMATS]} - {"syslog", "cef", "access"}))
PRI = re.compile(r"^<(\d{1,3})>")
CEF_BARE = re.compile(r"^\d\|[^|]*\|[^|]*\|[^|]*\|[^|]*\|")  # a CEF header whose "CEF:" a relay dropped
GLUED = re.compile(r"<\d{1,3}>(?=1 \d{4}-|\d{4}-\d\d-\d\dT|[A-Z][a-z]{2} [ \d]\d \d\d:)")


def split_glued(line: str) -> list[str]:
    """rsyslog forwarding without octet counting writes messages back to back: ``…debug<14>2021-…``."""
    cuts = [m.start() for m in GLUED.finditer(line)]
    if not cuts or cuts[0] != 0:
        cuts = [0, *cuts]
    return [line[a:b].strip() for a, b in zip(cuts, cuts[1:] + [len(line)]) if line[a:b].strip()]

__all__ = ["Event", "ParseError", "Skipped", "NotEvent", "Stream", "parse_line", "parse_record",
           "parse_json_documents", "FORMATS", "MAX_LINE"]


MONTH_NAMES = syslog.MONTH_NAMES


def _syslog_head(line: str) -> bool:
    """``<PRI>1 `` (RFC 5424), ``<PRI>Mmm `` (RFC 3164) or an ISO time then a host (rsyslog's high-precision
    form; not a classic ELB line): a syslog header, whatever the message holds."""
    if line[0] == "<":
        gt = line.find(">", 1, 5)
        return gt > 0 and (line.startswith("1 ", gt + 1) or line[gt + 1:gt + 4] in MONTH_NAMES)
    return line[10:11] == "T" and line[4:5] == "-" and line[:4].isdigit() and not classic_elb(line)


class Stream:
    __slots__ = ("fmt", "device", "received", "ref", "ctx")

    def __init__(self, fmt: str | None = None, device: str | None = None, received: float | None = None) -> None:
        self.fmt = None if fmt in (None, "auto") else fmt
        if self.fmt is not None and self.fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        self.device, self.received = device, received
        self.ref: float | None = None  # when BSD timestamps were written (a file's date): their year
        self.ctx: dict[str, Any] = {}

    def line(self, text: str | bytes) -> list[Event | NotEvent]:
        if not isinstance(text, str):
            text = text.decode("utf-8", "replace")
        line = text.strip()
        if not line:
            return []
        try:
            if self.fmt is None and (line[:3] in MONTH_NAMES or (line[0] in "<12" and _syslog_head(line))) \
                    and line.find("<", 1) < 0 and line.find("CEF:", 0, 200) < 0 and len(line) <= MAX_LINE:
                got = self._syslog(line)  # the commonest lines: straight to syslog
                if got:
                    return got
            if self.fmt in (None, "syslog") and line.find("<", 1) > 0 and GLUED.search(line, 1):  # no framing
                out: list[Event | NotEvent] = []
                for part in split_glued(line):
                    out += self.line(part) if PRI.match(part) else [ParseError(
                        part[:1000], "text before the first syslog header (the rest of a multi-line message?)",
                        "syslog", self.device)]
                return out
            if len(line) > MAX_LINE:
                return [ParseError(line[:1000], f"record of {len(line)} characters exceeds {MAX_LINE}", self.fmt,
                                   self.device)]
            return self._dispatch(line)
        except Exception as exc:  # a parser bug must not lose the record either
            return [ParseError(line[:100_000], f"{type(exc).__name__}: {exc}", self.fmt, self.device)]

    def doc(self, doc: Any, raw: str) -> list[Event | NotEvent]:
        """One decoded JSON value (a line, a streamed document, an array element)."""
        if not isinstance(doc, dict):
            return [ParseError(raw[:1000], "JSON value is not an object", "json", self.device)]
        try:
            kind, events = jsonfmt.from_doc(doc)
        except Exception as exc:
            return [ParseError(raw[:100_000], f"{type(exc).__name__}: {exc}", "json", self.device)]
        if not events:
            return [Skipped(raw[:1000], f"{kind} document with no records")]
        return [finish(e, kind, raw, self.device, self.received) for e in events]

    def _done(self, ev: Event | None, kind: str, line: str) -> list[Event | NotEvent] | None:
        return None if ev is None else [finish(ev, kind, line, self.device, self.received)]

    def _dispatch(self, line: str) -> list[Event | NotEvent]:
        fmt = self.fmt
        if fmt is not None and fmt not in ("json", "syslog", "cef", "access", "auditd"):
            return self._forced(line, fmt)
        first = line[0]
        if first in "tn" and fmt in (None, "auditd") and (line.startswith("type=") or line.startswith("node=")):
            ev = syslog.parse_audit(line)  # audit.log: the commonest line that starts with a letter
            if ev:
                return [finish(ev, "auditd", line, self.device, self.received)]
        if fmt == "json" or (fmt is None and first == "{"):
            return self._json(line)
        if fmt is None and first == "[":  # a JSON array, or a line that starts with a bracket ([Thu …] error logs)
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                pass
            else:
                return self._json(line)
        if first == "#" and fmt is None:
            for name, header, _, _ in HEADER_FORMATS:
                if header(line, self.ctx):
                    return [Skipped(line[:1000], f"{name} header line")]
            return [Skipped(line[:1000], "comment line")]
        if fmt is None:
            if first == "v" and line.startswith("version ") and HEADER_FORMATS[-1][1](line, self.ctx):
                return [Skipped(line[:1000], "vpcflow header line")]  # VPC Flow Logs name their fields unmarked
            if self.ctx:  # an input whose header named a format: its lines first
                for name, _, parse, key in HEADER_FORMATS:
                    if key in self.ctx:
                        ev = parse(line, self.ctx)
                        if ev is not None:
                            return self._done(ev, name, line)  # type: ignore[return-value]
        has_cef = line.find("CEF:", 0, 200) >= 0
        if fmt == "cef" or (fmt is None and (has_cef or (line[1:2] == "|" and CEF_BARE.match(line)))):
            ev = cef.parse(line if has_cef else "CEF:" + line)
            return [finish(ev, "cef", line, self.device, self.received) if ev else
                    ParseError(line, "not a valid CEF record", "cef", self.device)]
        stamped = line[:3] in MONTH_NAMES  # a BSD syslog time first: syslog, whatever follows
        if fmt == "access" or (fmt is None and not stamped and first != "<" and (first.isalnum() or first in ":[")
                               and line.find('] "', 0, 500) > 0):  # an access line has "[time] "request""
            ev = access.parse(line)  # the commonest line that starts with a digit: tried before the rarer ones
            if ev:
                return self._done(ev, "access", line)  # type: ignore[return-value]
            if fmt == "access":
                return [ParseError(line, "not a combined/common access log line", "access", self.device)]
        if fmt is None and not stamped:
            for name, sniff, parse in line_formats(first):
                if sniff(line):
                    got = self._done(parse(line), name, line)
                    if got:
                        return got
        if fmt in (None, "syslog"):
            got = self._syslog(line)
            if got:
                return got
            why = "not a syslog line (--format syslog)" if fmt else "unrecognised format (no parser recognises this line)"
            return [ParseError(line, why, fmt, self.device)]
        return [ParseError(line, f"not a valid {fmt} record (--format {fmt})", fmt, self.device)]

    def _json(self, line: str) -> list[Event | NotEvent]:
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return [ParseError(line, f"invalid JSON: {exc}", "json", self.device)]
        out: list[Event | NotEvent] = []
        for d in doc if isinstance(doc, list) else [doc]:
            out += self.doc(d, line)
        if not out:
            out.append(Skipped(line[:1000], "empty JSON array"))
        return out

    def _syslog(self, line: str) -> list[Event | NotEvent] | None:
        got = syslog.parse_header(line, self.ref or self.received)
        if got is None:
            m = PRI.match(line)
            body = line[m.end():] if m else line
            for name, sniff, parse in BODY_FORMATS + LINE_FORMATS:  # a device format behind a bare <PRI>
                if body and sniff(body):
                    sub = parse(body)
                    if sub is not None:
                        if m:
                            sub.setdefault("log.syslog.priority", int(m.group(1)))
                        return self._done(sub, name, line)
            return None
        ev, rfc, known = got
        body = ev["message"]
        if not known and body:
            prog = ev.get("process.name")
            if prog == "LEEF":  # "host LEEF:1.0|…": the header's pattern took the format's name for a program
                body = f"LEEF:{body}"
            own, untagged = body_formats(prog)
            tries = ((own, f"{prog}: {body}"), (own, body)) if own else ()
            if untagged_hint(body):
                tries += ((untagged, body),)
            for formats, text in tries:
                for name, sniff, parse in formats:
                    if sniff(text):
                        sub = parse(text)
                        if sub is not None:
                            return self._done(syslog.wrap(ev, sub), name, line)
        return [finish(ev, "syslog5424" if rfc == "5424" else "syslog3164", line, self.device, self.received)]

    def _forced(self, line: str, fmt: str) -> list[Event | NotEvent]:
        spec = forced(fmt)
        if spec is not None:
            kind, parse, shape = spec
            if shape == "header":
                if line.startswith("#"):
                    return [Skipped(line[:1000], f"{fmt} header line")] if parse[0](line, self.ctx) else \
                        [Skipped(line[:1000], "comment line")]
                ev = parse[1](line, self.ctx)
            else:
                ev = parse(line)
                if ev is None:
                    got = syslog.parse_header(line, self.ref or self.received)
                    hdr = got[0] if got is not None else None
                    if hdr is not None and hdr.get("message"):
                        body = hdr["message"]
                        sub = parse(f"{hdr.get('process.name')}: {body}") or parse(body)
                        ev = syslog.wrap(hdr, sub) if sub is not None else None
            if ev is not None:
                return self._done(ev, kind, line)  # type: ignore[return-value]
        return [ParseError(line, f"not a valid {fmt} record", fmt, self.device)]


def parse_line(text: str | bytes, fmt: str | None = None, device: str | None = None,
               received: float | None = None) -> list[Event | NotEvent]:
    """One line on its own (no header context): events, or a ParseError / Skipped."""
    return Stream(fmt, device, received).line(text)


def parse_record(data: bytes | str, fmt: str | None = None, device: str | None = None,
                 received: float | None = None) -> list[Event | NotEvent]:
    """A Kinesis record or archived record: one line, several lines, or JSON documents spanning lines."""
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else data
    if "\n" not in text.strip():
        return Stream(fmt, device, received).line(text)
    from ..reader import read_bytes

    return list(read_bytes(text.encode("utf-8"), Stream(fmt, device, received)))


def parse_json_documents(text: str, device: str | None = None) -> list[Event | NotEvent]:
    """A text of one or more (possibly pretty-printed) JSON documents, as EVTX exporters write them."""
    from ..reader import read_bytes

    return list(read_bytes(text.encode("utf-8"), Stream("json", device)))
