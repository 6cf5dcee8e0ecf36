"""Sigma semantics on hand-written rules: modifiers, wildcards, null/exists, keywords, conditions, routing."""
import pytest

from detectors.sigma.engine import SigmaEngine, compile_rule

EV = {"_logsource": {"product": "windows", "category": "process_creation"}, "_ts": 1000.0,
      "Image": "C:\\Windows\\System32\\rundll32.exe", "CommandLine": "rundll32.exe C:\\windows\\System32\\comsvcs.dll, "
      "MiniDump 624 C:\\temp\\lsass.dmp full", "User": "CORP\\alice", "ParentImage": "C:\\Windows\\explorer.exe",
      "IntegrityLevel": "High", "SourceIp": "10.1.2.3", "Count": "15", "Empty": "", "host.name": "ws1"}


def rule(detection: str, logsource: dict | None = None, level: str = "high") -> SigmaEngine:
    import yaml
    from sigma.rule import SigmaRule

    doc = {"title": "Test rule", "id": "11111111-2222-3333-4444-555555555555", "status": "test", "level": level,
           "tags": ["attack.credential-access", "attack.t1003.001"],
           "logsource": logsource or {"product": "windows", "category": "process_creation"},
           "detection": yaml.safe_load(detection)}
    return SigmaEngine([compile_rule(SigmaRule.from_dict(doc))])


@pytest.mark.parametrize("detection,hit", [
    ("sel:\n  Image|endswith: '\\rundll32.exe'\ncondition: sel", True),
    ("sel:\n  CommandLine|contains|all: ['comsvcs', 'MINIDUMP']\ncondition: sel", True),
    ("sel:\n  CommandLine|contains|all: ['comsvcs', 'procdump']\ncondition: sel", False),
    ("sel:\n  Image: 'c:\\windows\\system32\\RUNDLL32.EXE'\ncondition: sel", True),  # case-insensitive
    ("sel:\n  Image|cased: 'c:\\windows\\system32\\RUNDLL32.EXE'\ncondition: sel", False),
    ("sel:\n  Image: 'C:\\Windows\\\\*\\rundll??.exe'\ncondition: sel", True),  # \\ then a wildcard
    ("sel:\n  Image: 'C:\\Windows\\*'\ncondition: sel", False),  # \* is a literal asterisk
    ("sel:\n  CommandLine|re: 'MiniDump\\s+\\d+'\ncondition: sel", True),
    ("sel:\n  CommandLine|re|i: 'minidump\\s+\\d+'\ncondition: sel", True),
    ("sel:\n  CommandLine|re: 'minidump\\s+\\d+'\ncondition: sel", False),
    ("sel:\n  SourceIp|cidr: '10.0.0.0/8'\ncondition: sel", True),
    ("sel:\n  SourceIp|cidr: '192.168.0.0/16'\ncondition: sel", False),
    ("sel:\n  Count|gte: 15\ncondition: sel", True),
    ("sel:\n  Count|lt: 15\ncondition: sel", False),
    ("sel:\n  Missing: null\ncondition: sel", True),
    ("sel:\n  Empty: ''\ncondition: sel", True),
    ("sel:\n  Image|exists: true\n  Missing|exists: false\ncondition: sel", True),
    ("sel:\n  CommandLine|base64offset|contains: 'lsass'\ncondition: sel", False),
    ("kw:\n  - 'lsass.dmp'\ncondition: kw", True),
    ("a:\n  Image|endswith: 'rundll32.exe'\nb:\n  ParentImage|endswith: 'cmd.exe'\ncondition: a and not b", True),
    ("a:\n  Image|endswith: 'rundll32.exe'\nb:\n  ParentImage|endswith: 'explorer.exe'\ncondition: a and not b", False),
    ("sel_a:\n  User|startswith: 'CORP\\'\nsel_b:\n  IntegrityLevel: System\ncondition: 1 of sel_*", True),
    ("sel_a:\n  User|startswith: 'CORP\\'\nsel_b:\n  IntegrityLevel: System\ncondition: all of sel_*", False),
    ("sel:\n  ParentImage|fieldref: Image\ncondition: sel", False),
    ("sel:\n  CommandLine|windash|contains: '/full'\ncondition: sel", False),
])
def test_detection_semantics(detection, hit):
    assert bool(rule(detection).match_event(dict(EV))) is hit


def test_logsource_routing():
    eng = rule("sel:\n  Image|endswith: 'rundll32.exe'\ncondition: sel", logsource={"product": "linux", "service": "sshd"})
    assert eng.match_event(dict(EV)) == []
    eng = rule("sel:\n  Image|endswith: 'rundll32.exe'\ncondition: sel", logsource={"product": "windows"})
    assert len(eng.match_event(dict(EV))) == 1  # a rule naming only the product sees every Windows category


def test_alert_carries_severity_attack_entity_and_fingerprint():
    eng = rule("sel:\n  Image|endswith: 'rundll32.exe'\ncondition: sel")
    alerts = eng.match_many([dict(EV), dict(EV, _ts=1500.0), dict(EV, _ts=9000.0)])
    assert len(alerts) == 2  # same hour merged, next hour separate
    a = alerts[0]
    assert a.severity == "Alta" and "T1003.001" in a.attack and "credential-access" in a.attack
    assert a.entity == {"host.name": "ws1", "user.name": "CORP\\alice", "source.ip": "10.1.2.3"} or a.entity["host.name"] == "ws1"
    assert a.count == 2 and a.first_seen == 1000.0 and a.last_seen == 1500.0 and len(a.fingerprint) == 40


def test_bad_rules_are_skipped_with_reason(tmp_path):
    (tmp_path / "good.yml").write_text("title: ok\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n"
                                       "  condition: sel\n")
    (tmp_path / "bad.yml").write_text("title: bad\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n"
                                      "  condition: sel and missing\n")
    (tmp_path / "broken.yml").write_text("title: [unclosed\n")
    eng = SigmaEngine.from_paths([tmp_path])
    assert eng.rules_loaded == 1 and len(eng.skipped) == 2
    assert all(reason for _, reason in eng.skipped)
