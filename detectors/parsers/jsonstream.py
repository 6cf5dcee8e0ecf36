"""JSON documents of any size, in constant memory: ijson (yajl, C) builds each record; a small scanner finds where
a document ends so the reader can resume after it, or after a broken one.

ijson cannot say where in the byte stream a value ended, nor resume after a syntax error, so the document
boundary (depth outside strings) is tracked here, chunk by chunk, with one regex over the structural bytes.
A top-level array yields its elements and ``{"Records": [...]}`` (CloudTrail as AWS writes it to S3) yields each
record as soon as it is complete; any other document is one record, refused above ``max_bytes``.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import ijson

STRUCT = re.compile(rb'["\\{}\[\]]')
STRUCT_IN_STRING = re.compile(rb'["\\]')


class Boundary:
    """Tracks depth and string state across chunks; ``feed`` returns the offset just past the document's end."""

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escape = False
        self.started = False

    def feed(self, chunk: bytes, start: int = 0) -> int:
        pos = start
        n = len(chunk)
        while pos < n:
            if self.escape:
                self.escape = False
                pos += 1
                continue
            if self.in_string:
                m = STRUCT_IN_STRING.search(chunk, pos)
                if m is None:
                    return -1
                ch, pos = m.group(), m.end()
                if ch == b"\\":
                    self.escape = True
                else:
                    self.in_string = False
                continue
            m = STRUCT.search(chunk, pos)
            if m is None:
                return -1
            ch, pos = m.group(), m.end()
            if ch == b'"':
                self.in_string = True
            elif ch == b"\\":
                continue
            elif ch in (b"{", b"["):
                self.depth += 1
                self.started = True
            else:
                self.depth -= 1
                if self.depth <= 0 and self.started:
                    return pos
        return -1


class RecordBuilder:
    """Turns ijson's parse events of ONE top-level value into records, emitted through ``emit``."""

    def __init__(self, emit: Callable[[Any], None]) -> None:
        self.emit = emit
        self.builder: ijson.ObjectBuilder | None = None
        self.mode = ""  # "array" | "records" | "object"
        self.envelope: dict[str, Any] = {}
        self.key: str | None = None
        self.emitted = 0

    def event(self, prefix: str, event: str, value: Any) -> None:
        if not self.mode:
            self.mode = {"start_array": "array", "start_map": "object"}.get(event, "scalar")
            if self.mode == "scalar":
                self.emit(value)
                self.emitted += 1
                return
            if self.mode == "object":
                self.builder = ijson.ObjectBuilder()
                self.builder.event(event, value)
            return
        if self.mode == "array":
            self._element(prefix, event, value, "item")
        elif self.mode == "records":
            if prefix == "Records" and event == "end_array":
                self.mode = "records_done"
                return
            self._element(prefix, event, value, "Records.item")
        elif self.mode == "records_done":
            pass  # keys after the Records array (none in CloudTrail) are not records
        else:
            if self.builder is not None and event == "map_key" and prefix == "" and value == "Records" \
                    and not self.builder.value:
                self.key = "Records"
                return
            if self.key == "Records" and prefix == "Records" and event == "start_array":
                self.mode, self.builder, self.key = "records", None, None
                return
            if self.key == "Records":  # "Records" was not an array: an ordinary object after all
                self.builder.event("map_key", "Records")  # type: ignore[union-attr]
                self.key = None
            self.builder.event(event, value)  # type: ignore[union-attr]
            if prefix == "" and event == "end_map":
                self.emit(self.builder.value)  # type: ignore[union-attr]
                self.emitted += 1
                self.builder = None

    def _element(self, prefix: str, event: str, value: Any, item_prefix: str) -> None:
        if prefix == item_prefix and event in ("start_map", "start_array"):
            self.builder = ijson.ObjectBuilder()
        if self.builder is None:
            if prefix == item_prefix:  # a scalar element
                self.emit(value)
                self.emitted += 1
            return
        self.builder.event(event, value)
        if prefix == item_prefix and event in ("end_map", "end_array"):
            self.emit(self.builder.value)
            self.emitted += 1
            self.builder = None


def stream_document(first: bytes, more: Callable[[], bytes], max_bytes: int,
                    chunk_limit: int = 1 << 16) -> Iterator[tuple[str, Any]]:
    """Parse one JSON document that starts at ``first[0]``; ``more()`` returns the next bytes (b"" at the end).

    Yields ``("record", value)`` for each record, then exactly one of ``("end", rest)`` (the bytes after the
    document) or ``("error", (reason, raw_head, rest))``. On a syntax error, ``rest`` starts at the next line that
    opens a document at column 0 (``{`` or ``[``), where reading resumes.
    """
    out: list[Any] = []
    builder = RecordBuilder(out.append)
    coro = ijson.parse_coro(_Sink(builder), use_float=True)
    bound = Boundary()
    head = first[:1000]
    chunk, size = first, 0
    while True:
        end = bound.feed(chunk)
        part = chunk if end < 0 else chunk[:end]
        size += len(part)
        try:
            coro.send(part)
            if end >= 0:
                coro.close()
        except (ijson.JSONError, ijson.IncompleteJSONError, ValueError) as exc:
            yield from _drain(out)
            rest = _resync(chunk if end < 0 else chunk[end:], more)
            yield "error", (f"invalid JSON: {str(exc)[:200]}", _text(head), rest)
            return
        yield from _drain(out)
        if builder.mode == "object" and size > max_bytes:
            rest = _resync(chunk if end < 0 else chunk[end:], more)
            yield "error", (f"JSON document over {max_bytes} bytes (not an array or a Records file)", _text(head),
                            rest)
            return
        if end >= 0:
            if builder.emitted == 0 and builder.mode in ("array", "records", "records_done"):
                yield "empty", None
            yield "end", chunk[end:]
            return
        chunk = more()
        if not chunk:
            try:
                coro.close()
            except (ijson.JSONError, ijson.IncompleteJSONError, ValueError) as exc:
                yield from _drain(out)
                yield "error", (f"truncated JSON document: {str(exc)[:200]}", _text(head), b"")
                return
            yield from _drain(out)
            yield "error", ("truncated JSON document (the input ended inside it)", _text(head), b"")
            return


class _Sink:
    """ijson's coroutine target: forwards (prefix, event, value) to the builder."""

    def __init__(self, builder: RecordBuilder) -> None:
        self.builder = builder

    def send(self, item: tuple[str, str, Any]) -> None:
        self.builder.event(*item)


def _drain(out: list[Any]) -> Iterator[tuple[str, Any]]:
    for v in out:
        yield "record", v
    out.clear()


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _resync(rest: bytes, more: Callable[[], bytes]) -> bytes:
    """Skip to the next line that starts a document at column 0; a broken document loses nothing after it."""
    buf = rest
    while True:
        i = 0
        while True:
            j = buf.find(b"\n", i)
            if j < 0:
                break
            nxt = buf[j + 1:j + 2]
            if nxt in (b"{", b"["):
                return buf[j + 1:]
            if nxt and nxt not in b" \t\r\n}],":  # a line of another format: resume there
                return buf[j + 1:]
            i = j + 1
        tail = buf[buf.rfind(b"\n"):] if b"\n" in buf else b""
        chunk = more()
        if not chunk:
            return b""
        buf = tail + chunk
