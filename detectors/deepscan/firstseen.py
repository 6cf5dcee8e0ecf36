"""Long-window first-seen: values that appear for a known entity only late in the scanned range (a user
logging in from a new source, a new program on a host), judged over weeks instead of the stream's window.

The first ``learn_fraction`` of the range teaches what each entity normally has; a value first seen after that,
for an entity already active while learning, is reported. Memory is bounded by ``max_pairs``.
"""
from __future__ import annotations

from typing import Any

from ..alerts import LEVEL_TO_SEVERITY, Alert, fingerprint

TERMS = [("user-new-source", "user.name", "source.ip"), ("host-new-process", "host.name", "process.executable")]


class LongFirstSeen:
    id = "ci-deepscan-first-seen"
    attack = ["initial-access", "T1078"]

    def __init__(self, learn_fraction: float = 0.5, max_pairs: int = 1_000_000) -> None:
        self.learn_fraction, self.max_pairs = learn_fraction, max_pairs
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
        if self.hi <= self.lo:
            return []
        cutoff = self.lo + (self.hi - self.lo) * self.learn_fraction
        out = []
        for (name, ent, val), ts in sorted(self.first.items()):
            if ts <= cutoff or self.entity_first.get((name, ent), ts) > cutoff:
                continue  # seen while learning, or the entity itself is new (nothing to compare with)
            ent_field, val_field = next((e, v) for n, e, v in TERMS if n == name)
            entity = {ent_field: ent, val_field: val}
            days = (ts - self.lo) / 86400
            out.append(Alert(
                rule_id=f"{self.id}-{name}", title=f"First seen over the scanned range: {name}",
                severity=LEVEL_TO_SEVERITY["low"], first_seen=ts, last_seen=ts, entity=entity,
                attack=list(self.attack), device=self.devices.get((name, ent, val)), origin="deep scan",
                explanation={"summary": f"{val_field} {val} first appeared for {ent_field} {ent} {days:.1f} days into "
                                        f"the range, after a learning period of {self.learn_fraction:.0%}",
                             "observed": val, "baseline": "not seen while learning",
                             "threshold": {"learn_fraction": self.learn_fraction}},
                fingerprint=fingerprint(f"{self.id}-{name}", entity, 0)))
        return out
