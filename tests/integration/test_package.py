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
    r = subprocess.run([str(chalice), "package", "--stage", "dev", "--merge-template", "infra/template.json",
                        str(tmp_path / "out")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    names = set(zipfile.ZipFile(tmp_path / "out" / "deployment.zip").namelist())
    for required in ("app.py", "chalicelib/incidents.py", "detectors/__init__.py", "detectors/alerts.py",
                     "detectors/sigma/engine.py", "detectors/rules/sigma/ssh_root_login/rule.yml",
                     "templates/base.html", "static/bootstrap.min.css"):
        assert required in names, required
    assert not any(n.startswith(("tests/", ".local/", ".venv/")) for n in names)
    assert (tmp_path / "out" / "sam.json").exists()

    import json

    template = json.loads((tmp_path / "out" / "sam.json").read_text())
    mapping = template["Resources"]["StreamIngest"]["Properties"]["Events"]["StreamIngestKinesisEventSource"]["Properties"]
    # without these Lambda silently skips the records a batch reports as failed
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True and mapping["MaximumRetryAttempts"] >= 1
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert mapping["BatchSize"] == 1000 and mapping["StartingPosition"] == "TRIM_HORIZON"
    env_vars = template["Resources"]["StreamIngest"]["Properties"]["Environment"]["Variables"]
    assert env_vars["DLQ_URL"] == {"Ref": "DeadLetterQueue"} and "DEFAULT_LANGUAGE" in env_vars  # merged, not replaced
