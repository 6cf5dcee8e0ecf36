"""Port scans and host sweeps (distinct ports / hosts per source) and outbound volume spikes."""
from __future__ import annotations

from ..alerts import Alert
from ..state import StateStore
from .base import AnomalyDetector, window_add
from .stats import observe_volume


class PortScan(AnomalyDetector):
    id = "ci-anomaly-port-scan"
    title = "Port scan"
    level = "medium"
    attack = ["discovery", "T1046"]
    defaults = {"window_s": 60, "distinct_ports": 20, "distinct_hosts": 20}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        src, dst, port = event.get("source.ip"), event.get("destination.ip"), event.get("destination.port")
        if not src or (dst is None and port is None):
            return []
        now = float(event.get("_ts") or 0)
        out = []
        for kind, item, limit, label in (("ports", port, self.distinct_ports, "ports"),
                                         ("hosts", f"{dst}:{port}" if dst else None, self.distinct_hosts, "hosts")):
            if item is None:
                continue
            key = f"ps:{kind}:{src}" + ("" if kind == "ports" else f":{port}")
            win = window_add(state, key, now, self.window_s, item)
            if len(win["items"]) >= limit and not win["alerted"]:
                win["alerted"] = True
                state.put(key, win, now, self.window_s)
                sweep = kind == "hosts"
                out.append(self.alert(
                    event, {"source.ip": src},
                    f"{src} reached {len(win['items'])} distinct {label} in {int(now - win['start'])} s "
                    f"(threshold {limit} in {self.window_s} s)" + (f" on port {port}" if sweep else ""),
                    observed=len(win["items"]), baseline=0, threshold=limit, first_seen=win["start"],
                    rule_id=self.id if not sweep else "ci-anomaly-host-sweep",
                    title="Port scan" if not sweep else "Host sweep"))
        return out


class OutboundVolume(AnomalyDetector):
    """Bytes sent per source per interval against its own EWMA baseline (data exfiltration)."""
    id = "ci-anomaly-outbound-volume"
    title = "Outbound data volume spike"
    level = "high"
    attack = ["exfiltration", "T1048"]
    defaults = {"interval_s": 60, "z": 4.0, "min_bytes": 50_000_000, "warmup_intervals": 5, "alpha": 0.2,
                "absolute": 250_000_000}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        src = event.get("source.ip")
        size = event.get("source.bytes") or event.get("network.bytes") or event.get("destination.bytes")
        if not src or not isinstance(size, (int, float)):
            return []
        return observe_volume(self, event, state, f"ov:{src}", {"source.ip": src}, float(size), "bytes sent")
