"""Beaconing: a source that contacts a destination at regular intervals (malware calling home).

Per (source, destination[:port]) pair the event times are kept (bounded); a pair is a beacon when it has at
least ``min_count`` contacts, a median interval within [``min_interval_s``, ``max_interval_s``], and at least
``regular_fraction`` of its intervals within ±``jitter`` of that median — so jittered beacons still count, while
human or Poisson-like traffic (whose intervals scatter widely) does not.
"""
from __future__ import annotations

import statistics
from typing import Any

from ..alerts import LEVEL_TO_SEVERITY, Alert, fingerprint

MAX_TIMES = 5000


class Beaconing:
    id = "ci-deepscan-beaconing"
    title = "Beaconing: regular connections to one destination"
    attack = ["command-and-control", "T1071"]

    def __init__(self, min_count: int = 10, jitter: float = 0.25, regular_fraction: float = 0.8,
                 min_interval_s: float = 5.0, max_interval_s: float = 86400.0) -> None:
        self.min_count, self.jitter, self.regular_fraction = min_count, jitter, regular_fraction
        self.min_interval_s, self.max_interval_s = min_interval_s, max_interval_s
        self.pairs: dict[tuple[str, str], list[float]] = {}
        self.devices: dict[tuple[str, str], Any] = {}

    def observe(self, event: dict[str, Any]) -> None:
        src, dst = event.get("source.ip"), event.get("destination.ip") or event.get("destination.domain")
        if not src or not dst:
            return
        port = event.get("destination.port")
        key = (str(src), f"{dst}:{port}" if port is not None else str(dst))
        times = self.pairs.setdefault(key, [])
        if len(times) < MAX_TIMES:
            times.append(float(event.get("_ts") or 0))
            self.devices.setdefault(key, event.get("_device"))

    def merge(self, other: "Beaconing") -> None:
        """Fold in another worker's observations (a pair may span shards)."""
        for key, times in other.pairs.items():
            mine = self.pairs.setdefault(key, [])
            mine += times[: MAX_TIMES - len(mine)]
            self.devices.setdefault(key, other.devices.get(key))

    def judge(self, times: list[float]) -> dict[str, Any] | None:
        if len(times) < self.min_count:
            return None
        times = sorted(times)
        gaps = [b - a for a, b in zip(times, times[1:]) if b > a]
        if len(gaps) < self.min_count - 1:
            return None
        median = statistics.median(gaps)
        if not self.min_interval_s <= median <= self.max_interval_s:
            return None
        regular = sum(1 for g in gaps if abs(g - median) <= self.jitter * median) / len(gaps)
        if regular < self.regular_fraction:
            return None
        cv = statistics.pstdev(gaps) / median if median else 0.0
        return {"count": len(times), "median_interval_s": round(median, 1), "regular_fraction": round(regular, 3),
                "cv": round(cv, 3), "first": times[0], "last": times[-1]}

    def results(self) -> list[Alert]:
        out = []
        for (src, dst), times in sorted(self.pairs.items()):
            found = self.judge(times)
            if not found:
                continue
            entity = {"source.ip": src, "destination": dst}
            out.append(Alert(
                rule_id=self.id, title=self.title, severity=LEVEL_TO_SEVERITY["high"], first_seen=found["first"],
                last_seen=found["last"], entity=entity, attack=list(self.attack), count=found["count"],
                samples=[], device=self.devices.get((src, dst)), origin="deep scan",
                explanation={"summary": f"{src} contacted {dst} {found['count']} times about every "
                                        f"{found['median_interval_s']} s ({found['regular_fraction']:.0%} of intervals "
                                        f"within ±{self.jitter:.0%} of the median)",
                             "observed": found, "baseline": None,
                             "threshold": {"min_count": self.min_count, "jitter": self.jitter,
                                           "regular_fraction": self.regular_fraction}},
                fingerprint=fingerprint(self.id, entity, int(found["first"] // 86400))))
        return out
