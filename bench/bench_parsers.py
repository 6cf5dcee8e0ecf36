"""Parse throughput per log format on real public samples, against the orjson-only ceiling of the same run.

Corpus: ../shared/data/real/<format>/ (skipped when absent), read at run time, never copied (the licences forbid it).
A folder's records are repeated (or cut) to about BENCH_PARSE_EVENTS; header lines (Zeek/W3C ``#…``, VPC ``version``)
are fed once per file, before the repeated data lines, to ``Stream().line``; multi-line JSON documents go through
``reader.read_bytes(data, Stream())``. Rates are input records/s (a CloudTrail ``Records`` array counts its records),
best of BENCH_PARSE_REPEAT (3) passes, none started after BENCH_PARSE_BUDGET_S (1.5 s). ``errors``, ``events`` and
``kinds`` (parsers that made the events): of one pass over the distinct records. Ceiling: ``orjson.loads`` of each JSON
record or document, else ``orjson.dumps(line)``; results are dropped as made, the parse's as the ceiling's.
Then the scan CLI over the OTRF Windows recordings with the SigmaHQ Windows rules, with and without anomaly detectors
(the fastest of BENCH_CLI_REPEAT (2) runs, events/s and alerts from the CLI's own summary on stderr).
``--baseline-tree DIR`` measures the same with ``PYTHONPATH=DIR`` (older code: ``parse_line`` per line,
``parse_json_documents`` per document file, as its reader did); where it made no event, ``baseline_events_per_s`` is
null and ``baseline_errors`` the figure. Where the older code failed on some records (or made nothing of them),
``same_records`` also times both on only the records the older code parsed, the same work for both.
``--profile FORMAT``: cProfile of ``Stream.line`` over that corpus.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CYBERINCIDENT_SHARED_DATA", ROOT.parent / "shared" / "data"))
REAL = DATA / "real"
N = int(os.environ.get("BENCH_PARSE_EVENTS", "20000"))
REPEAT = int(os.environ.get("BENCH_PARSE_REPEAT", "3"))
BUDGET = float(os.environ.get("BENCH_PARSE_BUDGET_S", "1.5"))
CLI_REPEAT = int(os.environ.get("BENCH_CLI_REPEAT", "2"))
OTRF = DATA / "otrf" / "datasets" / "atomic" / "windows"
RULES = DATA / "sigma" / "rules" / "windows"


def records_in(value) -> int:
    if isinstance(value, list):
        return len(value)
    return len(value["Records"]) if isinstance(value, dict) and isinstance(value.get("Records"), list) else 1


class File:
    """One input of a corpus: header lines and data lines, or JSON documents (``docs``), with their records."""

    def __init__(self, text: str) -> None:
        self.headers, self.data, self.docs = [], [], None
        lines = [ln for ln in text.split("\n") if ln.strip()]
        values, broken = [], False
        for i, ln in enumerate(lines):
            value = None
            if ln.lstrip()[:1] in ("{", "["):
                try:
                    value = orjson.loads(ln)
                except orjson.JSONDecodeError:
                    broken = True
            if ln.startswith("#") or (i == 0 and ln.startswith("version ")):
                self.headers.append(ln)
            else:
                self.data.append(ln)
                values.append(value)
        docs, counts, dec, pos = [], [], json.JSONDecoder(), 0
        while broken and (pos := len(text) - len(text[pos:].lstrip())) < len(text):  # JSON documents spanning lines?
            try:
                value, end = dec.raw_decode(text, pos)
            except ValueError:  # no: lines of another format that start with a bracket
                docs = []
                break
            docs.append(text[pos:end])
            counts.append(records_in(value))
            pos = end
        if docs:
            self.docs, self.counts, self.json, self.data = docs, counts, True, []
        else:
            self.json = bool(values) and all(v is not None for v in values)
            self.counts = [records_in(v) if self.json else 1 for v in values]

    def lines(self, k: int) -> list[str]:
        return self.headers + self.data * k

    def doc(self, k: int) -> str:
        return ("\n".join(self.docs) + "\n") * k


def corpus(folder: Path) -> tuple[list[File], int, int]:
    """The folder's files, the distinct record count and the repeat factor."""
    files = []
    for p in sorted(folder.iterdir()):
        raw = p.read_bytes() if p.is_file() and not p.name.startswith(".") else b""
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        if raw and not raw.startswith(b"ElfFile\x00"):  # binary EVTX is neither lines nor JSON
            files.append(File(raw.decode("utf-8", "replace").removeprefix("\ufeff")))
    distinct = sum(sum(f.counts) for f in files)
    if distinct > N:  # a big folder: the first share of each line file's data lines
        for f in files:
            keep = math.ceil(len(f.data) * N / distinct) if f.docs is None else len(f.counts)
            f.data, f.counts = f.data[:keep], f.counts[:keep]
        distinct = sum(sum(f.counts) for f in files)
    return files, distinct, max(1, round(N / max(distinct, 1)))


