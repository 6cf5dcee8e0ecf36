"""Per-rule cost of a scan (``detectors scan --profile-rules N``): which rules a rule writer should make cheaper.

The engine's hot path stays untouched: ``RuleProfile.attach`` replaces the engine's ``match_event`` with a timed
copy for the life of the scan.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TextIO

from .engine import drop_caches


@dataclass
class RuleCost:
    rule: Any
    seconds: float = 0.0
    evaluations: int = 0
    matches: int = 0


class RuleProfile:
    def __init__(self) -> None:
        self.costs: dict[int, RuleCost] = {}
        self.events = 0
        self.prefilter_s = 0.0

    def attach(self, engine: Any) -> None:
        clock, costs = time.perf_counter, self.costs

        def match_event(event: dict) -> list:
            t0 = clock()
            candidates = engine.route(event.get("_logsource") or {}).candidates(event)
            t1 = clock()
            self.events += 1
            self.prefilter_s += t1 - t0
            out = []
            for r in candidates:
                if r.matchers is None:  # compiled on first use: that one-off cost is not the rule's running cost
                    r.matches(event)
                t = clock()
                hit = r.matches(event)
                c = costs.get(id(r))
                if c is None:
                    c = costs[id(r)] = RuleCost(r)
                c.seconds += clock() - t
                c.evaluations += 1
                if hit:
                    c.matches += 1
                    out.append(r)
            drop_caches(event)
            return out

        engine.match_event = match_event

    def report(self, out: TextIO, top: int) -> None:
        total = sum(c.seconds for c in self.costs.values())
        n = max(self.events, 1)
        print(f"\nrule cost: {total:.2f} s evaluating rules ({total / n * 1e6:,.1f} µs an event), "
              f"{self.prefilter_s:.2f} s choosing them (prefilter, {self.prefilter_s / n * 1e6:,.1f} µs an event, with each "
              f"log source's index built on its first event), "
              f"{sum(c.evaluations for c in self.costs.values()) / n:.1f} rules evaluated an event", file=out)
        print(f"{'share':>6} {'total ms':>9} {'µs/eval':>8} {'evals':>9} {'matches':>8}  rule", file=out)
        for c in sorted(self.costs.values(), key=lambda c: -c.seconds)[:top]:
            r = c.rule
            print(f"{c.seconds / max(total, 1e-12):>6.1%} {c.seconds * 1e3:>9.1f} "
                  f"{c.seconds / c.evaluations * 1e6:>8.2f} {c.evaluations:>9,} {c.matches:>8,}  {r.title} "
                  f"({r.id}{', no prefilter literal' if r.anchors is None else ''})", file=out)
