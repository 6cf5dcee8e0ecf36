"""Port scans and host sweeps (distinct ports / hosts per source) and outbound volume spikes."""
from __future__ import annotations

from ..alerts import Alert
from ..state import StateStore
from .base import AnomalyDetector, recent_items, window_add
from .stats import observe_volume


class PortScan(AnomalyDetector):
    id = "ci-anomaly-port-scan"
    title = "Port scan"
    level = "medium"
    attack = ["discovery", "T1046"]
    defaults = {"window_s": 60, "distinct_ports": 20, "distinct_hosts": 20, "burst_ports": 10, "burst_window_s": 5}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        src, dst, port = event.get("source.ip"), event.get("destination.ip"), event.get("destination.port")
        if not src or (dst is None and port is None):
            return []
        now = float(event.get("_ts") or 0)
        out: list[Alert] = []
        if port is not None:
            self._count(event, state, now, src, f"ps:ports:{src}", port, self.distinct_ports, None, out)
            if self.burst_ports and not out:
                self._burst(event, state, now, src, port, out)
        if dst:
            self._count(event, state, now, src, f"ps:hosts:{src}:{port}", f"{dst}:{port}", self.distinct_hosts, port,
                        out)
        return out

    def _count(self, event: dict, state: StateStore, now: float, src: str, key: str, item: object, limit: int,
               sweep_port: object, out: list[Alert]) -> None:
        win = window_add(state, key, now, self.window_s, item)
        if len(win["items"]) < limit or win["alerted"]:
            return
        win["alerted"] = True
        state.put(key, win, now, self.window_s)
        sweep = key.startswith("ps:hosts:")
        label = "hosts" if sweep else "ports"
        out.append(self.alert(
            event, {"source.ip": src},
            f"{src} reached {len(win['items'])} distinct {label} in {int(now - win['start'])} s "
            f"(threshold {limit} in {self.window_s} s)" + (f" on port {sweep_port}" if sweep else ""),
            observed=len(win["items"]), baseline=0, threshold=limit, first_seen=win["start"],
            rule_id="ci-anomaly-host-sweep" if sweep else self.id, title="Host sweep" if sweep else "Port scan"))


    def _burst(self, event: dict, state: StateStore, now: float, src: str, port: object, out: list[Alert]) -> None:
        """Many ports within seconds (a SYN scan) is a scan even when the minute's total stays under the threshold:
        read from the minute's window, whose ports keep the time they were first seen."""
        main = state.get(f"ps:ports:{src}", now)
        if main is None or main["alerted"] or len(main["items"]) < self.burst_ports:
            return
        n = recent_items(main, now, self.burst_window_s, self.burst_ports)
        if n < self.burst_ports:
            return
        main["alerted"] = True
        state.put(f"ps:ports:{src}", main, now, self.window_s)
        out.append(self.alert(
            event, {"source.ip": src},
            f"{src} reached {n} distinct ports within {self.burst_window_s} s when raised (burst threshold "
            f"{self.burst_ports} in {self.burst_window_s} s)", observed=n, baseline=0,
            threshold=self.burst_ports, first_seen=main["start"], title="Port scan"))


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