def parsers(tree: str):
    """How the importable ``detectors`` reads a line file and a JSON document file: (prepare, items) pairs."""
    from detectors import parsers as p

    if not p.__file__.startswith(tree):
        raise RuntimeError(f"detectors imported from {p.__file__}, not from {tree}")
    if hasattr(p, "Stream"):
        from detectors.reader import read_bytes

        def lines(ls):
            line = p.Stream().line
            for ln in ls:
                yield from line(ln)
        return (lambda f, k: f.lines(k), lines), (lambda f, k: f.doc(k).encode(), lambda b: read_bytes(b, p.Stream()))

    def old_lines(ls):
        for ln in ls:
            yield from p.parse_line(ln)
    return (lambda f, k: f.lines(k), old_lines), (lambda f, k: f.doc(k), p.parse_json_documents)


def best(fn) -> float:
    """The fastest of up to REPEAT passes, no more passes once they took BUDGET seconds (a slow format: one)."""
    times: list[float] = []
    while len(times) < REPEAT and sum(times) < BUDGET:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def ceiling(files: list[File], k: int) -> tuple[float, str]:
    work = [(orjson.loads, [d.encode() for d in f.docs] * k) if f.docs is not None else
            (orjson.loads if f.json else orjson.dumps, f.data * k) for f in files]
    secs = best(lambda: [deque(map(fn, xs), maxlen=0) for fn, xs in work])  # results dropped, as the parse's are
    kinds = {"orjson.loads" if fn is orjson.loads else "orjson.dumps(line)" for fn, _ in work}
    return secs, kinds.pop() if len(kinds) == 1 else "mixed: orjson.loads of JSON lines, orjson.dumps(line) of others"


def parsed_records(files: list[File], how: list) -> list[list[bool]]:
    """Per file, per data line (or document): whether this code made events of it and nothing else."""
    out = []
    for f, (prep, parse) in zip(files, how):
        if f.docs is not None:
            items = list(parse(prep(f, 1)))
            out.append([bool(items) and all(isinstance(x, dict) for x in items)] * len(f.docs))
            continue
        flags = []
        for ln in f.data:
            items = [x for x in parse([*f.headers, ln]) if type(x).__name__ != "Skipped"]
            flags.append(bool(items) and all(isinstance(x, dict) for x in items))
        out.append(flags)
    return out


def restrict(files: list[File], keep: list[list[bool]]) -> tuple[list[File], int, int]:
    """Only the records the baseline parsed, repeated to about N again."""
    kept = []
    for f, flags in zip(files, keep):
        if f.docs is not None:
            if all(flags):
                kept.append(f)
            continue
        f.data = [d for d, ok in zip(f.data, flags) if ok]
        f.counts = [c for c, ok in zip(f.counts, flags) if ok]
        if f.data:
            kept.append(f)
    distinct = sum(sum(f.counts) for f in kept)
    return kept, distinct, max(1, round(N / max(distinct, 1)))


def measure(folder: str, with_ceiling: bool) -> dict:
    """One format with the importable code (a worker subprocess); the ceiling too when asked. With
    BENCH_KEEP_OUT, also writes which records this code parsed; with BENCH_KEEP_IN, measures only those."""
    files, distinct, k = corpus(REAL / folder)
    if not files:
        return {"skipped": "no line or JSON file (binary EVTX)"}
    by_kind = parsers(os.environ["PYTHONPATH"])
    how = [by_kind[f.docs is not None] for f in files]
    if os.environ.get("BENCH_KEEP_OUT"):
        Path(os.environ["BENCH_KEEP_OUT"]).write_text(json.dumps(parsed_records(files, how)))
    if os.environ.get("BENCH_KEEP_IN"):
        keep = json.loads(Path(os.environ["BENCH_KEEP_IN"]).read_text())
        files, distinct, k = restrict(files, keep)
        if not files:
            return {"events_per_s": None, "records": 0}
        how = [by_kind[f.docs is not None] for f in files]
    events = errors = 0
    kinds: Counter = Counter()
    for f, (prep, parse) in zip(files, how):  # one untimed pass over the distinct records: accounting, warm caches
        for x in parse(prep(f, 1)):
            if isinstance(x, dict):
                events += 1
                kinds[x.get("_format")] += 1
            elif type(x).__name__ == "ParseError":
                errors += 1
    prepared = [(parse, prep(f, k)) for f, (prep, parse) in zip(files, how)]
    rate = int(distinct * k / best(lambda: [deque(parse(data), maxlen=0) for parse, data in prepared]))
    out = {"corpus": f"{folder} ({len(files)} files, {distinct} distinct records)", "records": distinct * k,
           "events_per_s": rate}
    if with_ceiling:
        secs, label = ceiling(files, k)
        top = int(distinct * k / secs)
        out.update(ceiling_events_per_s=top, ceiling=label, ratio=round(rate / top, 3))
    return {**out, "errors": errors, "events": events, "kinds": dict(kinds.most_common(4))}


