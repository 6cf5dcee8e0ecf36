"""The deep-scan loop: archived records (the pipeline's JSON lines) → today's rules and the range-wide analyses.

Records must arrive in archive order per shard (objects sorted by their first sequence number): a partial retry
archives some records twice, and a per-shard high-water mark drops them in constant memory. Findings are the
same :class:`~detectors.alerts.Alert` as the stream's, with origin ``deep scan``.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..alerts import Alert, merge_into
from ..parsers import ParseError, parse_record
from .beaconing import Beaconing
from .firstseen import LongFirstSeen
from .indicators import IndicatorSweep


class ArchiveScan:
    def __init__(self, detector: Any = None, indicators: dict[str, Iterable[str]] | None = None,
                 beaconing: Beaconing | None = None) -> None:
        if detector is None:
            from ..pipeline import Detector

            detector = Detector()
        self.detector = detector
        self.indicators = IndicatorSweep(indicators)
        self.beaconing = beaconing if beaconing is not None else Beaconing()
        self.first_seen = LongFirstSeen()
        self.high: dict[str, int] = {}
        self.merged: dict[str, Alert] = {}
        self.stats = {"records": 0, "duplicates": 0, "events": 0, "parse_errors": 0}
        self.errors: list[ParseError] = []

    def feed(self, records: Iterable[dict[str, Any]]) -> None:
        """One archive object's lines (or any run of them); call as often as needed, then :meth:`finish`."""
        events = []
        for rec in records:
            shard, seq = str(rec.get("shard") or ""), rec.get("seq")
            if seq is not None and str(seq).isdecimal():
                n = int(seq)
                if n <= self.high.get(shard, -1):
                    self.stats["duplicates"] += 1
                    continue
                self.high[shard] = n
            self.stats["records"] += 1
            for ev in parse_record(str(rec.get("data") or ""), device=rec.get("device"), received=rec.get("arrival")):
                if isinstance(ev, ParseError):
                    self.stats["parse_errors"] += 1
                    if len(self.errors) < 100:
                        self.errors.append(ev)
                    continue
                events.append(ev)
        self.stats["events"] += len(events)
        found, _ = self.detector.process(events)
        for ev in events:
            self.beaconing.observe(ev)
            self.first_seen.observe(ev)
            if self.indicators:
                self.indicators.observe(ev)
        for a in found:
            a.origin = "deep scan"
            merge_into(self.merged, a)

    def finish(self) -> dict[str, Any]:
        for a in self.beaconing.results() + self.indicators.results() + self.first_seen.results():
            merge_into(self.merged, a)
        return {"alerts": list(self.merged.values()), **self.stats}
