"""The deploy function: migrations and the first admin, run by CloudFormation on every deploy (a custom resource)
or invoked by hand (``aws lambda invoke``). It answers CloudFormation itself, so a failed migration fails the
deploy with its reason instead of leaving the stack waiting an hour."""
from __future__ import annotations

import json
import logging
import os
import time
import urllib.request
from typing import Any

log = logging.getLogger(__name__)


def _admin_password() -> str | None:
    arn = os.environ.get("ADMIN_SECRET_ARN")
    if not arn:
        return os.environ.get("CYBERINCIDENT_ADMIN_PASSWORD")
    from . import secret_store

    return secret_store.current(arn)


def _with_retries(step: Any, attempts: int = 12, pause_s: float = 10.0) -> Any:
    """On a first deploy the proxy's target may still be registering: wait for it (two minutes at most)."""
    from .db import reset_db
    from .db.connection import DatabaseUnavailable

    for i in range(attempts):
        try:
            return step()
        except DatabaseUnavailable as exc:
            if i == attempts - 1:
                raise
            log.warning("database not reachable yet (%s); retrying in %.0f s", exc, pause_s)
            reset_db()
            time.sleep(pause_s)


def run() -> dict[str, Any]:
    from . import users
    from .db import get_db
    from .db.migrations import migrate

    applied = _with_retries(lambda: migrate(get_db()))
    users.bootstrap_admin(_admin_password())  # only when there is no user yet
    return {"migrations_applied": applied, "users": int(get_db().scalar("SELECT COUNT(*) AS n FROM usuarios") or 0)}


def _answer(event: dict[str, Any], context: Any, ok: bool, reason: str, data: dict[str, Any]) -> None:
    body = json.dumps({"Status": "SUCCESS" if ok else "FAILED", "Reason": reason[:3000],
                       "PhysicalResourceId": event.get("PhysicalResourceId") or "cyberincident-migrations",
                       "StackId": event["StackId"], "RequestId": event["RequestId"],
                       "LogicalResourceId": event["LogicalResourceId"],
                       "Data": {k: str(v) for k, v in data.items()}}).encode()
    req = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                 headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - the pre-signed URL CloudFormation gave us
        r.read()


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if "ResponseURL" not in event:  # invoked by hand
        return run()
    if event.get("RequestType") == "Delete":  # deleting the stack keeps the data
        _answer(event, context, True, "nothing to undo", {})
        return {}
    try:
        out = run()
    except Exception as exc:
        log.exception("deploy step failed")
        _answer(event, context, False, f"{type(exc).__name__}: {exc}", {})
        return {"error": str(exc)}
    _answer(event, context, True, f"migrations applied: {out['migrations_applied']}", out)
    return out
