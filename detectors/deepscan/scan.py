"""The deep-scan loop: archived records (the pipeline's JSON lines) → today's rules and the range-wide analyses.

Records must arrive in archive order per shard (objects sorted by their first sequence number): a partial retry
archives some records twice, and a per-shard high-water mark drops them in constant memory. Findings are the
same :class:`~detectors.alerts.Alert` as the stream's, with origin ``deep scan``.

Several workers may each scan whole shards; :meth:`ArchiveScan.partial` is what one hands back and
:func:`combine` joins them, so a beacon or a first sighting that spans shards is still judged as one.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..alerts import Alert, merge_into
from ..parsers import ParseError, Skipped, parse_record
from .beaconing import Beaconing
from .firstseen import LongFirstSeen
from .indicators import IndicatorSweep

STATS = ("records", "duplicates", "skipped", "events", "parse_errors")


class ArchiveScan:
    def __init__(self, detector: Any = None, indicators: dict[str, Iterable[str]] | None = None,
                 beaconing: Beaconing | None = None, devices: Iterable[str] = (), sources: Iterable[str] = ()) -> None:
        if detector is None:
            from ..pipeline import Detector

            detector = Detector()
        self.detector = detector
        self.indicators = IndicatorSweep(indicators)
        self.beaconing = beaconing if beaconing is not None else Beaconing()
        self.first_seen = LongFirstSeen()
        self.devices = {str(d) for d in devices if str(d)}
        self.sources = {str(s).lower() for s in sources if str(s)}
        self.high: dict[str, int] = {}
        self.merged: dict[str, Alert] = {}
        self.stats = dict.fromkeys(STATS, 0)
        self.errors: list[ParseError] = []

    def _wanted(self, ev: dict[str, Any]) -> bool:
        ls = ev.get("_logsource") or {}
        names = {str(ev.get("_format") or "").lower()} | {str(v).lower() for v in ls.values() if isinstance(v, str)}
        return bool(names & self.sources)

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
            if self.devices and str(rec.get("device") or "") not in self.devices:
                self.stats["skipped"] += 1
                continue
            for ev in parse_record(str(rec.get("data") or ""), device=rec.get("device"), received=rec.get("arrival")):
                if isinstance(ev, ParseError):
                    self.stats["parse_errors"] += 1
                    if len(self.errors) < 100:
                        self.errors.append(ev)
                    continue
                if isinstance(ev, Skipped):
                    self.stats["skipped"] += 1
                    continue
                if self.sources and not self._wanted(ev):
                    self.stats["skipped"] += 1
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

    def partial(self) -> dict[str, Any]:
        """What a worker hands back (plain data, picklable): its alerts, figures and range-wide observations."""
        return {"alerts": list(self.merged.values()), "stats": dict(self.stats), "errors": self.errors,
                "beaconing": self.beaconing, "first_seen": self.first_seen, "indicators": self.indicators}

    def finish(self) -> dict[str, Any]:
        return combine([self.partial()])


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Join the workers' partials and run the range-wide judgements once over everything."""
    merged: dict[str, Alert] = {}
    stats = dict.fromkeys(STATS, 0)
    if not parts:
        return {"alerts": [], **stats}
    beacons, first = parts[0]["beaconing"], parts[0]["first_seen"]
    for i, part in enumerate(parts):
        for a in part["alerts"] + part["indicators"].results():
            merge_into(merged, a)
        for k in STATS:
            stats[k] += part["stats"].get(k, 0)
        if i:
            beacons.merge(part["beaconing"])
            first.merge(part["first_seen"])
    for a in beacons.results() + first.results():
        merge_into(merged, a)
    return {"alerts": list(merged.values()), **stats}
