"""The OpenAPI 3.1 description of the JSON API, generated from the routes themselves (``GET /api/openapi.json``).

Each ``/api/`` route of the Chalice app becomes an operation: its path parameters from the route, its minimum
role from the guard its view calls (``guard.role_of``, which the route × role matrix reads too), a JSON
body where the route takes one, and the error shape every route answers with. Hand-written because Chalice has
no OpenAPI generator of its own and the role lives in our guard, not in Chalice.
"""
from __future__ import annotations

import re
from typing import Any

from ..web.guard import role_of

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}
STATUSES = {"400": "invalid input (the field is named in details)", "401": "not authenticated",
            "403": "the role is not enough", "404": "not found", "405": "use another method",
            "409": "conflict with the current state", "413": "too large", "429": "too many attempts (Retry-After)",
            "503": "database or AWS unavailable (Retry-After)"}
LIST_QUERY = ("page", "per_page", "date_from", "date_to", "severity", "state", "status", "type", "q")


def document(app: Any, module_globals: dict[str, Any], version: str = "1") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in sorted(app.routes.items()):
        if not path.startswith("/api/"):
            continue
        for method, entry in sorted(methods.items()):
            role = role_of(entry.view_function, module_globals)
            if role is False:
                continue
            params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                      for p in re.findall(r"\{(\w+)\}", path)]
            if method == "GET" and not params:
                params += [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
                           for q in LIST_QUERY]
            op: dict[str, Any] = {
                "operationId": entry.view_function.__name__, "summary": (entry.view_function.__doc__ or "").strip(),
                "parameters": params,
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
                              **{s: {"description": d, "content": {"application/json": {"schema": ERROR}}}
                                 for s, d in STATUSES.items()}},
                "x-minimum-role": role or "public"}
            if method in ("POST", "PATCH", "PUT", "DELETE") and "application/json" in entry.content_types:
                op["requestBody"] = {"required": method != "DELETE", "content": {"application/json": {
                    "schema": {"type": "object"}}}}
                op["responses"]["201"] = {"description": "created", "content": {"application/json": {"schema": {}}}}
            if role:
                op["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = op
    return {"openapi": "3.1.0",
            "info": {"title": "CyberIncident JSON API", "version": version,
                     "description": "Bearer tokens from POST /api/auth/token; errors are {\"error\": {code, "
                                    "message, details}}. x-minimum-role: viewer < analyst < admin."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "paths": paths}
