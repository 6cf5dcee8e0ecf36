"""Anomaly detectors: thresholds, warm-up, the explanation they attach, and their configuration."""
import pytest

from detectors.anomaly import REGISTRY, build_detectors
from detectors.anomaly.auth import BruteForce
from detectors.anomaly.behaviour import Flatline, NewTerm, RateSpike
from detectors.anomaly.network import OutboundVolume, PortScan
from detectors.parsers import parse_line
from detectors.state import MemoryStateStore

T0 = 1_800_000_000.0


def ssh(t, outcome="Failed", user="root", ip="203.0.113.9"):
    word = "Failed password" if outcome == "Failed" else "Accepted password"
    [ev] = parse_line(f"Nov 22 10:00:01 bastion sshd[1]: {word} for {user} from {ip} port 4000 ssh2", device="bastion")
    ev["_ts"] = t
    return ev


def run(det, events, state=None):
    state = state if state is not None else MemoryStateStore()
    return [a for e in events for a in det.observe(e, state)], state


def test_brute_force_alerts_once_at_threshold_and_escalates_a_later_success():
    det = BruteForce(per_source=10, per_user=1000, window_s=300, burst=0)
    alerts, state = run(det, [ssh(T0 + i) for i in range(9)])
    assert alerts == []
    alerts, _ = run(det, [ssh(T0 + 9 + i) for i in range(30)], state)
    assert len(alerts) == 1
    a = alerts[0]
    assert a.rule_id == "ci-anomaly-brute-force" and a.entity == {"source.ip": "203.0.113.9"}
    assert a.explanation["observed"] == 10 and a.explanation["threshold"] == 10 and "root" in a.explanation["summary"]
    assert a.severity == "Alta" and "T1110" in a.attack and a.first_seen == T0
    win, _ = run(det, [ssh(T0 + 60, "Accepted")], state)
    assert win[0].rule_id == "ci-anomaly-brute-force-success" and win[0].severity == "Crítica"


def test_a_fast_guesser_below_the_window_threshold_is_a_burst():
    det = BruteForce(per_source=10, burst=5, burst_window_s=60)
    alerts, state = run(det, [ssh(T0 + i * 10) for i in range(4)])
    assert alerts == []  # four tries in 30 s: not yet
    alerts, state = run(det, [ssh(T0 + 40)], state)
    assert len(alerts) == 1 and "fast-guesser threshold 5 in 60 s" in alerts[0].explanation["summary"]
    assert alerts[0].explanation["threshold"] == 5
    assert run(det, [ssh(T0 + 50 + i) for i in range(10)], state)[0] == []  # one alert for the window
    slow, _ = run(BruteForce(per_source=10, burst=5, burst_window_s=60), [ssh(T0 + i * 30) for i in range(9)])
    assert slow == []  # nine tries, one every 30 s: neither threshold
    win, _ = run(det, [ssh(T0 + 400, "Accepted")], state)
    assert win and win[0].rule_id == "ci-anomaly-brute-force-success"


def test_brute_force_per_user_across_sources():
    det = BruteForce(per_source=100, per_user=20)
    alerts, _ = run(det, [ssh(T0 + i, ip=f"198.51.100.{i}") for i in range(25)])
    assert [a.entity for a in alerts] == [{"user.name": "root"}] and "198.51.100.0" in alerts[0].explanation["summary"]


def test_brute_force_window_expires():
    det = BruteForce(per_source=5, window_s=60)
    alerts, _ = run(det, [ssh(T0 + i * 30) for i in range(8)])  # never 5 within a minute
    assert alerts == []


def conn(t, src="198.51.100.7", dst="10.0.0.5", port=22, size=None):
    ev = {"_ts": t, "source.ip": src, "destination.ip": dst, "destination.port": port}
    if size is not None:
        ev["source.bytes"] = size
    return ev


def test_port_scan_and_host_sweep():
    det = PortScan(distinct_ports=20, distinct_hosts=20, window_s=60, burst_ports=0)
    alerts, _ = run(det, [conn(T0 + i * 0.1, port=1000 + i) for i in range(19)] + [conn(T0 + 2, port=1000)])
    assert alerts == []  # 19 distinct ports, a repeat does not count
    alerts, _ = run(det, [conn(T0 + i * 0.1, port=1000 + i) for i in range(25)])
    assert [a.rule_id for a in alerts] == ["ci-anomaly-port-scan"] and alerts[0].explanation["observed"] == 20
    alerts, _ = run(det, [conn(T0 + i * 0.1, dst=f"10.0.1.{i}", port=445) for i in range(30)])
    assert [a.rule_id for a in alerts] == ["ci-anomaly-host-sweep"]


