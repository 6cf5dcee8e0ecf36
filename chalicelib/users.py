"""Users, roles and password checks (argon2id), with login throttling against guessing."""
from __future__ import annotations

import re
import secrets
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit, login_throttle
from .db import get_db
from .errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationError
from .timeutil import iso, now_str

ROLES = ("viewer", "analyst", "admin")
ROLE_RANK = {"viewer": 1, "analyst": 2, "admin": 3}
LANGUAGES = ("es", "en")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,100}$")

HASH_PROFILE = profiles.RFC_9106_LOW_MEMORY  # argon2id, 64 MiB, t=3, p=4 (tests swap in a cheap one: conftest)
_hasher = PasswordHasher.from_parameters(HASH_PROFILE)
_DUMMY_HASH = _hasher.hash("timing-equaliser")

COLUMNS = "id, nombre_usuario, rol, activo, idioma, version_token, version_sesion, fecha_creacion"


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "username": row["nombre_usuario"], "role": row["rol"],
            "active": bool(row["activo"]), "language": row.get("idioma"), "created_at": iso(row["fecha_creacion"])}


MIN_SCORE = 3  # zxcvbn: 3 is "safely unguessable: moderate protection from an offline slow-hash scenario"


def validate_password(password: str, username: str | None = None) -> None:
    """At least 12 characters, not one of the 30,000 commonest passwords of public breaches (zxcvbn's list, kept
    locally: nothing leaves the server), and a strength estimate (zxcvbn, told the user name) of ``MIN_SCORE``."""
    if not isinstance(password, str) or len(password.strip()) < 12:
        raise ValidationError("La contraseña debe tener al menos 12 caracteres / Password must be at least 12 characters",
                              {"password": "min_length_12"})
    if len(password) > 256:
        raise ValidationError("Password too long", {"password": "max_length_256"})
    from zxcvbn import zxcvbn
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    if password.lower() in _breached(FREQUENCY_LISTS):
        raise ValidationError("Contraseña filtrada en brechas públicas / A password known from public breaches",
                              {"password": "breached"})
    verdict = zxcvbn(password[:100], user_inputs=[username] if username else [])
    if verdict["score"] < MIN_SCORE:
        hint = verdict["feedback"].get("warning") or " ".join(verdict["feedback"].get("suggestions") or [])
        raise ValidationError("Contraseña demasiado fácil de adivinar / Password too easy to guess"
                              + (f": {hint}" if hint else ""), {"password": "too_weak"})


_BREACHED: set[str] = set()


def _breached(lists: dict[str, list[str]]) -> set[str]:
    if not _BREACHED:
        _BREACHED.update(lists["passwords"])
    return _BREACHED


def get(user_id: int) -> dict[str, Any] | None:
    return get_db().one(f"SELECT {COLUMNS} FROM usuarios WHERE id = %s", (user_id,))


def by_name(username: str) -> dict[str, Any] | None:
    return get_db().one(f"SELECT {COLUMNS}, hash_contrasena FROM usuarios WHERE nombre_usuario = %s", (username,))


def list_users() -> list[dict[str, Any]]:
    return get_db().query(f"SELECT {COLUMNS} FROM usuarios ORDER BY nombre_usuario")


def create(username: str, password: str, role: str, actor: str, language: str | None = None) -> dict[str, Any]:
    errors = {name: "must be a string" for name, v in (("username", username), ("password", password),
                                                      ("role", role), ("language", language))
              if v is not None and not isinstance(v, str)}
    if errors:
        raise ValidationError("Datos de usuario no válidos / Invalid user data", errors)
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        errors["username"] = "3-100 letters, digits or . _ @ -"
    if role not in ROLES:
        errors["role"] = f"one of {', '.join(ROLES)}"
    if language is not None and language not in LANGUAGES:
        errors["language"] = "es or en"
    if errors:
        raise ValidationError("Datos de usuario no válidos / Invalid user data", errors)
    validate_password(password, username)
    if by_name(username):
        raise Conflict(f"El usuario {username} ya existe / User already exists", {"username": "taken"})
    uid, _ = get_db().execute(
        "INSERT INTO usuarios (nombre_usuario, hash_contrasena, rol, activo, idioma, version_token, version_sesion, "
        "fecha_creacion) VALUES (%s, %s, %s, 1, %s, 0, 0, %s)",
        (username, _hasher.hash(password), role, language, now_str()))
    audit.record(actor, "usuario_creado", username, f"rol={role}")
    return get(uid)  # type: ignore[return-value]


