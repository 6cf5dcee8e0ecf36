"""The attack-heavy Windows corpus: events that meet Sigma rules, not the quiet background of the OTRF recordings.

Base events: every SigmaHQ regression event (``sigma/regression_data``: each one written to fire a rule) and
every record of the Windows samples in ``real/`` (EVTX and Event XML), as EVTX-JSON lines (``{"Event": …}``, the
shape the evtx crate and SigmaHQ's exports write), repeated to ``n`` lines with fresh ``EventRecordID``s.
The files stay outside the repository (their licences allow tests, not redistribution).
"""
from __future__ import annotations

import gzip
from pathlib import Path

import orjson


def base_documents(data: Path) -> list[dict]:
    from detectors.parsers import evtx_file, windows_xml

    docs: list[dict] = []
    for f in sorted((data / "sigma" / "regression_data").rglob("*.json")):
        text = f.read_bytes()
        try:
            value = orjson.loads(text)
            values = value if isinstance(value, list) else [value]
        except orjson.JSONDecodeError:  # several pretty-printed documents one after another
            values = _concatenated(text.decode("utf-8", "replace"))
        docs += [v for v in values if isinstance(v, dict) and isinstance(v.get("Event"), dict)]
    for f in sorted((data / "real" / "evtx").glob("*.evtx*")):
        with (gzip.open(f) if f.suffix == ".gz" else open(f, "rb")) as fh:
            docs += [rest[0] for kind, *rest in evtx_file.read_evtx(fh) if kind == "ok"]
    for f in sorted((data / "real" / "windows-xml").glob("*.xml")):
        docs += windows_xml.documents(f.read_text(encoding="utf-8", errors="replace"))
    return docs


def _concatenated(text: str) -> list:
    import json

    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        value, i = dec.raw_decode(text, i)
        out.append(value)


def write(data: Path, out: Path, n: int) -> dict:
    """Write ``n`` lines to ``out``; returns what went in (base events, lines)."""
    docs = base_documents(data)
    if not docs:
        raise FileNotFoundError(f"no Windows events under {data}")
    with open(out, "wb") as fh:
        for i in range(n):
            doc = docs[i % len(docs)]
            system = doc["Event"].get("System")
            if isinstance(system, dict):
                system = {**system, "EventRecordID": 10_000_000 + i}
                doc = {"Event": {**doc["Event"], "System": system}}
            fh.write(orjson.dumps(doc) + b"\n")
    return {"base_events": len(docs), "lines": n}