def test_a_syn_scan_of_a_few_ports_within_seconds_is_a_port_scan():
    det = PortScan(distinct_ports=20, burst_ports=10, burst_window_s=5)
    alerts, _ = run(det, [conn(T0 + i * 0.05, port=20 + i) for i in range(12)])
    assert [a.explanation["observed"] for a in alerts] == [10]
    slow, _ = run(PortScan(distinct_ports=20, burst_ports=10, burst_window_s=5),
                  [conn(T0 + i * 3, port=20 + i) for i in range(15)])
    assert slow == []  # fifteen ports, one every 3 s: neither threshold


def test_outbound_volume_needs_warmup_and_minimum():
    det = OutboundVolume(interval_s=60, z=4.0, min_bytes=50_000_000, warmup_intervals=5, absolute=None)
    normal = [conn(T0 + m * 60 + 1, size=1_000_000 + (m % 3) * 100_000) for m in range(10)]
    alerts, state = run(det, normal)
    assert alerts == []
    burst = [conn(T0 + 600 + i, size=20_000_000) for i in range(10)] + [conn(T0 + 700, size=1)]
    alerts, _ = run(det, burst, state)
    assert len(alerts) == 1 and alerts[0].explanation["observed"] == 200_000_000
    assert alerts[0].explanation["baseline"] < 2_000_000 and "T1048" in alerts[0].attack
    early, _ = run(OutboundVolume(warmup_intervals=5, absolute=None),
                   [conn(T0 + i, size=10**9) for i in range(3)] + [conn(T0 + 61)])
    assert early == []  # a spike during warm-up is learnt, not alerted...
    ceiling, _ = run(OutboundVolume(absolute=250_000_000), [conn(T0 + i, size=100_000_000) for i in range(5)])
    assert len(ceiling) == 1 and ceiling[0].explanation["threshold"] == {"absolute": 250_000_000}  # ...unless huge


def test_rate_spike():
    det = RateSpike(interval_s=60, z=5.0, min_events=200, warmup_intervals=5, entity="host.name")
    events = [{"_ts": T0 + m * 60 + s, "host.name": "web1"} for m in range(8) for s in range(10)]
    events += [{"_ts": T0 + 8 * 60 + s * 0.1, "host.name": "web1"} for s in range(500)]
    events += [{"_ts": T0 + 9 * 60 + 1, "host.name": "web1"}]
    alerts, _ = run(det, events)
    assert len(alerts) == 1 and alerts[0].explanation["observed"] == 500


def test_new_term_after_warmup_only():
    det = NewTerm(warmup_s=3600)
    login = lambda t, ip: {"_ts": t, "user.name": "alice", "source.ip": ip, "event.outcome": "success",  # noqa
                           "event.category": "authentication"}
    alerts, state = run(det, [login(T0, "10.0.0.1"), login(T0 + 60, "10.0.0.2")])
    assert alerts == []  # still learning
    alerts, _ = run(det, [login(T0 + 7200, "10.0.0.1"), login(T0 + 7300, "203.0.113.66")], state)
    assert len(alerts) == 1 and alerts[0].entity == {"user.name": "alice", "source.ip": "203.0.113.66"}


def test_flatline_check():
    det = Flatline(silence_s=900, min_events=10)
    state = MemoryStateStore()
    run(det, [{"_ts": T0 + i, "_device": "fw-1"} for i in range(20)] + [{"_ts": T0, "_device": "rare"}], state)
    assert det.check(T0 + 600, state) == []
    alerts = det.check(T0 + 1000, state)
    assert [a.entity for a in alerts] == [{"device": "fw-1"}] and det.check(T0 + 2000, state) == []


def test_configuration():
    assert {d.id for d in build_detectors()} == set(REGISTRY)
    assert len(build_detectors({"ci-anomaly-flatline": {"enabled": False}})) == len(REGISTRY) - 1
    with pytest.raises(ValueError):
        build_detectors({"ci-anomaly-nope": {}})
    with pytest.raises(ValueError):
        build_detectors({"ci-anomaly-port-scan": {"distinct_portz": 3}})
