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
    proc = subprocess.Popen([sys.executable, "-m", "chalicelib.local_stack", "--data-dir", str(data),
                             "--simulate", "--schedule-seconds", "5"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
            pytest.fail("local stack exited: " + proc.stdout.read())
    else:
        proc.kill()
        pytest.fail("local stack did not answer /status within 60 s")
    yield base
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out  # Ctrl-C / SIGTERM is a clean shutdown
    assert "stopped" in out
