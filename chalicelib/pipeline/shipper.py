"""Device side: ship log lines to the Kinesis stream (``python -m chalicelib.pipeline.shipper``).

Batches of at most 500 records / 5 MB (the ``PutRecords`` limits); the records a partial failure names are
retried with exponential backoff and jitter; the partition key is the device id. Reads files or stdin,
``--follow`` tails a file as it grows (and reopens it after rotation). Gzip files are read transparently.

Nothing lost, nothing twice: every record carries a stable id (``#ci-record-id: <file identity>:<offset>``, see
``identity``), so a retry the SDK makes after a timeout is dropped by the pipeline; with ``--follow`` the position
is kept in a state file (file identity and offset, written after each shipped batch), an unreachable endpoint is
retried forever with backoff (the file is the buffer: reading waits, memory stays bounded), and a restart
resumes where the last shipped batch ended, in the rotated file first if it was rotated meanwhile.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import socket
import sys
import time
from typing import IO, Any, Iterable, Iterator, NamedTuple

from .identity import with_id

MAX_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024


class ShipError(Exception):
    pass


class Shipper:
    def __init__(self, stream: str | None = None, client: object | None = None, max_attempts: int = 8,
                 base_delay: float = 0.1) -> None:
        from .. import aws
        from ..config import get_settings

        self.stream = stream or get_settings().kinesis_stream
        self.client = client or aws.client("kinesis")
        self.max_attempts, self.base_delay = max_attempts, base_delay
        self.sent = self.retried = 0

    def send(self, records: Iterable[tuple[str, bytes]]) -> int:
        """Ship ``(partition key, data)`` pairs; raises ShipError if some still fail after every attempt."""
        batch: list[dict] = []
        size = 0
        for key, data in records:
            if len(data) > MAX_RECORD_BYTES:
                raise ShipError(f"a record of {len(data)} bytes exceeds Kinesis' 1 MiB limit (device {key})")
            rec_size = len(data) + len(key.encode())
            if batch and (len(batch) == MAX_RECORDS or size + rec_size > MAX_BATCH_BYTES):
                self._put(batch)
                batch, size = [], 0
            batch.append({"PartitionKey": key, "Data": data})
            size += rec_size
        if batch:
            self._put(batch)
        return self.sent

    def _put(self, batch: list[dict]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        pending = batch
        for attempt in range(self.max_attempts):
            try:
                resp = self.client.put_records(StreamName=self.stream, Records=pending)
            except (BotoCoreError, ClientError) as exc:  # endpoint unreachable, throttled, timed out
                if attempt + 1 == self.max_attempts:
                    raise ShipError(f"{len(pending)} records not shipped: {exc}") from None
                time.sleep(min(5.0, self.base_delay * 2 ** attempt) * (0.5 + random.random() / 2))
                continue
            if not resp.get("FailedRecordCount"):
                self.sent += len(pending)
                return
            failed = [rec for rec, res in zip(pending, resp["Records"]) if res.get("ErrorCode")]
            self.sent += len(pending) - len(failed)
            self.retried += len(failed)
            pending = failed
            time.sleep(min(5.0, self.base_delay * 2 ** attempt) * (0.5 + random.random() / 2))
        raise ShipError(f"{len(pending)} records still failing after {self.max_attempts} attempts")


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    fh = open(path, "rb")
    if fh.read(2) == b"\x1f\x8b":
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


class Line(NamedTuple):
    """A line of a file, where it starts, and which file (device and inode: a rotated file is another one)."""
    fid: str
    offset: int
    data: bytes


def file_id(st: os.stat_result) -> str:
    return f"{st.st_dev:x}-{st.st_ino:x}"


def follow(path: str, poll: float = 0.5, start: tuple[str, int] | None = None) -> Iterator[Line | None]:
    """``tail -F``: complete lines appended to ``path`` (``None`` when idle); a line still being written is held
    until its newline arrives; reopens after rotation or truncation. ``start``: (file id, offset) to resume at;
    without it (or when the file changed), the end of the file."""
    fh = open(path, "rb")
    fid = file_id(os.fstat(fh.fileno()))
    if start and start[0] == fid and start[1] <= os.fstat(fh.fileno()).st_size:
        fh.seek(start[1])
    elif start and (start[0] != fid or start[1] > os.fstat(fh.fileno()).st_size):
        fh.seek(0)  # rotated or truncated while we were away: the new content from its first line
    else:
        fh.seek(0, os.SEEK_END)
    partial, at = b"", fh.tell()
    while True:
        line = fh.readline()
        if line:
            if not line.endswith(b"\n"):
                partial += line
                continue
            yield Line(fid, at, partial + line)
            partial, at = b"", fh.tell()
            continue
        time.sleep(poll)
        yield None  # idle: lets the caller flush what it holds
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if file_id(st) != fid or st.st_size < fh.tell():
            fh.close()
            if partial:  # the writer rotated away from an unterminated last line: it is complete as it is
                yield Line(fid, at, partial)
                partial = b""
            fh = open(path, "rb")
            fid, at = file_id(st), 0


def rotated_rest(path: str, start: tuple[str, int]) -> list[Line]:
    """After a restart: what the rotated file (``path.1``, logrotate's name) holds past the saved offset."""
    old = f"{path}.1"
    try:
        st = os.stat(old)
    except OSError:
        return []
    if file_id(st) != start[0]:
        return []
    out, at = [], start[1]
    with open(old, "rb") as fh:
        fh.seek(at)
        for line in fh:
            out.append(Line(start[0], at, line))
            at += len(line)
    return out


class Position:
    """The shipped position of each followed file, like Fluent Bit's tail database; written atomically."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, encoding="utf-8") as fh:
                self.data: dict[str, Any] = json.load(fh)
        except (OSError, ValueError):
            self.data = {}

    def get(self, log: str) -> tuple[str, int] | None:
        hit = self.data.get(os.path.abspath(log))
        return (hit["fid"], int(hit["offset"])) if isinstance(hit, dict) and "fid" in hit else None

    def save(self, log: str, fid: str, offset: int) -> None:
        self.data[os.path.abspath(log)] = {"fid": fid, "offset": offset, "saved": time.time()}
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), mode=0o700, exist_ok=True)
        tmp = f"{self.path}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.data, fh)
        os.replace(tmp, self.path)


def records(lines: Iterable[bytes], device: str, pack: int, skipped: list[int] | None = None
            ) -> Iterator[tuple[str, bytes]]:
    """Non-empty lines, ``pack`` per record (newline-separated), each record under 1 MiB. A single line over
    1 MiB cannot travel through Kinesis: it is reported on stderr (and counted in ``skipped``), not shipped.

    A file whose ``#`` header says what its columns are (Zeek TSV ``#fields``, W3C/IIS ``#Fields:``) needs that
    header to be read: the current header block travels at the head of every record that follows it."""
    buf: list[bytes] = []
    header: list[bytes] = []
    in_header, size, rid = False, 0, None
    tagged = lambda data: with_id(rid, data) if rid else data  # noqa: E731
    for n, item in enumerate(lines, 1):
        raw = item.data if isinstance(item, Line) else item
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        if line[:1] == b"#":
            if not in_header:  # a new header block: what came before it was read with the old one
                if buf:
                    yield device, tagged(b"\n".join(header + buf))
                    buf, size = [], 0
                header, in_header = [], True
            if not line.startswith(b"#close"):
                header.append(line)
            continue
        in_header = False
        if len(line) > MAX_RECORD_BYTES:
            print(f"warning: line {n} of device {device} is {len(line)} bytes, over Kinesis' 1 MiB record limit; "
                  "not shipped", file=sys.stderr)
            if skipped is not None:
                skipped.append(n)
            continue
        head = sum(len(h) + 1 for h in header)
        if buf and (len(buf) >= pack or head + size + len(line) + 1 > MAX_RECORD_BYTES):
            yield device, tagged(b"\n".join(header + buf))
            buf, size = [], 0
        if not buf:  # a record's id: where its first line is (a resend of the same line has the same id)
            rid = f"{item.fid}:{item.offset}" if isinstance(item, Line) else None
        buf.append(line)
        size += len(line) + 1
    if buf:
        yield device, tagged(b"\n".join(header + buf))


def lines_of(fh: IO[bytes], fid: str) -> Iterator[Line]:
    """A whole file's lines with their offsets (in the decompressed text of a gzip file)."""
    at = 0
    for line in fh:
        yield Line(fid, at, line)
        at += len(line)


def ship_until_done(shipper: Shipper, recs: list[tuple[str, bytes]], delay: float = 1.0,
                    backoff_max: float = 60.0) -> None:
    """Retry a batch until it is shipped (``--follow``): a resend is harmless, each record has its id."""
    while True:
        try:
            shipper.send(recs)
            return
        except (ShipError, OSError) as exc:
            print(f"warning: cannot ship yet ({exc}); retrying in {delay:.0f} s", file=sys.stderr)
            time.sleep(delay)
            delay = min(backoff_max, delay * 2)


def run_follow(shipper: Shipper, path: str, device: str, pack: int, flush_s: float, state: Position,
               from_start: bool = False, poll: float = 0.5, stop: Any = None, retry_s: float = 1.0) -> None:
    """Tail ``path`` from the saved position (or its start / end), shipping and saving the position per batch."""
    start = state.get(path) or (("", 0) if from_start else None)
    pending: list[Line] = rotated_rest(path, start) if start and start[0] else []
    last = time.time()
    for line in follow(path, poll, start):
        if line is not None:
            pending.append(line)
        if pending and (len(pending) >= MAX_RECORDS * pack or time.time() - last >= flush_s or
                        (line is None and stop is not None and stop())):
            ship_until_done(shipper, list(records(pending, device, pack)), retry_s)
            end = pending[-1]
            state.save(path, end.fid, end.offset + len(end.data))
            print(f"shipped {shipper.sent} records", file=sys.stderr)
            pending, last = [], time.time()
        if line is None and stop is not None and stop() and not pending:
            return


def default_state() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "cyberincident", "shipper.json")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chalicelib.pipeline.shipper", description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", default=["-"], help="files to ship ('-' for stdin, the default)")
    p.add_argument("--stream", default=os.environ.get("KINESIS_STREAM", "cyberincident-events"))
    p.add_argument("--device", default=socket.gethostname(), help="partition key (default: this host's name)")
    p.add_argument("--follow", action="store_true", help="keep reading the (single) file as it grows")
    p.add_argument("--state", default=default_state(), help="with --follow: where the shipped position is kept")
    p.add_argument("--from-start", action="store_true", help="with --follow and no saved position: from line 1")
    p.add_argument("--pack", type=int, default=1, help="lines per record (default 1)")
    p.add_argument("--flush-seconds", type=float, default=1.0, help="with --follow: ship at least this often")
    args = p.parse_args(argv)
    if args.pack < 1:
        p.error("--pack must be at least 1")
    if args.follow and (len(args.paths) != 1 or args.paths[0] == "-"):
        p.error("--follow takes exactly one file")
    shipper = Shipper(stream=args.stream)
    try:
        if args.follow:
            run_follow(shipper, args.paths[0], args.device, args.pack, args.flush_seconds, Position(args.state),
                       args.from_start)
        for path in args.paths:
            try:
                fh = _open(path)
                fid = f"stdin-{os.getpid():x}-{int(time.time()):x}" if path == "-" else file_id(os.stat(path))
            except OSError as exc:
                print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
                return 2
            with fh:
                shipper.send(records(lines_of(fh, fid), args.device, args.pack))
    except ShipError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"shipped {shipper.sent} records to {args.stream} ({shipper.retried} retried)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
