"""Deploy-time steps shared by the local stack and the AWS deploy function: migrate, first admin."""
from __future__ import annotations

import os

from . import users
from .db import get_db
from .db.migrations import migrate


def prepare() -> dict:
    applied = migrate(get_db())
    generated = users.bootstrap_admin(os.environ.get("CYBERINCIDENT_ADMIN_PASSWORD"))
    return {"migrations_applied": applied, "admin_password_generated": generated}
