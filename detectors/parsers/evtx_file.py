"""Binary EVTX files, read with the evtx crate (pyevtx-rs ``PyEvtxParser``): every record as the ``{"Event": …}``
document :func:`windows.from_evtx` takes.

``read_evtx`` yields ``("ok", doc)`` for a decoded record and ``("error", raw, reason)`` for one that cannot be
decoded (``raw`` names the record or chunk), so a corrupt chunk costs its records, not the rest of the file: the
crate raises per record / chunk and its iterator carries on after the exception. The crate accepts a path or any
seekable binary file object (``gzip.open(...)`` works, decompressing as it seeks).
"""
from __future__ import annotations

from typing import IO, Any, Iterator, Union

import orjson

MAGIC = b"ElfFile\x00"
MAX_ERRORS = 10000  # a file of garbage after a valid header must not spin on errors forever

Item = Union[tuple[str, dict[str, Any]], tuple[str, str, str]]


def is_evtx(first_bytes: bytes) -> bool:
    return first_bytes[:8] == MAGIC


def read_evtx(source: Union[str, IO[bytes]], threads: int = 1) -> Iterator[Item]:
    """Every record of an EVTX file; see the module docstring for the two item shapes."""
    from evtx import PyEvtxParser

    try:
        parser = PyEvtxParser(source if isinstance(source, str) else source, number_of_threads=threads)
        records = iter(parser.records_json())
    except Exception as exc:  # not an EVTX file, unreadable header
        yield ("error", str(getattr(source, "name", source))[:200], f"cannot open EVTX: {exc}"[:500])
        return
    last_id: Any = None
    errors = records_seen = 0
    while True:
        try:
            rec = next(records)
        except StopIteration:
            if not records_seen and not errors:
                yield ("error", str(getattr(source, "name", source))[:200], "no records: empty or corrupt EVTX")
            return
        except Exception as exc:  # the crate's RuntimeError for a bad record or chunk
            errors += 1
            yield ("error", f"EVTX record after id {last_id}", str(exc)[:500])
            if errors >= MAX_ERRORS:
                yield ("error", f"EVTX record after id {last_id}", f"stopped after {errors} errors")
                return
            continue
        records_seen += 1
        last_id = rec.get("event_record_id")
        try:
            doc = orjson.loads(rec["data"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            yield ("error", f"EVTX record {last_id}", f"record JSON does not decode: {exc}")
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("Event"), dict):
            yield ("error", f"EVTX record {last_id}", "record is not an Event element")
            continue
        yield ("ok", doc)
