"""Long-window first-seen: values that appear for a known entity only late in the scanned range (a user
logging in from a new source, a new program on a host), judged over weeks instead of the stream's window.

The first ``learn_fraction`` of the range teaches what each entity normally has; values first seen after that, for
an entity already active while learning, are reported: one alert per entity listing them. An entity that showed
more than ``max_baseline`` values while learning (a user on DHCP addresses, a build host running anything) has no
stable habit to break and is left out, so the scan does not drown the team; so is a range shorter than two days
(too little habit to learn). Memory is bounded by ``max_pairs``.
"""
from __future__ import annotations

from typing import Any

from ..alerts import LEVEL_TO_SEVERITY, Alert, fingerprint

TERMS = [("user-new-source", "user.name", "source.ip"), ("host-new-process", "host.name", "process.executable")]
TITLES = {"user-new-source": "A user logged in from a source new over the scanned range",
          "host-new-process": "A host ran a program new over the scanned range"}
MIN_SPAN_S = 2 * 86400  # learning from less than a day of habit would call every Monday morning new


class LongFirstSeen:
    id = "ci-deepscan-first-seen"
    attack = ["initial-access", "T1078"]

    def __init__(self, learn_fraction: float = 0.5, max_pairs: int = 1_000_000, max_baseline: int = 5,
                 min_span_s: float = MIN_SPAN_S) -> None:
        self.learn_fraction, self.max_pairs, self.max_baseline = learn_fraction, max_pairs, max_baseline
        self.min_span_s = min_span_s
        self.first: dict[tuple[str, str, str], float] = {}
        self.entity_first: dict[tuple[str, str], float] = {}
        self.devices: dict[tuple[str, str, str], Any] = {}
        self.lo, self.hi = float("inf"), float("-inf")

    def observe(self, event: dict[str, Any]) -> None:
        ts = float(event.get("_ts") or 0)
        self.lo, self.hi = min(self.lo, ts), max(self.hi, ts)
        for name, ent_field, val_field in TERMS:
            ent, val = event.get(ent_field), event.get(val_field)
            if not ent or not val:
                continue
            ekey = (name, str(ent))
            if ekey not in self.entity_first or ts < self.entity_first[ekey]:
                self.entity_first[ekey] = ts
            key = (name, str(ent), str(val))
            prev = self.first.get(key)
            if prev is None:
                if len(self.first) >= self.max_pairs:
                    continue
                self.first[key] = ts
                self.devices[key] = event.get("_device")
            elif ts < prev:
                self.first[key] = ts

    def merge(self, other: "LongFirstSeen") -> None:
        """Fold in another worker's first sightings: the earliest time wins."""
        self.lo, self.hi = min(self.lo, other.lo), max(self.hi, other.hi)
        for key, ts in other.entity_first.items():
            if ts < self.entity_first.get(key, float("inf")):
                self.entity_first[key] = ts
        for key, ts in other.first.items():
            prev = self.first.get(key)
            if prev is None and len(self.first) >= self.max_pairs:
                continue
            if prev is None or ts < prev:
                self.first[key] = ts
                self.devices[key] = other.devices.get(key)

    def results(self) -> list[Alert]:
        if self.hi - self.lo < self.min_span_s:
            return []
        cutoff = self.lo + (self.hi - self.lo) * self.learn_fraction
        known: dict[tuple[str, str], int] = {}
        late: dict[tuple[str, str], list[tuple[float, str]]] = {}
        for (name, ent, val), ts in self.first.items():
            if ts <= cutoff:
                known[(name, ent)] = known.get((name, ent), 0) + 1
            else:
                late.setdefault((name, ent), []).append((ts, val))
        out = []
        for (name, ent), found in sorted(late.items()):
            if self.entity_first.get((name, ent), cutoff + 1) > cutoff or known.get((name, ent), 0) > self.max_baseline:
                continue  # the entity itself is new (nothing to compare with), or it has no stable habit
            found.sort()
            ent_field, val_field = next((e, v) for n, e, v in TERMS if n == name)
            values = [v for _, v in found]
            days = (found[0][0] - self.lo) / 86400
            out.append(Alert(
                rule_id=f"{self.id}-{name}", title=TITLES[name],
                severity=LEVEL_TO_SEVERITY["low"], first_seen=found[0][0], last_seen=found[-1][0],
                entity={ent_field: ent}, attack=list(self.attack), count=len(values),
                device=self.devices.get((name, ent, values[0])), origin="deep scan",
                explanation={"summary": f"{ent_field} {ent}: {len(values)} new {val_field} value(s), the first "
                                        f"({values[0]}) {days:.1f} days into the range, after a learning period of "
                                        f"{self.learn_fraction:.0%} with {known.get((name, ent), 0)} known value(s)",
                             "observed": values[:20], "baseline": known.get((name, ent), 0),
                             "threshold": {"learn_fraction": self.learn_fraction, "max_baseline": self.max_baseline}},
                fingerprint=fingerprint(f"{self.id}-{name}", {ent_field: ent, "first": values[0]}, 0)))
        return out
