"""Read the pipeline's archive back: list the hourly partitions of a range, order each shard's objects by
sequence, and stream each gzip object line by line in constant memory. A corrupt object is reported and
skipped, never fatal to the scan.
"""
from __future__ import annotations

import gzip
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Iterator

import orjson

from .. import aws
from ..config import get_settings


BATCH = 5000  # lines handed to the detectors at a time


class CorruptObject(Exception):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


def hours(start: datetime, end: datetime) -> Iterator[datetime]:
    h = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    while h <= end:
        yield h
        h += timedelta(hours=1)


def _order(key: str) -> tuple[str, int, str]:
    """``…/{shard}-{first}-{last}.jsonl.gz`` → (shard, first sequence): archive order per shard."""
    name = key.rsplit("/", 1)[-1].removesuffix(".jsonl.gz")
    shard, first, _last = (name.rsplit("-", 2) + ["", ""])[:3]
    return shard, int(first) if first.isdecimal() else 0, key


def list_objects(start: datetime, end: datetime, bucket: str | None = None,
                 tick: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    """Every archive object of the hours the range touches, in archive order, with its size; ``tick`` is called
    after each hour listed (a 92-day range is 2,208 listings: the scan must still look alive)."""
    bucket = bucket or get_settings().logs_bucket
    s3, out = aws.client("s3"), []
    for h in hours(start, end):
        if tick:
            tick()
        prefix = f"logs/dt={h:%Y-%m-%d}/hour={h:%H}/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out += [{"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", [])]
    return sorted(out, key=lambda o: _order(o["key"]))


def read_object(key: str, bucket: str | None = None) -> Iterator[dict[str, Any]]:
    """The JSON lines of one object, decompressed as they stream in."""
    body = aws.client("s3").get_object(Bucket=bucket or get_settings().logs_bucket, Key=key)["Body"]
    try:
        with gzip.GzipFile(fileobj=body) as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        raise CorruptObject(key, f"line {n} is not JSON: {exc}") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptObject(key, f"not a readable gzip stream: {exc}") from exc


def scan_range(start: datetime, end: datetime, scanner: Any, progress: Callable[[dict[str, Any]], None] | None = None,
               objects: Iterable[dict[str, Any]] | None = None, finish: bool = True) -> dict[str, Any]:
    """Feed every object of the range to ``scanner`` (a :class:`detectors.deepscan.ArchiveScan`); records outside
    [start, end] by arrival time are left out. ``progress`` hears after every batch of lines and every object (it
    may raise to stop the scan). Returns the scanner's summary (its partial if not ``finish``) plus objects,
    bytes and the corrupt ones."""
    objs = list(objects) if objects is not None else list_objects(start, end)
    lo, hi = start.timestamp(), end.timestamp()
    state = {"objects_total": len(objs), "objects_done": 0, "bytes_total": sum(o["size"] for o in objs),
             "bytes_done": 0, "corrupt": []}

    def feed(batch: list) -> None:
        scanner.feed(batch)
        if progress:
            progress({**state, **scanner.stats})

    for obj in objs:
        batch = []
        try:
            for rec in read_object(obj["key"]):
                if lo <= float(rec.get("arrival") or 0) <= hi:
                    batch.append(rec)
                if len(batch) >= BATCH:
                    feed(batch)
                    batch = []
        except CorruptObject as exc:
            state["corrupt"].append({"key": exc.key, "reason": exc.reason})
        state["objects_done"] += 1
        state["bytes_done"] += obj["size"]
        feed(batch)
    return {**(scanner.finish() if finish else scanner.partial()), **state}
