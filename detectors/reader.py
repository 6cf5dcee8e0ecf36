"""Read log inputs for scans with every record accounted for: plain, gzip or zip (by content, not name), EVTX.

Each input (a file, or a member of a zip) gets an :class:`InputStats`: ``records = events + errors + skipped``,
and ``problem`` says why reading stopped early (a truncated gzip, a corrupt zip member, an unreadable file).
The format is chosen per record: a JSON document may follow syslog lines, a pretty-printed document spans lines,
and a document of any size (a 50 MB CloudTrail object on one line) is streamed record by record.
"""
from __future__ import annotations

import gzip
import io
import os
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from .parsers import MAX_LINE, Event, NotEvent, ParseError, Skipped, Stream
from .parsers.jsonstream import Boundary, stream_document

CHUNK = 1 << 16
GZIP_MAGIC, ZIP_MAGIC, EVTX_MAGIC = b"\x1f\x8b", b"PK\x03\x04", b"ElfFile\x00"
READ_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile)


@dataclass
class InputStats:
    name: str
    records: int = 0
    events: int = 0
    errors: int = 0
    skipped: Counter = field(default_factory=Counter)
    problem: str | None = None  # why the input could not be read to its end
    error_samples: list[ParseError] = field(default_factory=list)

    def count(self, item: Event | NotEvent) -> None:
        self.records += 1
        if isinstance(item, ParseError):
            self.errors += 1
            if len(self.error_samples) < 20:
                self.error_samples.append(item)
        elif isinstance(item, Skipped):
            self.skipped[item.reason] += 1
        else:
            self.events += 1

    @property
    def clean(self) -> bool:
        return self.problem is None and self.errors == 0

    def to_dict(self) -> dict:
        return {"input": self.name, "records": self.records, "events": self.events, "errors": self.errors,
                "skipped": sum(self.skipped.values()), "skipped_reasons": dict(self.skipped),
                "problem": self.problem}


def input_files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
        else:
            out.append(p)
    return out


