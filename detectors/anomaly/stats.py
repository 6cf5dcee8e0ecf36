"""Per-entity EWMA baselines over fixed intervals: an interval is judged when the next one starts."""
from __future__ import annotations

import math
from typing import Any

from ..alerts import Alert
from ..state import StateStore


def observe_volume(det: Any, event: dict, state: StateStore, key: str, entity: dict, amount: float,
                   unit: str) -> list[Alert]:
    """Add ``amount`` to the entity's current interval; judge the previous interval when a new one starts."""
    now = float(event.get("_ts") or 0)
    interval = det.interval_s
    bucket = int(now // interval)
    st = state.get(key, now) or {"bucket": bucket, "cur": 0.0, "mean": 0.0, "var": 0.0, "seen": 0}
    out: list[Alert] = []
    if bucket != st["bucket"]:
        x = st["cur"]
        out += _judge(det, event, st, x, entity, unit)
        _update(st, x, det.alpha)
        for _ in range(min(bucket - st["bucket"] - 1, 50)):  # silent intervals count as zero
            _update(st, 0.0, det.alpha)
        st["bucket"], st["cur"] = bucket, 0.0
    st["cur"] += amount
    ceiling = det.absolute
    if ceiling and st["cur"] >= ceiling and st.get("alerted") != bucket:
        st["alerted"] = bucket  # a volume no baseline could excuse: alert at once, even while warming up
        out.append(det.alert(event, entity, f"{st['cur']:,.0f} {unit} so far in this {interval} s interval, "
                             f"above the absolute ceiling of {ceiling:,} (baseline {st['mean']:,.0f})",
                             observed=st["cur"], baseline=round(st["mean"], 2), threshold={"absolute": ceiling},
                             first_seen=bucket * interval))
    state.put(key, st, now, interval * 1000)
    return out


def _update(st: dict, x: float, alpha: float) -> None:
    if st["seen"] == 0:
        st["mean"], st["var"] = x, 0.0
    else:
        diff = x - st["mean"]
        st["mean"] += alpha * diff
        st["var"] = (1 - alpha) * (st["var"] + alpha * diff * diff)
    st["seen"] += 1


def _judge(det: Any, event: dict, st: dict, x: float, entity: dict, unit: str) -> list[Alert]:
    if st["seen"] < det.warmup_intervals or st.get("alerted") == st["bucket"]:
        return []
    minimum = getattr(det, "min_bytes", None) or getattr(det, "min_events", 0)
    sd = math.sqrt(st["var"]) or max(st["mean"] * 0.1, 1.0)
    z = (x - st["mean"]) / sd
    if x < minimum or z < det.z:
        return []
    return [det.alert(event, entity, f"{x:,.0f} {unit} in {det.interval_s} s against a baseline of "
                      f"{st['mean']:,.0f} (z = {z:.1f}, threshold {det.z}, minimum {minimum:,})",
                      observed=x, baseline=round(st["mean"], 2), threshold={"z": det.z, "minimum": minimum},
                      first_seen=st["bucket"] * det.interval_s)]
