"""SigmaHQ at line rate: the Windows rule set over two corpora, on one pinned core, each against its orjson ceiling.

Corpora (both from ../shared/data; skipped when absent):
- ``attack``: the attack-heavy corpus of ``attack_corpus`` (SigmaHQ regression events and the real Windows samples,
  events written to meet rules), repeated to BENCH_ATTACK_EVENTS lines (100,000);
- ``otrf``: the OTRF atomic recordings' Windows events (mostly background that meets no rule), to BENCH_EVENTS.
Each line is JSON, so ``orjson.loads`` of every line is the ceiling.

Figures: rule loading (YAML, artifact) apart; ``parse_eps`` (read and normalise only, every event kept in a list)
and ``parse_stream_eps`` (the same, one event at a time, as the scan reads); ``scan_cold_eps`` (the
``detectors scan`` CLI in a fresh process: read, parse, match, alerts; rules compile on first use);
``scan_warm_eps`` (the same loop, warm, in one process); ``match_eps`` (matching alone over parsed events, warm);
the two warm figures are the best of BENCH_REPEATS passes (3), the cold one of BENCH_COLD_REPEATS processes (2),
each run listed in ``*_runs``. The reference evaluation's ``reference_match_eps`` on a sample is the in-run
baseline. Then the peak RSS of a scan with every SigmaHQ rule and the 20 costliest rules (``detectors scan --profile-rules``). BENCH_BASELINE_TREE=path also times
another checkout's scan CLI, warm loop and matching alone on the same corpus file (a before/after from one run).
"""
from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("CYBERINCIDENT_SHARED_DATA", ROOT.parent / "shared" / "data"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))  # warm figures: the best of this many passes (timings swing ±30%)
COLD_REPEATS = int(os.environ.get("BENCH_COLD_REPEATS", "2"))  # fresh CLI processes per tree
CORE = str(sorted(os.sched_getaffinity(0))[0]) if hasattr(os, "sched_getaffinity") else "0"


def rate(n: int, secs: float) -> int:
    return int(n / max(secs, 1e-9))


def otrf_file(path: Path, n: int) -> int:
    from bench.bench_detectors import corpus

    os.environ["BENCH_EVENTS"] = str(n)
    lines = corpus()
    path.write_text("".join(ln if ln.endswith("\n") else ln + "\n" for ln in lines), encoding="utf-8")
    return len(lines)


def ceiling(path: Path) -> int:
    import orjson

    with open(path, "rb") as fh:
        lines = fh.readlines()
    t0 = time.perf_counter()
    for ln in lines:
        orjson.loads(ln)
    return rate(len(lines), time.perf_counter() - t0)


def events_of(path: Path) -> list[dict]:
    from detectors.parsers import NotEvent
    from detectors.reader import read_input

    return [e for _, e in read_input(path) if e is not None and not isinstance(e, NotEvent)]


def parse_stream(path: Path) -> int:
    """Read and normalise as the scan does, one event at a time (``parse_eps`` keeps every event in a list, which
    the garbage collector then walks)."""
    from detectors.parsers import NotEvent
    from detectors.reader import read_input

    n, t0 = 0, time.perf_counter()
    for _, e in read_input(path):
        if e is not None and not isinstance(e, NotEvent):
            n += 1
    return rate(n, time.perf_counter() - t0)


def scan_loop(engine, path: Path) -> tuple[int, float, int]:
    """What ``detectors scan`` does per event (Sigma only), timed from the first byte read."""
    from detectors.parsers import NotEvent
    from detectors.pipeline import Detector
    from detectors.reader import read_input

    det = Detector(sigma=engine)
    det.anomalies = []
    merged: dict = {}
    n, t0 = 0, time.perf_counter()
    for _, item in read_input(path):
        if item is None or isinstance(item, NotEvent):
            continue
        n += 1
        det.detect_into(item, merged, "cli")
    return n, time.perf_counter() - t0, len(merged)


def cli(tree: Path, artifact: Path, path: Path, *extra: str) -> dict:
    """The scan CLI of ``tree`` in a fresh process on one core: its own events/s line, its peak RSS."""
    cmd = ["taskset", "-c", CORE] if _has_taskset() else []
    cmd += [sys.executable, "-m", "detectors", "scan", "--rules", str(artifact), "--input", str(path),
            "--no-anomaly", "--quiet", "--output", os.devnull, *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "1"})
    wall = time.perf_counter() - t0
    m = re.search(r"(\d+) alerts in [\d.]+ s \(([\d,]+) events/s\)", proc.stderr)
    return {"eps": int(m.group(2).replace(",", "")) if m else None, "alerts": int(m.group(1)) if m else None,
            "wall_s": round(wall, 2), "stderr": proc.stderr, "rc": proc.returncode}


# The warm loop and matching alone, run inside another checkout (BENCH_BASELINE_TREE): only the engine API both
# trees share (SigmaEngine.from_artifact, read_input, Detector.detect_into, match_event), so the figures compare.
_WARM = r"""
import gc, json, os, sys, time
sys.path.insert(0, os.getcwd())
from detectors.parsers import NotEvent
from detectors.pipeline import Detector
from detectors.reader import read_input
from detectors.sigma import SigmaEngine
from pathlib import Path
artifact, path, repeats = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
engine = SigmaEngine.from_artifact(artifact)
gc.freeze()
def loop():
    det = Detector(sigma=engine)
    det.anomalies = []
    merged, n, t0 = {}, 0, time.perf_counter()
    for _, item in read_input(path):
        if item is None or isinstance(item, NotEvent):
            continue
        n += 1
        if hasattr(det, "detect_into"):
            det.detect_into(item, merged, "cli")
        else:  # before alerts were merged as they came
            det.detect(item)
    return n / (time.perf_counter() - t0)
loop()
warm = [loop() for _ in range(repeats)]
events = [e for _, e in read_input(path) if e is not None and not isinstance(e, NotEvent)]
match = []
for _ in range(repeats):
    copies = [dict(e) for e in events]
    t0 = time.perf_counter()
    for e in copies:
        engine.match_event(e)
    match.append(len(copies) / (time.perf_counter() - t0))
    del copies
print(json.dumps({"scan_warm_eps": int(max(warm)), "match_eps": int(max(match))}))
"""


def baseline_warm(tree: Path, artifact: Path, path: Path) -> dict:
    cmd = (["taskset", "-c", CORE] if _has_taskset() else []) + [sys.executable, "-c", _WARM, str(artifact), str(path),
                                                                str(REPEATS)]
    proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "1"})
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": proc.stderr[-500:]}


def _has_taskset() -> bool:
    from shutil import which

    return which("taskset") is not None


def peak_rss_mb(tree: Path, artifact: Path, path: Path) -> float:
    code = ("import resource,subprocess,sys; subprocess.run(sys.argv[1:], stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "detectors", "scan", "--rules",
                          str(artifact), "--input", str(path), "--no-anomaly", "--quiet", "--output", os.devnull],
                         cwd=tree, capture_output=True, text=True)
    return round(int(out.stdout.strip() or 0) / 1024, 1)


def top_rules(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("rule cost:")), None)
    return [] if start is None else lines[start:start + 22]


