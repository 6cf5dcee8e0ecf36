"""The local stack ``make run`` starts, as the end-to-end tests meet it: one per test module."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chalicelib.local_stack import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-admin-password-42"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp("stack")
    env = {**os.environ, "CYBERINCIDENT_ADMIN_PASSWORD": PASSWORD, "PORT": str(port), "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("SECRET_KEY", None)
    log = data / "stack.log"  # a file, not a pipe: a pipe nobody reads fills up and blocks every thread that logs
    out_fh = open(log, "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "chalicelib.local_stack", "--data-dir", str(data),
                             "--simulate", "--schedule-seconds", "5"], cwd=ROOT,
                            env=env, stdout=out_fh, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/status", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            pytest.fail("local stack exited: " + log.read_text(errors="replace"))
    else:
        proc.kill()
        pytest.fail("local stack did not answer /status within 60 s")
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    out_fh.close()
    out = log.read_text(errors="replace")
    assert proc.returncode == 0, out[-5000:]  # Ctrl-C / SIGTERM is a clean shutdown
    assert "stopped" in out
