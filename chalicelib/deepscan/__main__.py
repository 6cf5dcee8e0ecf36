"""The batch analyzer's entry point (the container runs it).

``--scan-id N``: run scan N as recorded in the database (what the app launches). ``--from … --to …``: a
standalone scan of the archive that writes its findings and figures as JSON and stores nothing. Either way the
work is spread over the cores and a progress bar shows on a terminal.
"""
from __future__ import annotations

import argparse
import json
import logging
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


def _standalone(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not (args.start and args.end):
        p.error("give --scan-id, or both --from and --to")
    if args.end < args.start:
        p.error("--to is before --from")
    spec: dict = {"rule_paths": args.rules or None}
    if args.indicators:
        try:
            spec["indicators"] = json.loads(Path(args.indicators).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            p.error(f"cannot read indicators {args.indicators}: {exc}")
    from . import parallel
    from .archive_reader import list_objects
    from .job import bar, figures

    try:
        parallel.scanner_factory(spec)  # bad rules or indicators: say so before listing the archive
    except ValueError as exc:
        p.error(str(exc))
    started = time.time()
    out = parallel.run(spec, args.start, args.end, list_objects(args.start, args.end), args.workers, bar(started))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    report = {"range": {"from": args.start.isoformat(), "to": args.end.isoformat()},
              **figures(out, time.time() - started), "findings": [a.to_dict() for a in out["alerts"]]}
    text = json.dumps(report, ensure_ascii=False, default=str, indent=1)
    if args.output == "-":
        print(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    print(f"{len(report['findings'])} findings in {report['events']:,} events from {report['objects']} objects "
          f"({len(out['corrupt'])} corrupt) in {report['seconds']:.1f} s", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chalicelib.deepscan", description=__doc__.splitlines()[0])
    p.add_argument("--scan-id", type=int, help="run this recorded scan (what the app launches)")
    p.add_argument("--from", dest="start", type=_when, help="standalone: start of the range (ISO 8601, UTC)")
    p.add_argument("--to", dest="end", type=_when, help="standalone: end of the range (ISO 8601, UTC)")
    p.add_argument("--rules", action="append", help="standalone: Sigma rules instead of the deployed pack (repeatable)")
    p.add_argument("--indicators", help='standalone: JSON file {"ips": [...], "domains": [...], "hashes": [...], '
                                        '"users": [...]}')
    p.add_argument("--output", default="-", help="standalone: where to write the JSON report (default stdout)")
    p.add_argument("--workers", type=int, default=0, help="processes to use (default: one per core)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.scan_id is None:
        return _standalone(p, args)
    from .job import run

    return run(args.scan_id, args.workers)


if __name__ == "__main__":
    sys.exit(main())
