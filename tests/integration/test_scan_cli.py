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
