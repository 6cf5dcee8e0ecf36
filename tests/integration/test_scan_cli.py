"""``python -m detectors scan`` over real OTRF attack recordings with the SigmaHQ Windows rules."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, shared_data


def run(*args):
    return subprocess.run([sys.executable, "-m", "detectors", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_scan_finds_lsass_dump_and_sam_copy(tmp_path):
    data = shared_data()
    if not data:
        pytest.skip("../shared/data is absent")
    host = data / "otrf" / "datasets" / "atomic" / "windows" / "credential_access" / "host"
    out = tmp_path / "alerts.jsonl"
    r = run("scan", "--rules", str(data / "sigma" / "rules" / "windows"), "--input",
            str(host / "psh_lsass_memory_dump_comsvcs.zip"), str(host / "cmd_sam_copy_esentutl.zip"), "--output", str(out))
    assert r.returncode == 0, r.stderr
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    titles = {a["title"] for a in alerts}
    assert "Process Memory Dump Via Comsvcs.DLL" in titles and "Copying Sensitive Files with Credential Data" in titles
    dump = next(a for a in alerts if a["title"] == "Process Memory Dump Via Comsvcs.DLL")
    assert dump["severity"] == "Alta" and any(t.startswith("T1003") for t in dump["attack"]) and dump["samples"]
    assert "records    events  errors  skipped" in r.stderr and "Comsvcs" in r.stderr  # summary table


def test_scan_reports_bad_inputs_clearly(tmp_path):
    rules = tmp_path / "r.yml"
    rules.write_text("title: t\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  sel:\n"
                     "    event.outcome: failure\n  condition: sel\nlevel: low\n")
    logs = tmp_path / "auth.log.gz"
    import gzip

    logs.write_bytes(gzip.compress(b"Nov 22 10:00:01 h sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\n"
                                   b"this is not a log line\n"))
    r = run("scan", "--rules", str(rules), "--input", str(logs), "--no-anomaly")
    assert r.returncode == 1 and json.loads(r.stdout.splitlines()[0])["title"] == "t"  # alerts, and the error said
    assert "no parser recognises this line" in r.stderr and "'this is not a log line'" in r.stderr
    r = run("scan", "--rules", str(tmp_path / "nope"), "--input", str(logs))
    assert r.returncode == 2 and "not found" in r.stderr
    r = run("scan", "--rules", str(rules), "--input", str(tmp_path / "missing.log"))
    assert r.returncode == 2 and "input not found" in r.stderr
    corrupt = tmp_path / "bad.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08garbage")
    r = run("scan", "--rules", str(rules), "--input", str(corrupt), str(logs))
    assert r.returncode == 1 and "compressed data" in r.stderr


def test_compiled_artifact_loads_without_pysigma_and_matches_the_same(tmp_path):
    data = shared_data()
    if not data:
        pytest.skip("../shared/data is absent")
    art = tmp_path / "windows.rules.pickle"
    r = run("compile", "--rules", str(data / "sigma" / "rules" / "windows"), "--output", str(art))
    assert r.returncode == 0, r.stderr
    probe = ("import sys, time; t = time.perf_counter(); from detectors.sigma import SigmaEngine; "
             f"e = SigmaEngine.from_artifact({str(art)!r}); "
             "print(e.rules_loaded, 'sigma.rule' in sys.modules, time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    loaded, pysigma, secs = out.stdout.split()
    assert int(loaded) > 2000 and pysigma == "False"  # a cold start never parses YAML
    from detectors.parsers import ParseError, parse_json_documents
    from detectors.sigma import SigmaEngine

    yaml_engine, art_engine = SigmaEngine.from_paths([data / "sigma" / "rules" / "windows"]), SigmaEngine.from_artifact(art)
    for f in sorted((data / "sigma" / "regression_data").rglob("*.json"))[:60]:
        for ev in parse_json_documents(f.read_text()):
            if not isinstance(ev, ParseError):
                assert [x.id for x in yaml_engine.match_event(dict(ev))] == [x.id for x in art_engine.match_event(dict(ev))]
    r = run("compile", "--rules", str(data / "sigma" / "rules" / "windows"), "--output", str(tmp_path / "x.bin"))
    assert r.returncode == 2 and "must end with" in r.stderr


def test_profile_rules_names_the_costliest_rules_and_reference_gives_the_same_alerts(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for i, (needle, level) in enumerate([("Failed password", "low"), ("Accepted password", "high")]):
        (rules / f"r{i}.yml").write_text(
            f"title: rule {i}\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  sel:\n"
            f"    - '{needle}'\n  condition: sel\nlevel: {level}\n")
    (rules / "re.yml").write_text("title: regex only\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n"
                                  "  sel:\n    message|re: 'from 10\\.\\d+'\n  condition: sel\nlevel: medium\n")
    logs = tmp_path / "auth.log"
    logs.write_text("".join(f"Nov 22 10:00:{i % 60:02d} h sshd[1]: {'Failed' if i % 3 else 'Accepted'} password for "
                            f"u{i % 5} from 10.0.0.{i % 7} port 22 ssh2\n" for i in range(300)))
    fast, ref = tmp_path / "fast.jsonl", tmp_path / "ref.jsonl"
    r = run("scan", "--rules", str(rules), "--input", str(logs), "--no-anomaly", "--output", str(fast),
            "--profile-rules", "2")
    assert r.returncode == 0, r.stderr
    report = r.stderr[r.stderr.index("rule cost:"):].splitlines()
    assert "rules evaluated an event" in report[0] and "share" in report[1]
    assert len(report) == 4 and all(line.split()[0].endswith("%") for line in report[2:])  # the two costliest
    assert any("rule 0" in line or "regex only" in line for line in report[2:])
    r = run("scan", "--rules", str(rules), "--input", str(logs), "--no-anomaly", "--output", str(ref), "--reference")
    assert r.returncode == 0 and "reference evaluation" in r.stderr
    alerts = lambda p: sorted((a["rule_id"], a["fingerprint"], a["count"]) for a in map(json.loads, p.open()))  # noqa: E731
    assert alerts(fast) == alerts(ref) and len(alerts(fast)) >= 3
