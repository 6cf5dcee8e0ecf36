"""The batch analyzer's entry point: ``python -m chalicelib.deepscan --from … --to …`` (the container runs it).

Scans the archive for a range with today's rules (or ``--rules``), optional indicators, beaconing and
long-window first-seen; shows a progress bar on a terminal; writes the findings and figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path


def _when(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}")
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chalicelib.deepscan", description=__doc__.splitlines()[0])
    p.add_argument("--from", dest="start", type=_when, required=True, help="start of the range (ISO 8601, UTC)")
    p.add_argument("--to", dest="end", type=_when, required=True, help="end of the range (ISO 8601, UTC)")
    p.add_argument("--rules", action="append", help="Sigma rules to use instead of the deployed pack (repeatable)")
    p.add_argument("--indicators", help='JSON file: {"ips": [...], "domains": [...], "hashes": [...], "users": [...]}')
    p.add_argument("--output", default="-", help="where to write the JSON report (default stdout)")
    args = p.parse_args(argv)
    if args.end < args.start:
        p.error("--to is before --from")
    indicators = None
    if args.indicators:
        try:
            indicators = json.loads(Path(args.indicators).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            p.error(f"cannot read indicators {args.indicators}: {exc}")

    from detectors.deepscan import ArchiveScan
    from detectors.pipeline import Detector

    from .archive_reader import scan_range

    try:
        scanner = ArchiveScan(detector=Detector(rule_paths=args.rules) if args.rules else None, indicators=indicators)
    except ValueError as exc:
        p.error(str(exc))
    started, tty = time.time(), sys.stderr.isatty()

    def progress(st: dict) -> None:
        if tty:
            done, total = st["objects_done"], max(1, st["objects_total"])
            bar = "#" * int(30 * done / total)
            sys.stderr.write(f"\r[{bar:<30}] {done}/{total} objects, {st['events']:,} events, "
                             f"{st['bytes_done'] / 1e6:.1f} MB, {time.time() - started:.0f} s")
            sys.stderr.flush()

    out = scan_range(args.start, args.end, scanner, progress=progress)
    if tty:
        sys.stderr.write("\n")
    secs = time.time() - started
    report = {"range": {"from": args.start.isoformat(), "to": args.end.isoformat()}, "seconds": round(secs, 2),
              "objects": out["objects_total"], "bytes": out["bytes_total"], "records": out["records"],
              "duplicates": out["duplicates"], "events": out["events"], "parse_errors": out["parse_errors"],
              "corrupt_objects": out["corrupt"], "events_per_second": int(out["events"] / max(secs, 1e-9)),
              "findings": [a.to_dict() for a in out["alerts"]]}
    text = json.dumps(report, ensure_ascii=False, default=str, indent=1)
    if args.output == "-":
        print(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    print(f"{len(report['findings'])} findings in {report['events']:,} events from {report['objects']} objects "
          f"({len(out['corrupt'])} corrupt) in {secs:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
