"""Login throttling that slows a guesser without locking the owner out.

Each attempt is written *before* its password is checked (``exito`` 0), so concurrent attempts see each other:
the rank of an attempt among the failures counts the ones still in flight, and at most ``PAIR_FREE`` passwords
are ever checked before the delays start, however many requests race. An attempt refused by a delay is marked
``exito`` 2 and does not count as a guess, so waiting is enough to get in again. Three scopes, each with its own
free allowance and then a delay that doubles per failure (2 s, 4 s, 8 s … at most 15 minutes):

- the account from one source (``PAIR_FREE`` 5): what the owner who forgot a password meets;
- the account from every source (``ACCOUNT_FREE`` 50): a spray against one account; a source that logged in to it
  successfully in the last 30 days is spared (the owner keeps working while the account is attacked), and the
  first time it trips an admin-visible audit line (``cuenta_bajo_ataque``) is written;
- one source against every account (``SOURCE_FREE`` 20): credential stuffing; skipped when the source is unknown
  (``None`` locally), so one attacker cannot slow everyone behind the same missing address.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from . import audit
from .timeutil import ago_str, now_str, parse

PAIR_FREE, ACCOUNT_FREE, SOURCE_FREE = 5, 50, 20
WINDOW_S = 15 * 60
MAX_DELAY_S = 15 * 60
KNOWN_SOURCE_S = 30 * 86400
FAILED, OK, REFUSED = 0, 1, 2


def delay(failures: int, free: int) -> int:
    """Seconds to wait after the last failure, once ``free`` failures are spent (2 s first: times are stored to
    the second, so a 1 s wait could read as already over)."""
    return 0 if failures < free else min(MAX_DELAY_S, 2 ** (failures - free + 1))


def begin(db: Any, username: str, ip: str | None) -> tuple[int, int]:
    """Record the attempt; returns (its id, seconds the caller must still wait: 0 to check the password)."""
    attempt, _ = db.execute("INSERT INTO intentos_login (nombre_usuario, ip, exito, fecha) VALUES (%s, %s, %s, %s)",
                            (username, ip, FAILED, now_str()))
    since = ago_str(WINDOW_S)
    wait = _wait(db, "nombre_usuario = %s AND ip = %s" if ip else "nombre_usuario = %s AND ip IS NULL",
                 (username, ip) if ip else (username,), attempt, since, PAIR_FREE)
    if not wait and not (ip and _known_source(db, username, ip)):
        wait = _wait(db, "nombre_usuario = %s", (username,), attempt, since, ACCOUNT_FREE)
        if wait and not db.scalar("SELECT COUNT(*) AS n FROM auditoria WHERE accion = 'cuenta_bajo_ataque' AND "
                                  "objeto = %s AND fecha >= %s", (username, since)):
            audit.record("system", "cuenta_bajo_ataque", username, f"{ACCOUNT_FREE} failed logins in "
                                                                      f"{WINDOW_S // 60} minutes")
    if not wait and ip:
        wait = _wait(db, "ip = %s", (ip,), attempt, since, SOURCE_FREE)
    if wait:
        db.execute("UPDATE intentos_login SET exito = %s WHERE id = %s", (REFUSED, attempt))
    return attempt, wait


def finish(db: Any, attempt: int, ok: bool) -> None:
    if ok:
        db.execute("UPDATE intentos_login SET exito = %s WHERE id = %s", (OK, attempt))


def _failures(db: Any, scope: str, args: tuple, attempt: int, since: str) -> tuple[int, Any]:
    """Failures (in flight ones included) up to this attempt, since the scope's last success in the window."""
    last_ok = db.scalar(f"SELECT MAX(id) AS m FROM intentos_login WHERE {scope} AND exito = {OK} AND id < %s",
                        (*args, attempt)) or 0
    row = db.one(f"SELECT COUNT(*) AS n, MAX(fecha) AS last FROM intentos_login WHERE {scope} AND exito = {FAILED} "
                 "AND fecha >= %s AND id > %s AND id < %s", (*args, since, last_ok, attempt)) or {}
    return int(row.get("n") or 0) + 1, row.get("last")  # + this attempt


def _wait(db: Any, scope: str, args: tuple, attempt: int, since: str, free: int) -> int:
    n, last = _failures(db, scope, args, attempt, since)
    need = delay(n - 1, free)
    if not need:
        return 0
    last_at = parse(last) or datetime.now(timezone.utc)
    left = need - int((datetime.now(timezone.utc) - last_at).total_seconds())
    return max(1, left) if left > 0 else 0


def _known_source(db: Any, username: str, ip: str) -> bool:
    return bool(db.scalar("SELECT COUNT(*) AS n FROM intentos_login WHERE nombre_usuario = %s AND ip = %s AND "
                          f"exito = {OK} AND fecha >= %s", (username, ip, ago_str(KNOWN_SOURCE_S))))
