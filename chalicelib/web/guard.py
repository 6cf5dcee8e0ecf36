"""Every handler declares the role it needs; these decorators authenticate, authorise and shape errors.

The route × role test matrix relies on this being the only way a handler is reached.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from .. import auth
from ..outage import is_outage
from ..errors import AppError, ServiceUnavailable, Unauthorized
from . import http

log = logging.getLogger(__name__)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def api(role: str | None) -> Callable:
    """JSON endpoint: Bearer token (or a page session plus ``X-CSRF-Token`` for same-site scripts)."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def handler(req: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                user = None
                if role is not None:
                    user = _api_user(req)
                    auth.require_role(user, role)
                result = fn(req, user, *args, **kwargs)
                return result if hasattr(result, "status_code") else http.json_response(result)
            except AppError as err:
                return http.error_response(err)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.exception("database or AWS unavailable")
                return http.error_response(_unavailable())
        handler.required_role = role  # type: ignore[attr-defined]
        return handler
    return wrap


def _api_user(req: Any) -> dict[str, Any]:
    authz = http.header(req, "authorization") or ""
    if authz.lower().startswith("bearer "):
        return auth.user_from_token(authz[7:].strip())
    session = auth.session_data(http.cookies(req).get(auth.SESSION_COOKIE))
    if session:
        user, nonce = session
        if req.method in UNSAFE:
            auth.check_csrf(nonce, http.header(req, "x-csrf-token"))
        return user
    raise Unauthorized("Se requiere autenticación / Authentication required")


def page(role: str | None) -> Callable:
    """HTML page: session cookie; anonymous users go to the login page; forms must carry the CSRF token."""
    from .render import error_page  # late: render imports guard's neighbours

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def handler(req: Any, *args: Any, **kwargs: Any) -> Any:
            ctx: dict[str, Any] = {"user": None, "csrf": None}
            try:
                if role is not None:
                    session = auth.session_data(http.cookies(req).get(auth.SESSION_COOKIE))
                    if not session:
                        return http.redirect("/login?next=" + http.quote_path(http.current_path(req)))
                    user, nonce = session
                    ctx = {"user": user, "csrf": auth.csrf_token(nonce), "nonce": nonce}
                    auth.require_role(user, role)
                    if req.method in UNSAFE:
                        auth.check_csrf(nonce, http.form(req).get("csrf_token"))
                return fn(req, ctx, *args, **kwargs)
            except AppError as err:
                return error_page(req, ctx, err)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.exception("database or AWS unavailable")
                return error_page(req, ctx, _unavailable())
        handler.required_role = role  # type: ignore[attr-defined]
        return handler
    return wrap


def role_of(view: Any, module_globals: dict[str, Any]) -> str | None | bool:
    """The role a route needs, read from the guarded function its view calls (``api.token(req())`` →
    ``api.token.required_role``); False when the view calls none, which the route × role matrix refuses."""
    names = view.__code__.co_names
    for i, name in enumerate(names[:-1]):
        target = getattr(module_globals.get(name), names[i + 1], None)
        if target is not None and hasattr(target, "required_role"):
            return target.required_role
    return False


RETRY_AFTER_S = 5


def _unavailable() -> ServiceUnavailable:
    """A locked, failing-over or unreachable database (or AWS endpoint): try again shortly, nothing was lost."""
    return ServiceUnavailable("Servicio no disponible, reintente en unos segundos / Service unavailable, retry "
                              "in a few seconds", {"retry_after": RETRY_AFTER_S})
