"""``python -m detectors``: scan log files with the stream's detection, compile rules, run the rule pack's tests."""
from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from .parsers import FORMATS, NotEvent
from .reader import InputStats, input_files


def _progress(done_files: int, total_files: int, events: int, started: float) -> None:
    rate = events / max(time.perf_counter() - started, 1e-6)
    sys.stderr.write(f"\r[{done_files}/{total_files} files] {events:,} events · {rate:,.0f} events/s ")
    sys.stderr.flush()


def _engine(args: argparse.Namespace):
    from .sigma import SigmaEngine

    if not args.rules:
        return SigmaEngine.deployed()
    if len(args.rules) == 1 and str(args.rules[0]).endswith(ARTIFACT_SUFFIX):
        return SigmaEngine.from_artifact(args.rules[0])
    return SigmaEngine.from_paths(args.rules)


def scan(args: argparse.Namespace) -> int:
    """Exit 0: every input read to its end and every record parsed; 1: an input unreadable, cut short or holding
    records that did not parse (the summary says which); 2: usage (bad arguments, rules that cannot load)."""
    from .pipeline import Detector
    from .reader import read_input

    t0 = time.perf_counter()
    try:
        engine = _engine(args)
        det = Detector(sigma=engine)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.reference:
        engine = det.sigma = engine.reference()
    profile = None
    if args.profile_rules:
        from .sigma.profile import RuleProfile

        profile = RuleProfile()
        profile.attach(engine)
    if args.no_anomaly:
        det.anomalies = []
    gc.freeze()  # the compiled rules live as long as the scan: the collector need not walk them again and again
    print(f"rules: {engine.rules_loaded} Sigma ({'deployed set' if not args.rules else 'given'}"
          f"{', reference evaluation' if args.reference else ''}), "
          f"{len(engine.correlations)} correlations, {len(engine.skipped)} skipped; anomaly detectors: "
          f"{', '.join(d.id.removeprefix('ci-anomaly-') for d in det.anomalies) or 'off'} "
          f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    for path, reason in engine.skipped[: args.show_skipped]:
        print(f"  skipped {path}: {reason}", file=sys.stderr)
    files = input_files(args.input)
    tty = sys.stderr.isatty() and not args.quiet
    merged: dict = {}
    inputs: dict[str, InputStats] = {}
    started, events = time.perf_counter(), 0
    detect_into = det.detect_into
    for n, path in enumerate(files, 1):
        last = None
        for stats, item in read_input(path, None if args.format == "auto" else args.format):
            if stats is not last:
                inputs[stats.name] = last = stats
            if item is None or isinstance(item, NotEvent):
                continue
            events += 1
            detect_into(item, merged, "cli")  # one at a time: the event is still in the cache the parser left it in
            if tty and not events % 2000:
                _progress(n - 1, len(files), events, started)
    if tty:
        _progress(len(files), len(files), events, started)
        sys.stderr.write("\n")
    with (contextlib.nullcontext(sys.stdout.buffer) if args.output == "-" else open(args.output, "wb")) as out:
        for alert in merged.values():
            out.write(orjson.dumps(alert.to_dict()) + b"\n")  # type: ignore[attr-defined]
    _summary(list(inputs.values()), merged, time.perf_counter() - started, args.show_errors)
    if profile is not None:
        profile.report(sys.stderr, args.profile_rules)
    return 0 if all(s.clean for s in inputs.values()) else 1


def _summary(inputs: list[InputStats], merged: dict, secs: float, show_errors: int) -> None:
    err = sys.stderr
    tot = InputStats("total")
    print(f"\n{'records':>9} {'events':>9} {'errors':>7} {'skipped':>8}  input", file=err)
    for s in inputs:
        skipped = sum(s.skipped.values())
        for k in ("records", "events", "errors"):
            setattr(tot, k, getattr(tot, k) + getattr(s, k))
        tot.skipped.update(s.skipped)
        note = f"  ({s.problem})" if s.problem else ""
        print(f"{s.records:>9,} {s.events:>9,} {s.errors:>7,} {skipped:>8,}  {s.name}{note}", file=err)
        for e in s.error_samples[:show_errors]:
            reason = " ".join(e.reason.split())  # a library's multi-line message stays on one line
            print(f"{'':>37}error: {reason[:200]}: {e.raw[:100]!r}", file=err)
    unreadable = sum(1 for s in inputs if s.problem)
    print(f"{tot.records:>9,} {tot.events:>9,} {tot.errors:>7,} {sum(tot.skipped.values()):>8,}  total: "
          f"{len(inputs)} inputs ({unreadable} unreadable or cut short)", file=err)
    for reason, count in tot.skipped.most_common(5):
        print(f"{'':>11}skipped {count:,}: {reason}", file=err)
    print(f"{len(merged)} alerts in {secs:.1f} s ({tot.events / max(secs, 1e-6):,.0f} events/s)", file=err)
    by_rule = Counter((a.title, a.severity) for a in merged.values())
    if by_rule:
        print(f"{'alerts':>6}  {'severity':<8}  rule", file=err)
        for (title, sev), count in by_rule.most_common(25):
            print(f"{count:>6}  {sev:<8}  {title}", file=err)


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
    s = sub.add_parser("scan", help="scan log files with the stream's detection (Sigma, correlations, anomalies)",
                       epilog="exit status: 0 clean; 1 an input was unreadable, cut short or had records that did "
                              "not parse; 2 usage")
    s.add_argument("--rules", nargs="+", default=None,
                   help=f"Sigma rule files or folders (a SigmaHQ checkout), or one compiled *{ARTIFACT_SUFFIX} "
                        "(default: the rules the deployed stream runs)")
    s.add_argument("--input", nargs="+", required=True, help="log files or folders (.gz and .zip accepted)")
    s.add_argument("--output", default="-", help="alerts as JSON lines (default: stdout)")
    s.add_argument("--format", choices=FORMATS, default="auto")
    s.add_argument("--no-anomaly", action="store_true", help="Sigma rules only: no anomaly detectors")
    s.add_argument("--show-skipped", type=int, default=0, metavar="N", help="list the first N skipped rules")
    s.add_argument("--show-errors", type=int, default=3, metavar="N", help="show N parse errors per input (3)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--profile-rules", type=int, default=0, metavar="N",
                   help="after the scan, list the N rules that cost the most time (and the prefilter's share)")
    s.add_argument("--reference", action="store_true",
                   help="plain evaluation: one test per value, every rule of a log source tried (slow; the fast "
                        "engine must give the same alerts)")
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
                s.error(f"input not found: {path}")
        return scan(args)
    return 2