def update(user_id: int, actor: str, *, role: str | None = None, active: bool | None = None,
           password: str | None = None, language: str | None = None) -> dict[str, Any]:
    wrong = {name: "must be a string" for name, v in (("role", role), ("password", password), ("language", language))
             if v is not None and not isinstance(v, str)}
    if wrong:
        raise ValidationError("Datos de usuario no válidos / Invalid user data", wrong)
    row = get(user_id)
    if not row:
        raise NotFound("Usuario no encontrado / User not found")
    sets, params, notes = [], [], []
    if role is not None:
        if role not in ROLES:
            raise ValidationError("Rol no válido / Invalid role", {"role": f"one of {', '.join(ROLES)}"})
        if row["rol"] == "admin" and role != "admin" and _active_admins() <= 1:
            raise Conflict("No se puede quitar el último administrador / Cannot demote the last admin")
        sets.append("rol = %s"); params.append(role); notes.append(f"rol {row['rol']}→{role}")
    if active is not None:
        if not active and row["rol"] == "admin" and _active_admins() <= 1:
            raise Conflict("No se puede desactivar el último administrador / Cannot deactivate the last admin")
        sets.append("activo = %s"); params.append(1 if active else 0); notes.append(f"activo={int(active)}")
    if password is not None:
        validate_password(password, row["nombre_usuario"])
        sets.append("hash_contrasena = %s"); params.append(_hasher.hash(password)); notes.append("contraseña")
    if language is not None:
        if language not in LANGUAGES:
            raise ValidationError("Idioma no válido / Invalid language", {"language": "es or en"})
        sets.append("idioma = %s"); params.append(language)
    if role is not None or active is not None or password is not None:
        # Role, status or password changes end every existing session and token of that user.
        sets.append("version_token = version_token + 1")
        sets.append("version_sesion = version_sesion + 1")
    if sets:
        get_db().execute(f"UPDATE usuarios SET {', '.join(sets)} WHERE id = %s", (*params, user_id))
        if notes:
            audit.record(actor, "usuario_modificado", row["nombre_usuario"], "; ".join(notes))
    return get(user_id)  # type: ignore[return-value]


def _active_admins() -> int:
    return int(get_db().scalar("SELECT COUNT(*) AS n FROM usuarios WHERE rol = 'admin' AND activo = 1") or 0)


def authenticate(username: str, password: str, ip: str | None) -> dict[str, Any]:
    """Check a password, unless the throttle (``login_throttle``) says this attempt must wait."""
    username = (username or "").strip()[:100]
    db = get_db()
    attempt, wait = login_throttle.begin(db, username, ip)
    if wait:
        raise TooManyRequests(f"Demasiados intentos fallidos; espere {wait} s / Too many failed attempts; "
                              f"retry in {wait} s", {"retry_after": wait})
    row = by_name(username) if username else None
    ok = False
    try:
        ok = _hasher.verify(row["hash_contrasena"] if row else _DUMMY_HASH, password or "") and bool(row)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and bool(row and row["activo"])
    login_throttle.finish(db, attempt, ok)
    if not ok:
        raise Unauthorized("Usuario o contraseña incorrectos / Invalid username or password", code="invalid_credentials")
    if _hasher.check_needs_rehash(row["hash_contrasena"]):
        db.execute("UPDATE usuarios SET hash_contrasena = %s WHERE id = %s", (_hasher.hash(password), row["id"]))
    return row  # type: ignore[return-value]


def bump_session_version(user_id: int) -> None:
    get_db().execute("UPDATE usuarios SET version_sesion = version_sesion + 1 WHERE id = %s", (user_id,))


def bump_token_version(user_id: int) -> None:
    get_db().execute("UPDATE usuarios SET version_token = version_token + 1 WHERE id = %s", (user_id,))


def bootstrap_admin(password: str | None) -> str | None:
    """Create the first admin if there is no user yet; return the generated password when one was made."""
    if get_db().scalar("SELECT COUNT(*) AS n FROM usuarios"):
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(18)
    create("admin", password, "admin", actor="system")
    return generated
