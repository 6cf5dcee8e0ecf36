"""Request parsing and response shaping shared by pages and the JSON API."""
from __future__ import annotations

import json
import os
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from chalice import Response

from ..config import get_settings
from ..errors import AppError, NotFound, ValidationError
from ..history import as_id

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def csp() -> str:
    """Strict policy; the only other origin is the evidence bucket, for direct uploads."""
    s = get_settings()
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    s3 = endpoint.rstrip("/") if endpoint else (f"https://{s.evidence_bucket}.s3.{s.region}.amazonaws.com "
                                                f"https://{s.evidence_bucket}.s3.amazonaws.com")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self' {s3}; form-action 'self' {s3}; frame-ancestors 'none'; base-uri 'none'; "
            "object-src 'none'")


def absolute_url(req: Any, path: str) -> str:
    host = header(req, "host") or "127.0.0.1"
    proto = header(req, "x-forwarded-proto") or ("https" if get_settings().secure_cookies else "http")
    return f"{proto}://{host}{url(path)}"


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", csp())
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if get_settings().secure_cookies:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def header(req: Any, name: str) -> str | None:
    headers = req.headers or {}
    return headers.get(name) or headers.get(name.lower())


def cookies(req: Any) -> dict[str, str]:
    raw = header(req, "cookie")
    if not raw:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return {}
    return {k: m.value for k, m in jar.items()}


def form(req: Any) -> dict[str, str]:
    """URL-encoded form body -> first value of each field (parsed once per request: guard and handler share it)."""
    cached = getattr(req, "_ci_form", None)
    if cached is not None:
        return cached
    body = req.raw_body or b""
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("Formulario no válido / Invalid form data")
    req._ci_form = {k: v[0] for k, v in parsed.items()}
    req._ci_form_all = parsed
    return req._ci_form


def form_list(req: Any, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes)."""
    form(req)
    return [v for v in req._ci_form_all.get(name, []) if v]


def json_body(req: Any) -> dict[str, Any]:
    body = req.raw_body
    if not body:
        raise ValidationError("Falta el cuerpo JSON / A JSON body is required")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("JSON no válido / Invalid JSON", {"parse_error": str(exc)[:200]})
    except RecursionError:
        raise ValidationError("JSON no válido / Invalid JSON", {"parse_error": "nested too deeply"}) from None
    if not isinstance(data, dict):
        raise ValidationError("Se esperaba un objeto JSON / A JSON object is expected")
    return data


def query(req: Any) -> dict[str, str]:
    return dict(req.query_params or {})


def client_ip(req: Any) -> str | None:
    ctx = getattr(req, "context", None) or {}
    return (ctx.get("identity") or {}).get("sourceIp")


def paging(result: dict[str, Any], base: str, q: dict[str, str]) -> dict[str, Any]:
    """What the ``pager`` macro needs for a search result: page number, page count, a link to page ``p``."""
    pages = max(1, -(-result["total"] // result["per_page"]))
    return {"page_no": result["page"], "pages": pages, "link": lambda p: f"{base}?" + urlencode({**q, "page": p})}


def public_url(req: Any) -> str:
    """The app's address for links in e-mails: ``PUBLIC_URL`` when set, else the one API Gateway says it served
    this request on (its ``requestContext``, which a client cannot forge, unlike the Host header)."""
    if os.environ.get("PUBLIC_URL"):
        return get_settings().public_url
    ctx = getattr(req, "context", None) or {}
    domain, stage = ctx.get("domainName"), ctx.get("stage")
    if domain and "." in str(domain):
        base = f"https://{domain}"
        return f"{base}/{stage}" if stage and str(domain).endswith(".amazonaws.com") else base
    return get_settings().public_url


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False, default=str), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def error_response(err: AppError) -> Response:
    headers = {}
    if err.status in (429, 503) and isinstance(err.details, dict) and "retry_after" in err.details:
        headers["Retry-After"] = str(err.details["retry_after"])
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="cyberincident"'
    return json_response(err.to_body(), err.status, headers)


def html_response(html: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=html, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})})


def url(path: str) -> str:
    return get_settings().base_path + path


def redirect(path: str, headers: dict[str, str] | None = None) -> Response:
    return Response(body="", status_code=303, headers={"Location": url(path), **(headers or {})})


def cookie_header(name: str, value: str, max_age: int) -> str:
    s = get_settings()
    parts = [f"{name}={value}", f"Path={s.base_path or '/'}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if s.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def safe_next(value: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def current_path(req: Any) -> str:
    """The path the browser asked for, without the stage prefix."""
    path = (getattr(req, "context", None) or {}).get("path") or "/"
    base = get_settings().base_path
    if base and path.startswith(base):
        path = path[len(base):] or "/"
    return path


def quote_path(path: str) -> str:
    return quote(path, safe="/")


def path_id(value: Any, message: str = "No encontrado / Not found") -> int:
    """An id from a URL or form: ASCII digits, else a 404 (never a 500 from ``int()``)."""
    n = as_id(value)
    if n is None:
        raise NotFound(message)
    return n
