"""A decoded copy of web request fields, so rules see payloads the way scanners hide them.

``%27%20or%201%3D1``, ``%252fetc%252fpasswd`` (double-encoded), ``+`` for spaces, ``&lt;script&gt;``, ``%u0027``
and ``\\u0027`` all decode to what the server finally acts on. Decoding repeats until the text is stable, at most
``ROUNDS`` times. The copy lives in ``_decoded``; the Sigma matchers read it beside the raw value for these fields.
"""
from __future__ import annotations

import html
import re
from urllib.parse import unquote_plus

from typing import Any

Event = dict[str, Any]

FIELDS = ("url.original", "url.path", "url.query", "url.full", "cs-uri-query", "cs-uri-stem", "cs-uri", "c-uri",
          "c-uri-query", "c-uri-stem", "cs-referer", "http.request.referrer", "http.request.body.content",
          "user_agent.original", "cs-user-agent", "c-useragent", "cs(User-Agent)")
ROUNDS = 4
MAX_CHARS = 16_384
UNICODE = re.compile(r"%u([0-9a-fA-F]{4})|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})")
HINT = re.compile(r"%[0-9a-fA-F]{2}|%u[0-9a-fA-F]{4}|\\[ux][0-9a-fA-F]|&#?\w+;|\+")
ENTITY = re.compile(r"&#?\w+;")
NONE: dict[str, str] = {}


def _unicode(m: re.Match) -> str:
    return chr(int(m.group(1) or m.group(2) or m.group(3), 16))


def decode(text: str) -> str:
    out = text[:MAX_CHARS]
    for _ in range(ROUNDS):
        nxt = out
        if "%u" in nxt or "\\" in nxt:
            nxt = UNICODE.sub(_unicode, nxt)
        if "%" in nxt or "+" in nxt:
            nxt = unquote_plus(nxt, errors="replace")
        if "&" in nxt and ENTITY.search(nxt):
            nxt = html.unescape(nxt)
        if nxt == out:
            break
        out = nxt
    return out


def decoded(ev: Event) -> dict[str, str]:
    """The decoded copy of each web field whose decoded text differs from what was logged (cached on the event)."""
    found = ev.get("_decoded")
    if found is not None:
        return found
    found = NONE
    for f in FIELDS:
        v = ev.get(f)
        if v.__class__ is str and HINT.search(v):
            d = decode(v)
            if d != v:
                if found is NONE:
                    found = {}
                found[f] = d
    ev["_decoded"] = found
    return found
