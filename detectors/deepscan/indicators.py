"""Indicator sweep: IPs, domains, hashes and user names learned during an incident, looked for in every event.

Values are compared case-insensitively with every scalar field of the event; a domain also matches its
subdomains and URLs that contain it as their host.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable

from ..alerts import LEVEL_TO_SEVERITY, Alert, fingerprint

KINDS = ("ips", "domains", "hashes", "users")
HOST = re.compile(r"^[a-z][a-z0-9+.-]*://([^/:?#]+)", re.I)


class IndicatorSweep:
    id = "ci-deepscan-indicator"
    title = "Indicator of compromise seen"
    attack = ["command-and-control"]

    def __init__(self, indicators: dict[str, Iterable[str]] | None = None) -> None:
        indicators = indicators or {}
        unknown = set(indicators) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown indicator kinds {sorted(unknown)}; use {', '.join(KINDS)}")
        self.exact: dict[str, str] = {}
        for kind in ("ips", "hashes", "users"):
            for v in indicators.get(kind, ()):
                if str(v).strip():
                    self.exact[str(v).strip().lower()] = kind
        self.domains = {str(d).strip().lower().rstrip(".") for d in indicators.get("domains", ()) if str(d).strip()}
        self.hits: dict[str, Alert] = {}
        self._auto: Any = None

    def __getstate__(self) -> dict[str, Any]:  # workers hand their sweep back; the automaton is rebuilt on demand
        return {**self.__dict__, "_auto": None}

    def _automaton(self) -> Any:
        """Every indicator as it may appear in a raw line (plain, and JSON-escaped as in ``CORP\\bob``)."""
        if self._auto is None:
            import ahocorasick

            auto = ahocorasick.Automaton()
            for value in [*self.exact, *self.domains]:
                for form in {value, json.dumps(value)[1:-1].lower()}:
                    auto.add_word(form, form)
            auto.make_automaton()
            self._auto = auto
        return self._auto

    def __bool__(self) -> bool:
        return bool(self.exact or self.domains)

    def _domain(self, value: str) -> str | None:
        m = HOST.match(value)
        host = (m.group(1) if m else value).lower().rstrip(".")
        while host:
            if host in self.domains:
                return host
            _, _, host = host.partition(".")
        return None

    def observe(self, event: dict[str, Any]) -> None:
        raw = event.get("_raw")
        if isinstance(raw, str) and next(self._automaton().iter(raw.lower()), None) is None:
            return  # no indicator anywhere in the line: skip the field-by-field check
        for key, value in event.items():
            if key[0] == "_" or not isinstance(value, (str, int)):
                continue
            text = str(value).strip().lower()
            kind, ioc = self.exact.get(text), text
            if kind is None and self.domains and "." in text:
                ioc = self._domain(text)
                kind = "domains" if ioc else None
            if kind is None:
                continue
            entity = {"indicator": ioc, "kind": kind}
            ts = float(event.get("_ts") or 0)
            prev = self.hits.get(ioc)
            if prev:
                prev.count += 1
                prev.first_seen, prev.last_seen = min(prev.first_seen, ts), max(prev.last_seen, ts)
                continue
            sample = {k: v for k, v in event.items() if k not in ("_raw", "_hay", "_lc") and not isinstance(v, (dict, list))}
            self.hits[ioc] = Alert(
                rule_id=self.id, title=f"{self.title}: {ioc}", severity=LEVEL_TO_SEVERITY["high"], first_seen=ts,
                last_seen=ts, entity=entity, attack=list(self.attack), samples=[sample], device=event.get("_device"),
                origin="deep scan", explanation={"summary": f"{kind[:-1]} {ioc} found in field {key}",
                                                 "observed": key, "baseline": None, "threshold": "listed indicator"},
                fingerprint=fingerprint(self.id, entity, 0))

    def results(self) -> list[Alert]:
        return list(self.hits.values())