def worker(tree: Path, folder: str, with_ceiling: bool, **env_extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), **env_extra}
    r = subprocess.run([sys.executable, __file__, "--worker", folder, *(["--ceiling"] if with_ceiling else [])],
                       env=env, cwd=tree, capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise RuntimeError(f"worker {folder} in {tree}: {r.stderr[-2000:]}")
    return json.loads(r.stdout.splitlines()[-1])


def scan_cli(tree: Path, anomaly: bool) -> dict:
    """``python -m detectors scan`` of that tree, its figures read from its summary on stderr (old and new forms)."""
    cmd = [sys.executable, "-m", "detectors", "scan", "--rules", str(RULES), "--input",
           *map(str, sorted(OTRF.rglob("*.zip"))), "--output", os.devnull, "--quiet"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd + ([] if anomaly else ["--no-anomaly"]), cwd=tree, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(tree)}, timeout=600)
    wall, err = time.perf_counter() - t0, r.stderr
    m = re.search(r"(\d+) alerts in ([\d.]+) s \(([\d,]+) events/s\)", err)
    if not m:
        raise RuntimeError(f"scan in {tree} exited {r.returncode}: {err[-2000:]}")
    ev = re.search(r"([\d,]+) events, ", err) or re.search(r"[\d,]+ +([\d,]+) +[\d,]+ +[\d,]+  total:", err)
    return {"events_per_s": int(m[3].replace(",", "")), "alerts": int(m[1]), "scan_s": float(m[2]),
            "wall_s": round(wall, 1), "events": int(ev[1].replace(",", "")) if ev else None,
            "rules": int(re.search(r"rules: (\d+)", err)[1]), "exit": r.returncode}


def vs(now: dict, base: dict | None) -> dict:
    if base is None:
        return {}
    rate = base["events_per_s"] if base["events"] else None  # no event at all: the errors are the figure
    return {"baseline_events_per_s": rate, "vs_baseline": round(now["events_per_s"] / rate, 2) if rate else None,
            "baseline_errors": base.get("errors"), **({"baseline_kinds": base["kinds"]} if "kinds" in base else {})}


def profile(folder: str) -> None:
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from detectors.parsers import Stream

    files, _, k = corpus(REAL / folder)
    prof = cProfile.Profile()
    for f in files:
        line, ls = Stream().line, f.lines(k)
        prof.runcall(lambda: [line(ln) for ln in ls])
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline-tree", type=Path, help="a worktree of the code to compare with")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--ceiling", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--profile", metavar="FORMAT", help="cProfile Stream.line over that format's corpus")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.ceiling)))
        return
    if args.profile:
        return profile(args.profile)
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core; the subprocesses inherit it
    except (AttributeError, OSError):
        pass
    if not REAL.is_dir():
        print(json.dumps({"bench": "parse", "skipped": f"{REAL} is absent"}))
        return
    base = args.baseline_tree.resolve() if args.baseline_tree else None
    for folder in sorted(p.name for p in REAL.iterdir() if p.is_dir() and p.name != "LICENSES"):
        now = worker(ROOT, folder, True)
        same = {}
        if base and "skipped" not in now:
            keep = Path(tempfile.mkdtemp()) / "keep.json"
            old = worker(base, folder, False, BENCH_KEEP_OUT=str(keep))
            flags = json.loads(keep.read_text())
            if old["events"] and not all(all(f) for f in flags):  # where the old code failed on some records
                mine = worker(ROOT, folder, False, BENCH_KEEP_IN=str(keep))
                theirs = worker(base, folder, False, BENCH_KEEP_IN=str(keep))
                if mine.get("events_per_s") and theirs.get("events_per_s"):
                    same = {"same_records": {
                        "records": sum(map(sum, flags)), "events_per_s": mine["events_per_s"],
                        "baseline_events_per_s": theirs["events_per_s"],
                        "vs_baseline": round(mine["events_per_s"] / theirs["events_per_s"], 2)}}
            shutil.rmtree(keep.parent, ignore_errors=True)
        else:
            old = None
        print(json.dumps({"bench": "parse", "format": folder, **now, **vs(now, old), **same}), flush=True)
    if not (OTRF.is_dir() and RULES.is_dir()):
        print(json.dumps({"bench": "scan_cli", "skipped": f"{OTRF} or {RULES} is absent"}))
        return
    fastest = lambda tree, anomaly: max((scan_cli(tree, anomaly) for _ in range(CLI_REPEAT)),  # noqa: E731
                                        key=lambda r: r["events_per_s"])
    old = fastest(base, True) if base else None  # the old scan runs Sigma only (and has no --no-anomaly)
    for anomaly in (True, False):
        now = fastest(ROOT, anomaly)
        print(json.dumps({"bench": "scan_cli", "mode": "Sigma + anomaly detectors" if anomaly else "Sigma only",
                          "corpus": f"OTRF atomic Windows recordings ({len(list(OTRF.rglob('*.zip')))} zips, "
                                    f"{now['events']} events, every one through {now['rules']} SigmaHQ Windows "
                                    "rules); events/s from the CLI's summary line", **now,
                          **({"baseline_events_per_s": old["events_per_s"], "baseline_alerts": old["alerts"],
                              "vs_baseline": round(now["events_per_s"] / old["events_per_s"], 2),
                              "baseline_mode": "Sigma only"} if old else {})}), flush=True)


if __name__ == "__main__":
    main()
