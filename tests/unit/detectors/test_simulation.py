"""The simulated fleet: benign traffic parses cleanly and stays quiet; each scripted attack is detected."""
from detectors.parsers import parse_line
from detectors.pipeline import Detector
from detectors.simulate import lines


def run(n, attacks):
    det = Detector()
    events = [e for dev, line in lines(n, seed=11, attacks=attacks, start=1.8e9) for e in parse_line(line, device=dev)]
    return det.process(events)


def test_every_attack_is_found():
    alerts, errors = run(5000, attacks=True)
    assert errors == []
    titles = {a.title for a in alerts}
    for expected in ("Authentication brute force", "Successful login after brute force", "Port scan",
                     "LSASS memory dump through comsvcs.dll MiniDump", "AWS root account console login",
                     "Outbound data volume spike", "Successful SSH login as root"):
        assert expected in titles, (expected, titles)
    brute = next(a for a in alerts if a.title == "Authentication brute force")
    assert brute.entity == {"source.ip": "203.0.113.66"}


def test_benign_traffic_raises_no_high_severity_alert():
    alerts, errors = run(5000, attacks=False)
    assert errors == []
    assert not [a.title for a in alerts if a.severity in ("Alta", "Crítica")]
