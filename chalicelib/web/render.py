"""Jinja2 rendering with autoescape everywhere, shared page context and the error page."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .. import catalogs
from ..errors import AppError
from . import http, i18n

ROOT = Path(__file__).resolve().parents[2]  # app.py's folder, locally and at the Lambda zip root
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


@functools.lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    e.globals["url"] = http.url
    e.filters["human_size"] = human_size
    return e


def human_size(n: Any) -> str:
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def render(req: Any, ctx: dict[str, Any], template: str, status: int = 200, **values: Any) -> Any:
    lang = i18n.language(req, ctx.get("user"))
    labels_tipo = catalogs.labels("tipo") if lang == "en" else {}
    labels_sev = catalogs.labels("severidad") if lang == "en" else {}
    page = env().get_template(template).render(
        t=i18n.translator(lang), lang=lang, user=ctx.get("user"), csrf=ctx.get("csrf"),
        status_label=lambda v: i18n.status_label(v, lang),
        type_label=lambda v: labels_tipo.get(v, v), severity_label=lambda v: labels_sev.get(v, v),
        current_path=http.current_path(req), **values)
    return http.html_response(page, status)


def error_page(req: Any, ctx: dict[str, Any], err: AppError) -> Any:
    try:
        return render(req, ctx, "error.html", status=err.status, error=err)
    except Exception:  # the error page must never fail in turn (e.g. database down)
        from markupsafe import escape

        return http.html_response(f"<!doctype html><title>{err.status}</title><p>{escape(err.message)}</p>", err.status)
