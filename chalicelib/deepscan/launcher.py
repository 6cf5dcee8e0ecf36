"""Start, watch and stop the analyzer behind one interface: an ECS Fargate task in AWS, a local process under
``make run``. The scan row stores ``lanzador`` and ``tarea`` so any container can ask about it later.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .. import aws
from ..config import get_settings

ROOT = Path(__file__).resolve().parents[2]


def command(scan_id: int) -> list[str]:
    return ["python", "-m", "chalicelib.deepscan", "--scan-id", str(int(scan_id))]


class LaunchError(Exception):
    pass


class LocalLauncher:
    """One child process per scan, on this machine (the local stack's Lambda and schedule share a process)."""
    name = "local"
    _procs: dict[int, subprocess.Popen] = {}

    def launch(self, scan_id: int, env: dict[str, str]) -> str:
        log = Path(os.environ.get("CYBERINCIDENT_DATA", ROOT / ".local")) / "scans"
        log.mkdir(parents=True, exist_ok=True)
        with open(log / f"scan-{int(scan_id)}.log", "ab") as out:
            proc = subprocess.Popen([sys.executable, *command(scan_id)[1:]], cwd=ROOT, stdout=out, stderr=out,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env={**os.environ, **env})
        self._procs[proc.pid] = proc
        return str(proc.pid)

    def status(self, task: str) -> tuple[bool, str | None]:
        """(still running, why it stopped)."""
        pid = int(task)
        proc = self._procs.get(pid)
        if proc is not None:
            code = proc.poll()
            if code is None:
                return True, None
            return False, (f"the analyzer was killed by signal {-code}" if code < 0 else
                           f"the analyzer exited with code {code}")
        try:
            with open(f"/proc/{pid}/stat") as fh:
                alive = fh.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
        except OSError:
            alive = False
        return alive, None if alive else "the analyzer process is gone"

    def stop(self, task: str) -> None:
        try:
            os.kill(int(task), 15)
        except (OSError, ValueError):
            pass


class EcsLauncher:
    """``RunTask`` on Fargate with the scan id in the container's command; private subnets, no public IP."""
    name = "ecs"

    def launch(self, scan_id: int, env: dict[str, str]) -> str:
        s = get_settings()
        net = {"subnets": list(s.ecs_subnets), "securityGroups": list(s.ecs_security_groups), "assignPublicIp": "DISABLED"}
        out = aws.client("ecs").run_task(
            cluster=s.ecs_cluster, taskDefinition=s.ecs_task_definition, launchType="FARGATE", count=1,
            networkConfiguration={"awsvpcConfiguration": net}, startedBy=f"scan-{int(scan_id)}"[:36],
            overrides={"containerOverrides": [{"name": s.ecs_container, "command": command(scan_id)[1:],
                                               "environment": [{"name": k, "value": v} for k, v in env.items()]}]})
        if out.get("failures") or not out.get("tasks"):
            reasons = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in out.get("failures", []))
            raise LaunchError(f"ECS could not start the analyzer: {reasons or 'no task returned'}")
        return out["tasks"][0]["taskArn"]

    def status(self, task: str) -> tuple[bool, str | None]:
        s = get_settings()
        out = aws.client("ecs").describe_tasks(cluster=s.ecs_cluster, tasks=[task])
        if not out.get("tasks"):
            return False, "ECS no longer knows the task"
        t = out["tasks"][0]
        if t.get("lastStatus") != "STOPPED":
            return True, None
        codes = [f"{c.get('name')} exit code {c.get('exitCode')} {c.get('reason') or ''}".strip()
                 for c in t.get("containers", []) if c.get("exitCode") not in (None, 0) or c.get("reason")]
        return False, "; ".join([t.get("stoppedReason") or "task stopped", *codes])

    def stop(self, task: str) -> None:
        aws.client("ecs").stop_task(cluster=get_settings().ecs_cluster, task=task, reason="scan cancelled")


LAUNCHERS: dict[str, Any] = {"local": LocalLauncher, "ecs": EcsLauncher}


def get(name: str | None = None) -> Any:
    name = name or get_settings().scan_launcher
    if name not in LAUNCHERS:
        raise LaunchError(f"unknown SCAN_LAUNCHER {name!r}; use {', '.join(LAUNCHERS)}")
    return LAUNCHERS[name]()
