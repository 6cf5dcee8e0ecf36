"""Sigma correlation rules over windowed state."""
import pytest

from detectors.parsers import parse_line
from detectors.sigma import SigmaEngine
from detectors.state import MemoryStateStore

BASE = """title: SSH failed login
name: ssh_failed
id: 4d9c6c7e-0000-4000-8000-000000000001
logsource:
    product: linux
    service: sshd
detection:
    sel:
        event.action: ssh_login
        event.outcome: failure
    condition: sel
level: low
---
title: SSH login succeeded
name: ssh_ok
id: 4d9c6c7e-0000-4000-8000-000000000002
logsource:
    product: linux
    service: sshd
detection:
    sel:
        event.action: ssh_login
        event.outcome: success
    condition: sel
level: informational
"""


def corr(kind: str, extra: str) -> str:
    return BASE + f"""---
title: Correlated {kind}
id: 4d9c6c7e-0000-4000-8000-0000000000{len(kind):02d}
level: high
correlation:
    type: {kind}
{extra}
"""


def ev(t, outcome="Failed", user="root", ip="203.0.113.9"):
    word = "Failed password" if outcome == "Failed" else "Accepted password"
    [e] = parse_line(f"Nov 22 10:00:01 h sshd[1]: {word} for {user} from {ip} port 1 ssh2")
    e["_ts"] = t
    return e


def engine(tmp_path, text):
    (tmp_path / "c.yml").write_text(text)
    eng = SigmaEngine.from_paths([tmp_path / "c.yml"])
    assert not eng.skipped, eng.skipped
    return eng


def corr_alerts(eng, events, state):
    return [a for e in events for a in eng.match(e, state) if a.title.startswith("Correlated")]


def test_event_count_per_group_within_timespan(tmp_path):
    eng = engine(tmp_path, corr("event_count", "    rules: [ssh_failed]\n    group-by: [source.ip]\n    timespan: 60s\n"
                                               "    condition:\n        gte: 5\n"))
    state = MemoryStateStore()
    assert corr_alerts(eng, [ev(i * 20) for i in range(5)], state) == []  # spread over 80 s
    alerts = corr_alerts(eng, [ev(1000 + i) for i in range(8)], state)
    assert len(alerts) == 1 and alerts[0].entity == {"source.ip": "203.0.113.9"} and alerts[0].severity == "Alta"
    assert corr_alerts(eng, [ev(2000 + i, ip=f"198.51.100.{i}") for i in range(8)], state) == []  # other groups


def test_value_count_distinct_users(tmp_path):
    eng = engine(tmp_path, corr("value_count", "    rules: [ssh_failed]\n    group-by: [source.ip]\n    timespan: 5m\n"
                                               "    condition:\n        gte: 3\n        field: user.name\n"))
    state = MemoryStateStore()
    assert corr_alerts(eng, [ev(i, user="root") for i in range(10)], state) == []
    alerts = corr_alerts(eng, [ev(20, user="admin"), ev(21, user="oracle")], state)
    assert len(alerts) == 1 and alerts[0].explanation["observed"] == 3


@pytest.mark.parametrize("kind,order,expected", [("temporal", ["Accepted", "Failed"], 1),
                                                 ("temporal_ordered", ["Accepted", "Failed"], 0),
                                                 ("temporal_ordered", ["Failed", "Accepted"], 1)])
def test_temporal(tmp_path, kind, order, expected):
    eng = engine(tmp_path, corr(kind, "    rules: [ssh_failed, ssh_ok]\n    group-by: [source.ip]\n    timespan: 10m\n"))
    alerts = corr_alerts(eng, [ev(i * 10, o) for i, o in enumerate(order)], MemoryStateStore())
    assert len(alerts) == expected


def test_unsupported_correlation_is_skipped_with_reason(tmp_path):
    (tmp_path / "c.yml").write_text(corr("event_count", "    rules: [ssh_failed]\n    group-by: [source.ip]\n"
                                                       "    timespan: 60s\n    condition:\n        lt: 5\n"))
    eng = SigmaEngine.from_paths([tmp_path / "c.yml"])
    assert eng.rules_loaded == 2 and eng.correlations == [] and "window to close" in eng.skipped[0][1]


def test_meta_filter_narrows_the_rules_it_names(tmp_path):
    (tmp_path / "rule.yml").write_text(BASE.split("---")[0])
    (tmp_path / "filter.yml").write_text("""title: Ignore the vulnerability scanner
id: 4d9c6c7e-0000-4000-8000-0000000000ff
logsource:
    product: linux
    service: sshd
filter:
    rules:
        - ssh_failed
    selection:
        source.ip: 10.9.9.9
    condition: not selection
""")
    eng = SigmaEngine.from_paths([tmp_path])
    assert eng.rules_loaded == 1 and not eng.skipped, eng.skipped
    assert eng.match_event(ev(1, ip="203.0.113.9")) and not eng.match_event(ev(2, ip="10.9.9.9"))
