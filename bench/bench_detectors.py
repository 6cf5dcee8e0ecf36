"""The project's pack and anomaly detectors on one core over simulated device logs, with the orjson ceiling of
the same run. ``corpus()``: the OTRF recordings' Windows event lines, repeated to BENCH_EVENTS (bench_sigma.py).
Prints one JSON object per line.
"""
from __future__ import annotations

import gc
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("CYBERINCIDENT_SHARED_DATA", ROOT.parent / "shared" / "data"))
N = int(os.environ.get("BENCH_EVENTS", "50000"))


def corpus() -> list[str]:
    lines: list[str] = []
    for z in sorted((DATA / "otrf" / "datasets" / "atomic" / "windows").rglob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                if name.endswith(".json"):
                    lines += [ln for ln in io.TextIOWrapper(zf.open(name), encoding="utf-8", errors="replace") if ln.strip()]
    if not lines:
        return []
    return (lines * (N // len(lines) + 1))[:N]


def rate(n: int, secs: float) -> int:
    return int(n / max(secs, 1e-9))


def project_pack(orjson) -> None:
    """Mixed device logs from the simulator through the project's rule pack and every anomaly detector."""
    from detectors.parsers import parse_line
    from detectors.pipeline import Detector
    from detectors.simulate import lines as simulated

    n = int(os.environ.get("BENCH_MIXED", "100000"))
    data = simulated(n, seed=3, start=1.8e9)
    t0 = time.perf_counter()
    for _, ln in data:
        ln.encode()  # the ceiling: touch every line once (most are not JSON, so orjson cannot read them all)
    json_lines = [ln for _, ln in data if ln[0] == "{"]
    t0 = time.perf_counter()
    for ln in json_lines:
        orjson.loads(ln)
    ceiling = rate(len(json_lines), time.perf_counter() - t0)
    t0 = time.perf_counter()
    events = [e for dev, ln in data for e in parse_line(ln, device=dev)]
    parse = rate(len(data), time.perf_counter() - t0)
    det = Detector()
    t0 = time.perf_counter()
    alerts, errors = det.process(events)
    detect = rate(len(events), time.perf_counter() - t0)
    n_events = len(events)
    del events  # a Lambda batch does not sit beside 100,000 live events whose cycles the GC would re-walk
    gc.collect()
    det2 = Detector()  # built outside the timing: a container compiles its rules once, not per batch
    t0 = time.perf_counter()
    det2.process(e for dev, ln in data for e in parse_line(ln, device=dev))
    end_to_end = rate(len(data), time.perf_counter() - t0)
    print(json.dumps({"bench": "detectors_project_pack", "lines": len(data), "orjson_ceiling_eps": ceiling,
                      "parse_normalize_eps": parse, "detect_eps": detect, "parse_and_detect_eps": end_to_end,
                      "parse_and_detect_vs_ceiling": round(end_to_end / ceiling, 3), "alerts": len(alerts),
                      "parse_errors": len(errors), "events": n_events, "sigma_rules": det.sigma.rules_loaded,
                      "anomaly_detectors": len(det.anomalies)}), flush=True)


def main() -> None:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the goals are stated
    except (AttributeError, OSError):
        pass
    import orjson

    project_pack(orjson)  # the SigmaHQ set over the OTRF and attack corpora: bench_sigma.py


if __name__ == "__main__":
    main()
