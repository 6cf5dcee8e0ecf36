"""The analyzer's container: a slim non-root image whose requirements cover every module a scan imports."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT

PROBE = r"""
import json, sys, tempfile, os
os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "probe.db")
from chalicelib import aws
from chalicelib.db import get_db
from chalicelib.db.migrations import migrate
from chalicelib.deepscan import __main__, job, parallel, report, launcher, findings, summary
from chalicelib import scans
migrate(get_db())
parallel.scanner_factory({"rules": {"mode": "all"}, "indicators": {"ips": ["192.0.2.1"]}})()
aws.client("s3"); aws.client("ecs")
scan = {"id": 1, "state": "done", "from": "a", "to": "b", "rules": {"mode": "all"}, "devices": [], "sources": [],
        "indicators": {}, "incident_id": None, "created_by": "x", "created_at": "c", "progress": {"objects_done": 0,
        "objects_total": 0, "bytes_done": 0, "events": 0}, "seconds": 1, "workers": 1, "summary": None,
        "findings": 0, "new_alerts": 0}
report.html({"scan": scan, "findings": []})
import pymysql
print(json.dumps(sorted({m.split(".")[0] for m in list(sys.modules)} - set(sys.stdlib_module_names))))
"""


# imported when present, not needed: pymysql's sha256 password auth (RDS Proxy authenticates with IAM over TLS);
# setuptools' import hook in a venv
OPTIONAL = {"cryptography", "_distutils_hack"}


def _closure(names: list[str]) -> set[str]:
    from importlib import metadata

    seen, todo = set(), [n.lower().replace("_", "-") for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for r in reqs:
            if "extra ==" in r:
                continue
            todo.append(re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0].lower().replace("_", "-"))
    return seen


def test_every_module_a_scan_imports_comes_from_the_analyzer_requirements():
    from importlib import metadata

    wanted = [re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0] for line in
              (ROOT / "requirements-analyzer.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    allowed = _closure(wanted)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    dists = metadata.packages_distributions()
    missing = {}
    for mod in json.loads(out.stdout.strip().splitlines()[-1]):
        if mod in ("chalicelib", "detectors", "tests") or mod in OPTIONAL or mod.startswith("_") and mod not in dists:
            continue
        owners = {d.lower().replace("_", "-") for d in dists.get(mod, [])}
        if owners and not owners & allowed:
            missing[mod] = sorted(owners)
    assert not missing, f"imported by a scan but not in requirements-analyzer.txt: {missing}"
    assert "chalice" not in json.loads(out.stdout.strip().splitlines()[-1])  # the web layer stays out


def test_the_image_is_slim_runs_as_a_user_and_starts_the_analyzer():
    from chalicelib.deepscan.launcher import command

    text = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert bases and all(b.endswith("-slim") for b in bases)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert text.index("USER") > max(text.index("COPY detectors"), text.rindex("RUN "))  # nothing runs as root after
    assert re.search(r'^ENTRYPOINT \["python"\]', text, re.M)
    assert command(7) == ["python", "-m", "chalicelib.deepscan", "--scan-id", "7"]  # ECS overrides the CMD with the rest
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ignored[0] == "*" and "!.venv" not in ignored  # only what the image needs goes in the context
