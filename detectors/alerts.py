"""The alert every detector emits: one shape for Sigma rules, anomaly detectors and deep scans."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# Sigma levels -> the platform's stored severities (seed catalogue: Baja, Media, Alta, Crítica).
LEVEL_TO_SEVERITY = {
    "informational": "Baja",
    "low": "Baja",
    "medium": "Media",
    "high": "Alta",
    "critical": "Crítica",
}
SEVERITY_RANK = {"Baja": 1, "Media": 2, "Alta": 3, "Crítica": 4}
MAX_VALUES = 50
MAX_SAMPLES = 5


def fingerprint(rule_id: str, entity: dict[str, Any], bucket: int) -> str:
    """Deduplication key: the same rule on the same entity in the same time bucket is one alert."""
    ent = "|".join(f"{k}={entity[k]}" for k in sorted(entity))
    return hashlib.sha256(f"{rule_id}\x1f{ent}\x1f{bucket}".encode()).hexdigest()[:40]


@dataclass
class Alert:
    rule_id: str
    title: str
    severity: str  # one of LEVEL_TO_SEVERITY's values
    first_seen: float  # epoch seconds, event time
    last_seen: float
    entity: dict[str, Any] = field(default_factory=dict)  # e.g. {"source.ip": "203.0.113.9"}
    attack: list[str] = field(default_factory=list)  # ATT&CK ids/tactics, e.g. ["T1110.001", "credential_access"]
    count: int = 1
    samples: list[dict[str, Any]] = field(default_factory=list)  # a few matching events (at most 5)
    explanation: dict[str, Any] = field(default_factory=dict)  # {"summary": str, "observed":…, "baseline":…, "threshold":…}
    origin: str = "stream"  # stream | deep scan | cli
    device: str | None = None
    fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def merge_into(merged: dict[str, Alert], alert: Alert, max_samples: int = MAX_SAMPLES) -> Alert:
    """Deduplicate by fingerprint: a repeat raises the count and widens first/last seen instead of a new alert."""
    prev = merged.get(alert.fingerprint)
    if prev is None:
        merged[alert.fingerprint] = alert
        return alert
    prev.count += alert.count
    prev.first_seen = min(prev.first_seen, alert.first_seen)
    prev.last_seen = max(prev.last_seen, alert.last_seen)
    if len(prev.samples) < max_samples:
        prev.samples += alert.samples[: max_samples - len(prev.samples)]
    more = alert.explanation.get("values")
    if more:
        merge_values(prev, more)
    return prev


def merge_values(prev: Alert, more: dict[str, list]) -> None:
    """The other users/hosts one alert's events named (an invalid-user sweep lists its users)."""
    have = prev.explanation.setdefault("values", {})
    for k, vals in more.items():
        cur = have.setdefault(k, [])
        for v in vals:
            if v not in cur and len(cur) < MAX_VALUES:
                cur.append(v)
    prev.explanation["summary"] = with_values(prev.explanation.get("summary", ""), have)


def with_values(summary: str, values: dict[str, list]) -> str:
    """``Sigma rule 'x' matched — user.name: a, b, c``: what else the alert's events named."""
    base = summary.split(" — ", 1)[0]
    listed = "; ".join(f"{k}: {', '.join(map(str, v[:10]))}{'…' if len(v) > 10 else ''}" for k, v in values.items())
    return f"{base} — {listed}" if listed else base