class Source:
    """A binary stream read in chunks, with lines capped at ``MAX_LINE`` and bytes that can be pushed back.

    ``buf[pos:]`` is what is left to read: lines are cut from it by moving ``pos``, not by copying the rest."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.buf, self.pos, self.eof = raw, b"", 0, False

    def _rest(self) -> bytes:
        out = self.buf[self.pos:] if self.pos else self.buf
        self.buf, self.pos = b"", 0
        return out

    def more(self) -> bytes:
        if self.pos < len(self.buf):
            return self._rest()
        self.buf, self.pos = b"", 0
        if self.eof:
            return b""
        data = self.raw.read(CHUNK)
        if not data:
            self.eof = True
        return data

    def unread(self, data: bytes) -> None:
        if data:
            self.buf, self.pos = data + self.buf[self.pos:], 0

    def line(self) -> tuple[bytes, bool]:
        """The next line (without its newline) and whether it was complete (False: over ``MAX_LINE``)."""
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                out, self.pos = self.buf[self.pos:i], i + 1
                return out, True
            if len(self.buf) - self.pos > MAX_LINE:
                return self._rest(), False
            data = b"" if self.eof else self.raw.read(CHUNK)
            if not data:
                self.eof = True
                return self._rest(), True
            self.buf = self.buf[self.pos:] + data
            self.pos = 0

    @property
    def pending(self) -> bool:
        return self.pos < len(self.buf)

    def skip_line(self) -> None:
        self.buf, self.pos = b"", 0
        while True:
            data = self.more()
            if not data:
                return
            i = data.find(b"\n")
            if i >= 0:
                self.unread(data[i + 1:])
                return


def read_stream(raw: IO[bytes], stream: Stream, stats: InputStats | None = None) -> Iterator[Event | NotEvent]:
    """Every record of one byte stream, each counted in ``stats``; read errors propagate to the caller."""
    src, json_ok = Source(raw), stream.fmt in (None, "json")
    first = True
    while True:
        line, complete = src.line()
        if not line and complete and src.eof and not src.pending:
            return
        if first:
            line, first = line.removeprefix(b"\xef\xbb\xbf"), False
        head = line[:1] if line[:1] not in (b" ", b"\t") else line.lstrip()[:1]
        if json_ok and head == b"{" and complete:  # the usual JSON line: one object, decoded at once
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError:
                items = _json_record(line, complete, src, stream)
            else:
                items = stream.doc(doc, line.strip().decode("utf-8", "replace"))
        elif json_ok and head in (b"{", b"["):
            items = _json_record(line, complete, src, stream)
        elif not complete:
            src.skip_line()
            items = [ParseError(line[:1000].decode("utf-8", "replace"),
                                f"record over {MAX_LINE} bytes (the limit per record)", stream.fmt, stream.device)]
        elif not line.strip():
            continue
        else:
            items = stream.line(line.decode("utf-8", "replace"))
        for item in items:
            if stats is not None:
                stats.count(item)
            yield item


def _json_record(line: bytes, complete: bool, src: Source, stream: Stream) -> Iterator[Event | NotEvent]:
    """A JSON line (orjson), or a document spanning lines or too long for one: streamed, record by record."""
    text = line.strip()
    if complete:
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            bound = Boundary()
            end = bound.feed(text)
            if end >= 0 or not bound.started:
                if text[:1] == b"[" and stream.fmt is None:  # "[Thu Sep 30 …] [error] …": a line of another format
                    yield from stream.line(text.decode("utf-8", "replace"))
                    return
                yield ParseError(text[:100_000].decode("utf-8", "replace"), f"invalid JSON: {exc}", "json",
                                 stream.device)
                return
        else:
            raw = text.decode("utf-8", "replace")
            docs = doc if isinstance(doc, list) else [doc]
            if not docs:
                yield Skipped(raw[:1000], "empty JSON array")
            for d in docs:
                yield from stream.doc(d, raw if len(docs) == 1 else orjson.dumps(d).decode())
            return
    if complete:
        small = _small_document(text, src)
        if small is not None:
            yield from _records_of(small, stream)
            return
    pending = line + b"\n" if complete else line
    for kind, value in stream_document(pending, src.more, MAX_LINE):
        if kind == "record":
            yield from stream.doc(value, orjson.dumps(value).decode()[:100_000] if isinstance(value, dict)
                                  else str(value))
        elif kind == "empty":
            yield Skipped(pending[:1000].decode("utf-8", "replace"), "JSON document with no records")
        elif kind == "end":
            src.unread(value)
        else:
            reason, head, rest = value
            yield ParseError(head, reason, "json", stream.device)
            src.unread(rest)


def _small_document(first: bytes, src: Source) -> Any:
    """A pretty-printed document that ends, within ``MAX_LINE``, at a line holding only its closing bracket: decoded
    at once by orjson (ten times the streaming parser's speed). None (nothing consumed) sends it to the stream."""
    close = b"\n}" if first[:1] == b"{" else b"\n]"
    buf, start = src.buf, src.pos
    at = buf.find(close, start, start + MAX_LINE)
    while at >= 0:
        after = buf[at + 2:at + 3]
        if after in (b"\n", b"\r") or (after == b"" and src.eof):
            try:
                value = orjson.loads(first + b"\n" + buf[start:at + 2])
            except orjson.JSONDecodeError:
                return None
            src.pos = at + 2
            return value
        at = buf.find(close, at + 2, start + MAX_LINE)
    return None


def _records_of(value: Any, stream: Stream) -> Iterator[Event | NotEvent]:
    """A decoded document's records as the stream yields them: an array's elements, a ``Records`` file's records."""
    records = value["Records"] if isinstance(value, dict) and next(iter(value), None) == "Records" else None
    items = value if isinstance(value, list) else records if isinstance(records, list) else [value]
    if not items:
        yield Skipped(orjson.dumps(value).decode()[:1000], "JSON document with no records")
    for item in items:
        yield from stream.doc(item, orjson.dumps(item).decode()[:100_000] if isinstance(item, dict) else str(item))


class Gunzip(io.RawIOBase):
    """gzip decompression that hands over every byte it recovered, then says why the data ended early.

    ``gzip.GzipFile`` raises on a truncated stream and drops what it decompressed in that last read (a small
    truncated file then loses every record). Here a damaged or truncated stream simply ends after the last
    recovered byte and ``failure`` holds the reason, which the reader reports. Concatenated members
    (``cat a.gz b.gz``) are read one after another."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.d, self.pending, self.tail = fh, zlib.decompressobj(16 + zlib.MAX_WBITS), b"", b""
        self.failure: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = self.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        while not self.pending:
            if self.failure is not None:
                return b""
            chunk, self.tail = (self.tail, b"") if self.tail else (self.fh.read(CHUNK), b"")
            if not chunk:
                if not self.d.eof:
                    self.pending = self.d.flush()
                    self.failure = EOFError("compressed file ended before the end-of-stream marker was reached")
                    continue
                return b""
            try:  # at most 4 chunks of output at a time: a highly compressed document stays in flat memory
                self.pending = self.d.decompress(chunk, 4 * CHUNK)
                self.tail = self.d.unconsumed_tail
                if self.d.eof and self.d.unused_data:  # the next member of a concatenated file
                    self.tail, self.d = self.d.unused_data, zlib.decompressobj(16 + zlib.MAX_WBITS)
            except zlib.error as exc:
                self.failure = exc
        if n < 0 or n >= len(self.pending):
            out, self.pending = self.pending, b""
        else:
            out, self.pending = self.pending[:n], self.pending[n:]
        return out


def _gunzip(fh: IO[bytes]) -> tuple[IO[bytes], Gunzip]:
    raw = Gunzip(fh)
    return io.BufferedReader(raw, CHUNK), raw


def read_bytes(data: bytes, stream: Stream) -> Iterator[Event | NotEvent]:
    yield from read_stream(io.BytesIO(data), stream)


def _regular(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        return f"refused: {kind} (give a regular file)"
    return None


def read_input(path: Path, fmt: str | None = None, device: str | None = None
               ) -> Iterator[tuple[InputStats, Event | NotEvent | None]]:
    """``(stats, item)`` for every record of a file (each zip member has its own stats); when reading fails,
    then ``(stats, None)`` once at the end of each input (``stats.problem`` set when reading failed)."""
    stats = InputStats(str(path))
    problem = _regular(path)
    if problem:
        stats.problem = problem
        yield stats, None
        return
    ref = path.stat().st_mtime
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
            fh.seek(0)
            if magic.startswith(ZIP_MAGIC):
                yield from _zip(path, fh, fmt, device, ref)
                return  # each member had its own end
            if magic.startswith(EVTX_MAGIC):
                yield from _evtx(fh, stats, device)
                yield stats, None
                return
            if magic.startswith(GZIP_MAGIC):
                raw, gz = _gunzip(fh)
                yield from _records(raw, stats, fmt, device, ref)
                if gz.failure is not None:
                    raise gz.failure
            else:
                yield from _records(fh, stats, fmt, device, ref)
    except READ_ERRORS as exc:
        stats.problem = _why(exc, stats)
    yield stats, None


def _records(raw: IO[bytes], stats: InputStats, fmt: str | None, device: str | None, ref: float
             ) -> Iterator[tuple[InputStats, Event | NotEvent | None]]:
    head = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
    if head.startswith(EVTX_MAGIC):  # a gzipped EVTX file
        with tempfile.TemporaryFile() as tmp:
            while chunk := raw.read(CHUNK):
                tmp.write(chunk)
            tmp.seek(0)
            yield from _evtx(tmp, stats, device)
        return
    stream = Stream(fmt, device, None)
    stream.ref = ref
    for item in read_stream(raw, stream, stats):
        yield stats, item


def _zip(path: Path, fh: IO[bytes], fmt: str | None, device: str | None, ref: float
         ) -> Iterator[tuple[InputStats, Event | NotEvent | None]]:
    with zipfile.ZipFile(fh) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            stats = InputStats(f"{path}:{info.filename}")
            try:
                with zf.open(info) as member:
                    raw: IO[bytes] = io.BufferedReader(member)  # type: ignore[arg-type]
                    gz = None
                    if raw.peek(2)[:2] == GZIP_MAGIC:
                        raw, gz = _gunzip(raw)  # type: ignore[assignment]
                    yield from _records(raw, stats, fmt, device, ref)
                    if gz is not None and gz.failure is not None:
                        raise gz.failure
            except (*READ_ERRORS, RuntimeError) as exc:  # RuntimeError: an encrypted member
                stats.problem = _why(exc, stats)
            yield stats, None


def _evtx(fh: IO[bytes], stats: InputStats, device: str | None
          ) -> Iterator[tuple[InputStats, Event | NotEvent | None]]:
    from .parsers import evtx_file

    stream = Stream(None, device, None)
    for kind, *rest in evtx_file.read_evtx(fh):
        if kind == "ok":
            items = stream.doc(rest[0], orjson.dumps(rest[0]).decode()[:100_000])
        else:
            items = [ParseError(str(rest[0])[:1000], str(rest[1]), "evtx", device)]
        for item in items:
            stats.count(item)
            yield stats, item


def _why(exc: BaseException, stats: InputStats) -> str:
    if isinstance(exc, EOFError):
        return f"truncated compressed data after {stats.records} records: {exc}"
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)):
        return f"corrupt compressed data after {stats.records} records: {exc}"
    if isinstance(exc, zipfile.BadZipFile):
        return f"corrupt zip: {exc}"
    return f"cannot read after {stats.records} records: {exc}"


def read_events(path: Path, fmt: str | None = None) -> Iterator[Event | NotEvent]:
    """Records of one file, without the accounting (a read failure becomes one ParseError)."""
    for stats, item in read_input(path, fmt):
        if item is not None:
            yield item
        elif stats.problem:
            yield ParseError(stats.name, stats.problem, fmt)
