"""Behaviour baselines: per-entity event rate spikes, first-seen values, and devices that fall silent."""
from __future__ import annotations

from ..alerts import Alert
from ..state import StateStore
from .base import AnomalyDetector
from .stats import observe_volume


class RateSpike(AnomalyDetector):
    id = "ci-anomaly-rate-spike"
    title = "Event rate spike"
    level = "medium"
    attack = ["impact", "T1499"]
    defaults = {"interval_s": 60, "z": 5.0, "min_events": 200, "warmup_intervals": 10, "alpha": 0.1,
                "entity": "host.name", "absolute": None}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        value = event.get(self.entity) or event.get("_device")
        if not value:
            return []
        return observe_volume(self, event, state, f"rs:{value}", {self.entity: value}, 1.0, "events")


class NewTerm(AnomalyDetector):
    """A value never seen for an entity after its warm-up: a user from a new source, a new process on a host."""
    id = "ci-anomaly-new-term"
    title = "First seen"
    level = "low"
    attack = ["initial-access", "T1078"]
    defaults = {"warmup_s": 86400, "forget_s": 30 * 86400, "max_terms": 500,
                "terms": [{"name": "user-new-source", "entity": "user.name", "value": "source.ip",
                           "when": {"event.outcome": "success", "event.category": "authentication"}},
                          {"name": "host-new-process", "entity": "host.name", "value": "process.executable",
                           "when": {}}]}

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self._terms = [(t, tuple((t.get("when") or {}).items())) for t in self.terms]

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        now = float(event.get("_ts") or 0)
        out = []
        for term, when in self._terms:
            ent, val = event.get(term["entity"]), event.get(term["value"])
            if not ent or not val:
                continue
            if when and any(event.get(k) != v for k, v in when):
                continue
            key = f"nt:{term['name']}:{ent}"
            st = state.get(key, now) or {"since": now, "seen": {}}
            seen = st["seen"]
            known = val in seen and now - seen[val] <= self.forget_s
            seen[val] = now
            if not known and now - st.get("pruned", 0) > self.forget_s / 10:  # sweep stale values now and then
                st["pruned"] = now
                for stale in [v for v, t in seen.items() if now - t > self.forget_s]:
                    del seen[stale]
                if len(seen) > self.max_terms:  # forget the stalest values first
                    for stale in sorted(seen, key=seen.get)[: len(seen) - self.max_terms]:
                        del seen[stale]
            state.put(key, st, now, self.forget_s)
            if not known and now - st["since"] >= self.warmup_s:
                out.append(self.alert(
                    event, {term["entity"]: ent, term["value"]: val},
                    f"{term['value']} {val} seen for {term['entity']} {ent} for the first time in "
                    f"{_days(now - st['since'])} of history ({len(st['seen']) - 1} known values)",
                    observed=val, baseline=len(st["seen"]) - 1, threshold="not seen before",
                    rule_id=f"{self.id}-{term['name']}", title=f"First seen: {term['name']}"))
        return out


def _days(seconds: float) -> str:
    n = int(seconds // 86400)
    return "1 day" if n == 1 else f"{n} days"


class Flatline(AnomalyDetector):
    """A device that used to send and went quiet; ``check`` runs on a schedule, ``observe`` keeps last-seen.

    One key per device (concurrent shards update different devices without overwriting each other) and a
    registry of device names that changes only when a new device first appears.
    """
    id = "ci-anomaly-flatline"
    title = "Device stopped sending"
    level = "high"
    attack = ["defense-evasion", "T1562.006"]
    defaults = {"silence_s": 900, "min_events": 10}
    KEY = "fl:devices"
    FOREVER = 10 ** 12

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        dev = event.get("_device")
        if not dev:
            return []
        now = float(event.get("_ts") or 0)
        key = f"fl:dev:{dev}"
        cur = state.get(key, 0)
        if cur is None:
            cur = {"last": now, "n": 0, "alerted": False}
            devices = state.get(self.KEY, 0) or []
            if dev not in devices:
                state.put(self.KEY, sorted([*devices, dev]), 0, self.FOREVER)
        elif now > cur["last"]:
            cur["last"] = now
        cur["n"] += 1
        cur["alerted"] = False
        state.put(key, cur, 0, self.FOREVER)
        return []

    def check(self, now: float, state: StateStore) -> list[Alert]:
        out = []
        for dev in state.get(self.KEY, 0) or []:
            key = f"fl:dev:{dev}"
            cur = state.get(key, 0)
            if not cur:
                continue
            silent = now - cur["last"]
            if silent >= self.silence_s and cur["n"] >= self.min_events and not cur["alerted"]:
                cur["alerted"] = True
                state.put(key, cur, 0, self.FOREVER)
                ev = {"_ts": now, "_device": dev, "host.name": dev}
                out.append(self.alert(ev, {"device": dev}, f"Device {dev} has sent nothing for {int(silent)} s "
                                      f"(threshold {self.silence_s} s) after {cur['n']} events",
                                      observed=int(silent), baseline=cur["n"], threshold=self.silence_s,
                                      first_seen=cur["last"]))
        return out
