"""Detection engine throughput on one core, with the orjson-only ceiling of the same corpus and run.

Corpus: the Windows event JSON lines of the OTRF recordings in ../shared/data (skipped when absent),
repeated to BENCH_EVENTS lines. Prints one JSON object per line.
"""
from __future__ import annotations

import gc
import io
import json
import os
import resource
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

    project_pack(orjson)
    if not (DATA / "otrf").is_dir():
        print(json.dumps({"bench": "detectors_sigmahq", "skipped": f"{DATA} is absent"}))
        return

    from detectors.parsers import NotEvent, parse_line
    from detectors.sigma import SigmaEngine

    lines = corpus()
    t0 = time.perf_counter()
    for ln in lines:
        orjson.loads(ln)
    ceiling = rate(len(lines), time.perf_counter() - t0)
    t0 = time.perf_counter()
    events = [e for ln in lines for e in parse_line(ln) if not isinstance(e, NotEvent)]
    parse = rate(len(lines), time.perf_counter() - t0)
    t0 = time.perf_counter()
    engine = SigmaEngine.from_paths([DATA / "sigma" / "rules" / "windows"])
    load_s = time.perf_counter() - t0
    art = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-windows.rules.pickle"
    t0 = time.perf_counter()
    engine.save_artifact(art)
    t0 = time.perf_counter()
    SigmaEngine.from_artifact(art)
    artifact_load_s = time.perf_counter() - t0
    sample = events[: min(len(events), int(os.environ.get("BENCH_DETECT_EVENTS", "10000")))]
    for ev in events[-2000:]:  # warm, as a Lambda container is after its first batch (routes built)
        engine.match_event(dict(ev))
    t0 = time.perf_counter()
    hits = sum(len(engine.match_event(e)) for e in sample)
    detect = rate(len(sample), time.perf_counter() - t0)
    print(json.dumps({"bench": "detectors_sigmahq", "events": len(lines), "orjson_ceiling_eps": ceiling,
                      "parse_normalize_eps": parse, "parse_vs_ceiling": round(parse / ceiling, 3),
                      "sigmahq_windows_detect_eps": detect, "detect_vs_ceiling": round(detect / ceiling, 4),
                      "detect_events": len(sample), "matches": hits, "rules_loaded": engine.rules_loaded,
                      "rules_skipped": len(engine.skipped), "yaml_load_s": round(load_s, 2),
                      "artifact_load_s": round(artifact_load_s, 2),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
