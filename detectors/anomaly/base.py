"""What every anomaly detector shares: settings, alert construction, and windowed counters in the state store."""
from __future__ import annotations

from typing import Any

from ..alerts import LEVEL_TO_SEVERITY, Alert, fingerprint
from ..state import StateStore

BUCKET_S = 3600


class AnomalyDetector:
    id = "ci-anomaly"
    title = "Anomaly"
    level = "medium"
    attack: list[str] = []
    defaults: dict[str, Any] = {}

    def __init__(self, **settings: Any) -> None:
        unknown = set(settings) - set(self.defaults) - {"enabled"}
        if unknown:
            raise ValueError(f"{self.id}: unknown settings {sorted(unknown)}")
        self.settings = {**self.defaults, **settings}
        self.__dict__.update(self.settings)  # plain attributes: read on every event

    def observe(self, event: dict, state: StateStore) -> list[Alert]:  # pragma: no cover - interface
        raise NotImplementedError

    def alert(self, event: dict, entity: dict[str, Any], summary: str, observed: Any, baseline: Any,
              threshold: Any, first_seen: float | None = None, level: str | None = None,
              rule_id: str | None = None, title: str | None = None) -> Alert:
        ts = float(event.get("_ts") or 0.0)
        rid = rule_id or self.id
        sample = {k: v for k, v in event.items() if k not in ("_raw", "_hay", "_lc") and not isinstance(v, (dict, list))}
        return Alert(rule_id=rid, title=title or self.title, severity=LEVEL_TO_SEVERITY[level or self.level],
                     first_seen=first_seen if first_seen is not None else ts, last_seen=ts, entity=entity,
                     attack=list(self.attack), samples=[sample], device=event.get("_device"),
                     explanation={"summary": summary, "observed": observed, "baseline": baseline,
                                  "threshold": threshold},
                     fingerprint=fingerprint(rid, entity, int(ts // BUCKET_S)))


def window_add(state: StateStore, key: str, now: float, window: float, item: Any = None,
               weight: int = 1) -> dict[str, Any]:
    """A fixed window that starts at its first event: ``n`` events and the distinct ``items`` seen in it.

    ``items`` is an insertion-ordered dict of strings (a JSON object), so membership costs O(1) at any size.
    """
    cur = state.get(key, now)
    if cur is None or now - cur["start"] > window:
        cur = {"start": now, "n": 0, "items": {}, "alerted": False}
    cur["n"] += weight
    if item is not None:
        items = cur["items"]
        if len(items) < 10000:
            key_ = item if item.__class__ is str else str(item)
            if key_ not in items:
                items[key_] = now  # when first seen in this window: the newest are last (see recent_items)
    state.put(key, cur, now, window)
    return cur


def recent_items(win: dict[str, Any], now: float, span: float, enough: int) -> int:
    """How many of the window's distinct items were first seen in the last ``span`` seconds (counting stops at
    ``enough``): insertion order makes this a walk over the newest few."""
    n = 0
    for first in reversed(win["items"].values()):
        if first.__class__ is int or now - first > span:  # 1 = an item stored before times were kept
            break
        n += 1
        if n >= enough:
            break
    return n