def bench_corpus(name: str, path: Path, engine, artifact: Path, all_rules: Path) -> dict:
    from detectors.sigma import SigmaEngine

    out: dict = {"bench": f"sigma_{name}", "corpus": name, "lines": sum(1 for _ in open(path, "rb"))}
    out["orjson_ceiling_eps"] = ceiling(path)
    t0 = time.perf_counter()
    events = events_of(path)
    out["parse_eps"] = rate(len(events), time.perf_counter() - t0)
    out["parse_stream_eps"] = max(parse_stream(path) for _ in range(REPEATS))
    baseline = os.environ.get("BENCH_BASELINE_TREE")
    colds, befores = [], []
    for _ in range(COLD_REPEATS):  # fresh processes, this tree and the baseline's taking turns
        colds.append(cli(ROOT, artifact, path))
        if baseline:
            befores.append(cli(Path(baseline), artifact, path))
    cold = max(colds, key=lambda c: c["eps"] or 0)
    out["scan_cold_eps"], out["alerts"] = cold["eps"], cold["alerts"]
    out["scan_cold_eps_runs"] = [c["eps"] for c in colds]
    fresh = SigmaEngine.from_artifact(artifact)
    gc.freeze()
    scan_loop(fresh, path)  # first pass: routes built, rules compiled
    warm = [scan_loop(fresh, path) for _ in range(REPEATS)]
    n = warm[0][0]
    out["scan_warm_eps"] = rate(n, min(w[1] for w in warm))
    out["scan_warm_eps_runs"] = [rate(n, w[1]) for w in warm]
    matched = sum(1 for e in events[:5000] if fresh.match_event(dict(e)))
    runs = []
    for _ in range(REPEATS):
        copies = [dict(e) for e in events]
        t0 = time.perf_counter()
        hits = sum(len(fresh.match_event(e)) for e in copies)
        runs.append(rate(len(copies), time.perf_counter() - t0))
        del copies
    out["match_eps"], out["match_eps_runs"] = max(runs), runs
    out["events_matching_a_rule"] = f"{matched / max(min(len(events), 5000), 1):.1%}"
    out["matches"] = hits
    ref = engine.reference()
    sample = [dict(e) for e in events[: int(os.environ.get("BENCH_REFERENCE_EVENTS", "3000"))]]
    for e in sample[:200]:
        ref.match_event(dict(e))
    t0 = time.perf_counter()
    for e in sample:
        ref.match_event(e)
    out["reference_match_eps"] = rate(len(sample), time.perf_counter() - t0)
    out["match_vs_reference"] = round(out["match_eps"] / max(out["reference_match_eps"], 1), 1)
    for k in ("parse_eps", "parse_stream_eps", "scan_cold_eps", "scan_warm_eps", "match_eps"):
        if out.get(k):
            out[k.removesuffix("_eps") + "_vs_ceiling"] = round(out[k] / out["orjson_ceiling_eps"], 3)
    if baseline:
        before = max(befores, key=lambda c: c["eps"] or 0)
        out["baseline_tree"], out["baseline_scan_cold_eps"] = baseline, before["eps"]
        out["baseline_scan_cold_eps_runs"] = [c["eps"] for c in befores]
        out["scan_cold_vs_baseline"] = round((cold["eps"] or 0) / max(before["eps"] or 1, 1), 2)
        warm_before = baseline_warm(Path(baseline), artifact, path)
        for k in ("scan_warm_eps", "match_eps"):
            if k in warm_before:
                out[f"baseline_{k}"] = warm_before[k]
                out[k.removesuffix("_eps") + "_vs_baseline"] = round(out[k] / max(warm_before[k], 1), 2)
        if "error" in warm_before:
            out["baseline_warm_error"] = warm_before["error"]
    prof = cli(ROOT, artifact, path, "--profile-rules", "20")
    out["top_rules"] = top_rules(prof["stderr"])
    if name == "attack":
        out["peak_rss_mb_all_sigmahq_rules"] = peak_rss_mb(ROOT, all_rules, path)
    return out


def main() -> None:
    try:
        os.sched_setaffinity(0, {int(CORE)})  # one core, as the goals are stated
    except (AttributeError, OSError):
        pass
    if not (DATA / "sigma" / "rules").is_dir():
        print(json.dumps({"bench": "sigma", "skipped": f"{DATA} is absent"}))
        return
    from bench import attack_corpus
    from detectors.sigma import SigmaEngine

    tmp = Path(tempfile.mkdtemp(prefix="bench-sigma-"))
    t0 = time.perf_counter()
    engine = SigmaEngine.from_paths([DATA / "sigma" / "rules" / "windows"])
    yaml_s = time.perf_counter() - t0
    artifact = tmp / "windows.rules.pickle"
    engine.save_artifact(artifact)
    t0 = time.perf_counter()
    SigmaEngine.from_artifact(artifact)
    art_s = time.perf_counter() - t0
    all_rules = tmp / "all.rules.pickle"
    everything = SigmaEngine.from_paths([DATA / "sigma" / "rules"])
    everything.save_artifact(all_rules)
    print(json.dumps({"bench": "sigma_rules", "windows_rules": engine.rules_loaded, "skipped": len(engine.skipped),
                      "yaml_load_s": round(yaml_s, 2), "artifact_load_s": round(art_s, 2),
                      "all_rules": everything.rules_loaded}), flush=True)
    del everything
    attack = tmp / "attack.jsonl"
    info = attack_corpus.write(DATA, attack, int(os.environ.get("BENCH_ATTACK_EVENTS", "100000")))
    result = bench_corpus("attack", attack, engine, artifact, all_rules)
    result["base_events"] = info["base_events"]
    print(json.dumps(result), flush=True)
    otrf = tmp / "otrf.jsonl"
    if otrf_file(otrf, int(os.environ.get("BENCH_EVENTS", "50000"))):
        print(json.dumps(bench_corpus("otrf", otrf, engine, artifact, all_rules)), flush=True)
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
