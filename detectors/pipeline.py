"""One pass of the engine over parsed events: Sigma rules and anomaly detectors, the same in every runtime."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from .alerts import Alert, merge_into
from .anomaly import build_detectors
from .parsers import NotEvent, ParseError
from .rule_tests import RULES_DIR
from .state import MemoryStateStore, StateStore


class Detector:
    def __init__(self, rule_paths: Iterable[str | Path] | None = None, anomaly_config: dict[str, Any] | None = None,
                 state: StateStore | None = None, sigma: Any = None) -> None:
        """``sigma``: an engine already built (from a compiled artifact), instead of loading ``rule_paths``."""
        from .sigma import SigmaEngine

        self.sigma = sigma if sigma is not None else SigmaEngine.from_paths(list(rule_paths) if rule_paths else [RULES_DIR])
        self.anomalies = build_detectors(anomaly_config)
        self.state = state if state is not None else MemoryStateStore()

    def detect_into(self, ev: dict[str, Any], merged: dict[str, Alert], origin: str | None = None) -> None:
        """One event's alerts (Sigma, then the statistical detectors), each merged into ``merged`` by fingerprint
        as it is found: a repeated Sigma match builds no sample once its alert holds five."""
        state = self.state
        self.sigma.match_into(ev, merged, state, origin)
        for d in self.anomalies:
            for alert in d.observe(ev, state) or ():
                if origin is not None:
                    alert.origin = origin
                merge_into(merged, alert)

    def process(self, events: Iterable[Any]) -> tuple[list[Alert], list[ParseError]]:
        """Alerts merged by fingerprint (a repeat raises the count), and the parse errors passed through."""
        merged: dict[str, Alert] = {}
        errors: list[ParseError] = []
        detect_into = self.detect_into
        for ev in events:
            if isinstance(ev, NotEvent):
                if isinstance(ev, ParseError):
                    errors.append(ev)
                continue
            detect_into(ev, merged)
        return list(merged.values()), errors
