"""``python -m detectors scan``: run Sigma rules over log files and write one alert per line as JSON."""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from .alerts import merge_into
from .parsers import FORMATS, ParseError
from .reader import input_files, read_events


def _progress(done_files: int, total_files: int, events: int, started: float) -> None:
    rate = events / max(time.perf_counter() - started, 1e-6)
    sys.stderr.write(f"\r[{done_files}/{total_files} files] {events:,} events · {rate:,.0f} events/s ")
    sys.stderr.flush()


def scan(args: argparse.Namespace) -> int:
    from .sigma import SigmaEngine

    t0 = time.perf_counter()
    try:
        if len(args.rules) == 1 and str(args.rules[0]).endswith(ARTIFACT_SUFFIX):
            engine = SigmaEngine.from_artifact(args.rules[0])
        else:
            engine = SigmaEngine.from_paths(args.rules)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    load_s = time.perf_counter() - t0
    print(f"rules: {engine.rules_loaded} loaded, {len(engine.correlations)} correlations, {len(engine.skipped)} skipped "
          f"({load_s:.1f} s)", file=sys.stderr)
    from .state import MemoryStateStore

    state = MemoryStateStore()
    for path, reason in engine.skipped[: args.show_skipped]:
        print(f"  skipped {path}: {reason}", file=sys.stderr)
    files = input_files(args.input)
    tty = sys.stderr.isatty() and not args.quiet
    events = errors = unreadable = 0
    merged: dict = {}
    started = time.perf_counter()
    for n, path in enumerate(files, 1):
        try:
            for ev in read_events(path, args.format):
                if isinstance(ev, ParseError):
                    errors += 1
                    continue
                events += 1
                for alert in engine.match(ev, state):
                    alert.origin = "cli"
                    merge_into(merged, alert)  # type: ignore[arg-type]
                if tty and events % 5000 == 0:
                    _progress(n - 1, len(files), events, started)
        except (OSError, EOFError, ValueError) as exc:
            unreadable += 1
            print(f"\nerror: cannot read {path}: {exc}", file=sys.stderr)
    if tty:
        _progress(len(files), len(files), events, started)
        sys.stderr.write("\n")
    with (contextlib.nullcontext(sys.stdout.buffer) if args.output == "-" else open(args.output, "wb")) as out:
        for alert in merged.values():
            out.write(orjson.dumps(alert.to_dict()) + b"\n")  # type: ignore[attr-defined]
    secs = time.perf_counter() - started
    by_rule = Counter((a.title, a.severity) for a in merged.values())  # type: ignore[attr-defined]
    print(f"\n{len(files)} files ({unreadable} unreadable), {events:,} events, {errors:,} parse errors, "
          f"{len(merged)} alerts in {secs:.1f} s ({events / max(secs, 1e-6):,.0f} events/s)", file=sys.stderr)
    if by_rule:
        print(f"{'alerts':>6}  {'severity':<8}  rule", file=sys.stderr)
        for (title, sev), count in by_rule.most_common(25):
            print(f"{count:>6}  {sev:<8}  {title}", file=sys.stderr)
    return 1 if unreadable and not events else 0


ARTIFACT_SUFFIX = ".rules.pickle"


def compile_rules(args: argparse.Namespace) -> int:
    """Build the compiled-rules artifact ahead of time (``make package`` does this for the Lambda)."""
    from .sigma import SigmaEngine

    if not args.output.endswith(ARTIFACT_SUFFIX):
        print(f"error: the output name must end with {ARTIFACT_SUFFIX}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        engine = SigmaEngine.from_paths(args.rules)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    info = engine.save_artifact(args.output, [str(r) for r in args.rules])
    print(f"{info['rules']} rules, {len(engine.correlations)} correlations, {len(engine.skipped)} skipped -> "
          f"{args.output} ({info['bytes'] / 1e6:.1f} MB, sha256 {info['sha256'][:16]}…) in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for path, reason in engine.skipped[: args.show_skipped]:
        print(f"  skipped {path}: {reason}", file=sys.stderr)
    return 0


def run_tests(args: argparse.Namespace) -> int:
    from .rule_tests import RULES_DIR, run_anomaly_tests, run_rule_tests

    results = run_rule_tests(Path(args.rules_dir) if args.rules_dir else RULES_DIR)
    if not args.rules_dir:
        results += run_anomaly_tests()
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.rule}  ({r.positives} positive, {r.negatives} negative)")
        for problem in r.problems:
            print(f"      {problem}")
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed or not results else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m detectors")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scan", help="scan log files with Sigma rules")
    s.add_argument("--rules", nargs="+", required=True,
                   help=f"Sigma rule files or folders (a SigmaHQ checkout), or one compiled *{ARTIFACT_SUFFIX}")
    s.add_argument("--input", nargs="+", required=True, help="log files or folders (.gz and .zip accepted)")
    s.add_argument("--output", default="-", help="alerts as JSON lines (default: stdout)")
    s.add_argument("--format", choices=FORMATS, default="auto")
    s.add_argument("--show-skipped", type=int, default=0, metavar="N", help="list the first N skipped rules")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    c = sub.add_parser("compile", help="compile Sigma rules into an artifact that loads without YAML or pySigma")
    c.add_argument("--rules", nargs="+", required=True)
    c.add_argument("--output", required=True, help=f"artifact file, named *{ARTIFACT_SUFFIX}")
    c.add_argument("--show-skipped", type=int, default=0, metavar="N")
    t = sub.add_parser("test", help="run the rule pack's positive and negative test events")
    t.add_argument("--rules-dir", default=None, help="rule pack folder (default: detectors/rules/sigma)")
    args = p.parse_args(argv)
    if args.command == "test":
        return run_tests(args)
    if args.command == "compile":
        return compile_rules(args)
    if args.command == "scan":
        for path in args.input:
            if not Path(path).exists():
                p.error(f"input not found: {path}")
        return scan(args)
    return 2
