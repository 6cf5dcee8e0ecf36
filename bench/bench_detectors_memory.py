"""Peak memory of a streaming scan: every SigmaHQ rule loaded, every OTRF recording streamed through it.

Run in its own process so the figure is the engine's, not a benchmark corpus held in memory.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("CYBERINCIDENT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    if not (DATA / "sigma").is_dir():
        print(json.dumps({"bench": "detectors_memory", "skipped": f"{DATA} is absent"}))
        return
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from detectors.parsers import NotEvent
    from detectors.reader import read_events
    from detectors.sigma import SigmaEngine

    t0 = time.perf_counter()
    engine = SigmaEngine.from_paths([DATA / "sigma" / "rules"])
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = hits = 0
    for z in sorted((DATA / "otrf" / "datasets" / "atomic").rglob("*.zip")):
        for ev in read_events(z):
            if not isinstance(ev, NotEvent):
                n += 1
                hits += len(engine.match_event(ev))
    print(json.dumps({"bench": "detectors_memory", "rules_loaded": engine.rules_loaded, "events": n, "matches": hits,
                      "interpreter_rss_mb": round(baseline / 1024, 1), "after_load_rss_mb": round(loaded / 1024, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
