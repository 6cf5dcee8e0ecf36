"""Device side: ship log lines to the Kinesis stream (``python -m chalicelib.pipeline.shipper``).

Batches of at most 500 records / 5 MB (the ``PutRecords`` limits); the records a partial failure names are
retried with exponential backoff and jitter; the partition key is the device id. Reads files or stdin,
``--follow`` tails a file as it grows (and reopens it after rotation). Gzip files are read transparently.
"""
from __future__ import annotations

import argparse
import gzip
import os
import random
import socket
import sys
import time
from typing import IO, Iterable, Iterator

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
        pending = batch
        for attempt in range(self.max_attempts):
            resp = self.client.put_records(StreamName=self.stream, Records=pending)
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


def follow(path: str, poll: float = 0.5) -> Iterator[bytes]:
    """``tail -F``: complete lines appended to ``path`` (``b""`` when idle); a line still being written is held
    until its newline arrives; reopens after rotation or truncation."""
    fh = open(path, "rb")
    fh.seek(0, os.SEEK_END)
    inode = os.fstat(fh.fileno()).st_ino
    partial = b""
    while True:
        line = fh.readline()
        if line:
            if not line.endswith(b"\n"):
                partial += line
                continue
            yield partial + line
            partial = b""
            continue
        time.sleep(poll)
        yield b""  # idle: lets the caller flush what it holds
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if st.st_ino != inode or st.st_size < fh.tell():
            fh.close()
            if partial:  # the writer rotated away from an unterminated last line: it is complete as it is
                yield partial
                partial = b""
            fh = open(path, "rb")
            inode = st.st_ino


def records(lines: Iterable[bytes], device: str, pack: int, skipped: list[int] | None = None
            ) -> Iterator[tuple[str, bytes]]:
    """Non-empty lines, ``pack`` per record (newline-separated), each record under 1 MiB. A single line over
    1 MiB cannot travel through Kinesis: it is reported on stderr (and counted in ``skipped``), not shipped.

    A file whose ``#`` header says what its columns are (Zeek TSV ``#fields``, W3C/IIS ``#Fields:``) needs that
    header to be read: the current header block travels at the head of every record that follows it."""
    buf: list[bytes] = []
    header: list[bytes] = []
    in_header = False
    size = 0
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        if line[:1] == b"#":
            if not in_header:  # a new header block: what came before it was read with the old one
                if buf:
                    yield device, b"\n".join(header + buf)
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
            yield device, b"\n".join(header + buf)
            buf, size = [], 0
        buf.append(line)
        size += len(line) + 1
    if buf:
        yield device, b"\n".join(header + buf)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chalicelib.pipeline.shipper", description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", default=["-"], help="files to ship ('-' for stdin, the default)")
    p.add_argument("--stream", default=os.environ.get("KINESIS_STREAM", "cyberincident-events"))
    p.add_argument("--device", default=socket.gethostname(), help="partition key (default: this host's name)")
    p.add_argument("--follow", action="store_true", help="keep reading the (single) file as it grows")
    p.add_argument("--pack", type=int, default=1, help="lines per record (default 1)")
    p.add_argument("--flush-seconds", type=float, default=1.0, help="with --follow: ship at least this often")
    args = p.parse_args(argv)
    if args.pack < 1:
        p.error("--pack must be at least 1")
    shipper = Shipper(stream=args.stream)
    try:
        if args.follow:
            if len(args.paths) != 1 or args.paths[0] == "-":
                p.error("--follow takes exactly one file")
            pending: list[bytes] = []
            last = time.time()
            for line in follow(args.paths[0]):
                if line:
                    pending.append(line)
                if pending and (len(pending) >= MAX_RECORDS * args.pack or time.time() - last >= args.flush_seconds):
                    shipper.send(records(pending, args.device, args.pack))
                    print(f"shipped {shipper.sent} records", file=sys.stderr)
                    pending, last = [], time.time()
        for path in args.paths:
            try:
                fh = _open(path)
            except OSError as exc:
                print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
                return 2
            with fh:
                shipper.send(records(fh, args.device, args.pack))
    except ShipError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"shipped {shipper.sent} records to {args.stream} ({shipper.retried} retried)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
