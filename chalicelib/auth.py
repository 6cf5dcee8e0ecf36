"""Bearer tokens for the JSON API and signed session cookies with CSRF tokens for the pages.

Both carry the user's id and a version number; bumping the version in ``usuarios`` revokes them.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from . import users
from .config import get_settings
from .errors import Forbidden, Unauthorized

TOKEN_HOURS = 12
SESSION_COOKIE = "ci_session"


def signing_keys() -> list[str]:
    """The keys that verify, oldest first; the last one signs (itsdangerous' key rotation). From SECRET_KEY, or
    from Secrets Manager (``secret_store``): the current key and, during a rotation, the previous one."""
    s = get_settings()
    if s.secret_key:
        return [s.secret_key]
    if s.secret_key_arn:
        from . import secret_store

        current, previous = secret_store.current(s.secret_key_arn), secret_store.previous(s.secret_key_arn)
        return [previous, current] if previous and previous != current else [current]
    raise RuntimeError("SECRET_KEY or SECRET_KEY_ARN must be set (the local stack generates one)")


def secret_key() -> str:
    """The key that signs now."""
    return signing_keys()[-1]


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def mac(message: str) -> str:
    return _mac(secret_key(), message)


def mac_matches(message: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is the MAC of ``message`` under any key that still verifies."""
    return bool(submitted) and any(hmac.compare_digest(_mac(k, message), submitted) for k in signing_keys())


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(), salt=salt)


def issue_token(user: dict[str, Any]) -> dict[str, Any]:
    token = _serializer("api-token").dumps({"u": user["id"], "v": user["version_token"]})
    return {"token": token, "token_type": "Bearer", "expires_in": TOKEN_HOURS * 3600}


def user_from_token(token: str) -> dict[str, Any]:
    try:
        data = _serializer("api-token").loads(token, max_age=TOKEN_HOURS * 3600)
    except SignatureExpired:
        raise Unauthorized("Token caducado / Token expired", code="token_expired")
    except BadSignature:
        raise Unauthorized("Token no válido / Invalid token", code="invalid_token")
    user = users.get(int(data["u"]))
    if not user or not user["activo"] or user["version_token"] != data["v"]:
        raise Unauthorized("Token revocado / Token revoked", code="invalid_token")
    return user


def new_session(user: dict[str, Any]) -> str:
    return _serializer("session").dumps({"u": user["id"], "v": user["version_sesion"], "n": secrets.token_urlsafe(16)})


def session_data(cookie_value: str | None) -> tuple[dict[str, Any], str] | None:
    """(user, nonce) for a valid session cookie, else None."""
    if not cookie_value:
        return None
    try:
        data = _serializer("session").loads(cookie_value, max_age=get_settings().session_hours * 3600)
    except BadSignature:
        return None
    user = users.get(int(data["u"]))
    if not user or not user["activo"] or user["version_sesion"] != data["v"]:
        return None
    return user, data["n"]


def csrf_token(nonce: str) -> str:
    return mac(f"csrf:{nonce}")


def check_csrf(nonce: str, submitted: str | None) -> None:
    if not mac_matches(f"csrf:{nonce}", submitted):
        raise Forbidden("Token CSRF ausente o no válido; recargue la página / Missing or invalid CSRF token",
                        code="csrf_failed")


def require_role(user: dict[str, Any], role: str) -> None:
    if users.ROLE_RANK.get(user["rol"], 0) < users.ROLE_RANK[role]:
        raise Forbidden(f"Se requiere el rol {role} / Role {role} required", {"required_role": role})
