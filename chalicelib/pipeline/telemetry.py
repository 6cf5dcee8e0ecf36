"""EMF metrics and structured logs for one handler invocation (Powertools), namespace ``CyberIncident``.

Counters are summed during the batch and written once as one EMF document; CloudWatch turns it into metrics
without an API call. ``POWERTOOLS_METRICS_DISABLED=1`` silences them (the local stack does, unless asked).
"""
from __future__ import annotations

import logging
import sys
from typing import Any

NAMESPACE = "CyberIncident"
_LOGGER: Any = None
_TRACER: Any = None


def tracer() -> Any:
    """Powertools' X-Ray tracer (boto3 and pymysql calls become subsegments); it switches itself off outside
    Lambda, so tests and the local stack pay nothing. Created on first use: the web functions never load it."""
    global _TRACER
    if _TRACER is None:
        from aws_lambda_powertools import Tracer

        _TRACER = Tracer(service="pipeline", patch_modules=["boto3", "botocore", "pymysql"])
    return _TRACER


class Telemetry:
    def __init__(self, service: str = "pipeline") -> None:
        self.service = service
        self.counts: dict[str, float] = {}
        self.latencies: list[float] = []

    def logger(self) -> Any:
        """Powertools' JSON logger (level from ``POWERTOOLS_LOG_LEVEL``), shared by the container."""
        from aws_lambda_powertools import Logger

        global _LOGGER
        if _LOGGER is None:
            _LOGGER = Logger(service=self.service, logger_handler=_Stdout())
            logging.getLogger(_LOGGER.name).propagate = False  # its own handler writes it: not the root's too
        return _LOGGER

    def count(self, name: str, n: float) -> None:
        if n:
            self.counts[name] = self.counts.get(name, 0) + n

    def latency(self, seconds: float) -> None:
        self.latencies.append(max(0.0, seconds))

    def flush(self) -> dict[str, Any]:
        from aws_lambda_powertools import Metrics
        from aws_lambda_powertools.metrics import MetricUnit

        metrics = Metrics(namespace=NAMESPACE, service=self.service)
        for name, n in sorted(self.counts.items()):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=n)
        if self.latencies:
            metrics.add_metric(name="EndToEndLatency", unit=MetricUnit.Milliseconds,
                               value=round(max(self.latencies) * 1000, 1))
        if self.counts or self.latencies:
            metrics.flush_metrics()
        return dict(self.counts)


class _Stdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (Lambda's, or a test's capture), not the one at creation."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass
