"""Deploy-time steps shared by the local stack and the AWS deploy function: migrate, first admin."""
from __future__ import annotations

import os
from pathlib import Path

from . import users
from .db import get_db
from .db.migrations import migrate


def prepare() -> dict:
    applied = migrate(get_db())
    generated = users.bootstrap_admin(os.environ.get("CYBERINCIDENT_ADMIN_PASSWORD"))
    return {"migrations_applied": applied, "admin_password_generated": generated}


def write_private(path: Path, text: str) -> None:
    """Created with mode 0600 (not chmod-ed after the fact, when another user may already have opened it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC
