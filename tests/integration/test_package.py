"""``chalice package`` builds the Lambda zip with the engine, the pages and their assets at its root."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_lambda_zip_holds_detectors_templates_and_static(tmp_path):
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")}
    r = subprocess.run([str(chalice), "package", "--stage", "dev", str(tmp_path / "out")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    names = set(zipfile.ZipFile(tmp_path / "out" / "deployment.zip").namelist())
    for required in ("app.py", "chalicelib/incidents.py", "detectors/__init__.py", "detectors/alerts.py",
                     "detectors/sigma/engine.py", "detectors/rules/sigma/ssh_root_login/rule.yml",
                     "templates/base.html", "static/bootstrap.min.css"):
        assert required in names, required
    assert not any(n.startswith(("tests/", ".local/", ".venv/")) for n in names)
    assert (tmp_path / "out" / "sam.json").exists()
