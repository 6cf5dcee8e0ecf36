"""Statistical anomaly detectors, configured per rule pack (``detectors/rules/anomaly.yml``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .auth import BruteForce
from .base import AnomalyDetector
from .behaviour import Flatline, NewTerm, RateSpike
from .network import OutboundVolume, PortScan
from .web import WebLogin, WebScan

REGISTRY = {cls.id: cls for cls in (BruteForce, WebLogin, WebScan, PortScan, OutboundVolume, RateSpike, NewTerm, Flatline)}
DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "rules" / "anomaly.yml"

__all__ = ["AnomalyDetector", "build_detectors", "REGISTRY", "load_config"]


def load_config(path: Path = DEFAULT_CONFIG) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def build_detectors(config: dict[str, Any] | None = None) -> list[AnomalyDetector]:
    """``{detector id: {setting: value, enabled: bool}}``; unknown ids or settings are configuration errors."""
    config = load_config() if config is None else config
    unknown = set(config) - set(REGISTRY)
    if unknown:
        raise ValueError(f"unknown anomaly detectors: {sorted(unknown)}")
    out = []
    for det_id, cls in REGISTRY.items():
        settings = dict(config.get(det_id) or {})
        if settings.pop("enabled", True):
            out.append(cls(**settings))
    return out
