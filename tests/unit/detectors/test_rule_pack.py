"""The project's rule pack: every rule's positive events raise it and its negative events do not."""
import shutil
import subprocess
import sys

from detectors.rule_tests import RULES_DIR, run_rule_tests
from tests.conftest import ROOT


def test_python_m_detectors_test_passes():
    r = subprocess.run([sys.executable, "-m", "detectors", "test"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout and r.stdout.count("PASS") >= 10 and "ci-anomaly-brute-force" in r.stdout


def test_a_rule_that_misses_its_positive_fails(tmp_path):
    shutil.copytree(RULES_DIR / "ssh_root_login", tmp_path / "ssh_root_login")
    (tmp_path / "ssh_root_login" / "positive.log").write_text(
        "Nov 22 10:00:01 db1 sshd[411]: Accepted password for alice from 203.0.113.50 port 40000 ssh2\n")
    (tmp_path / "ssh_root_login" / "negative.log").unlink()
    [result] = run_rule_tests(tmp_path)
    assert not result.passed
    assert any("did not match" in p for p in result.problems) and any("missing" in p for p in result.problems)
