"""Read log files for scans: plain, gzip or zip (OTRF datasets), JSON documents or one record per line."""
from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from typing import Iterator

from .parsers import Event, ParseError, parse_json_documents, parse_line


def input_files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
        else:
            out.append(p)
    return out


def _streams(path: Path) -> Iterator[tuple[str, io.TextIOBase]]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if not name.endswith("/"):
                    yield f"{path}:{name}", io.TextIOWrapper(zf.open(name), encoding="utf-8", errors="replace")
        return
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    yield str(path), io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def read_events(path: Path, fmt: str | None = None) -> Iterator[Event | ParseError]:
    """Events of one file; a pretty-printed JSON file is read as documents, anything else line by line."""
    for _name, stream in _streams(path):
        with stream:
            first = stream.readline()
            if fmt in (None, "auto", "json") and first.strip() in ("{", "[") or first.rstrip().endswith(("{", "[")):
                yield from parse_json_documents(first + stream.read())
                continue
            for line in ([first] if first else []):
                yield from parse_line(line, fmt)
            for line in stream:
                yield from parse_line(line, fmt)
