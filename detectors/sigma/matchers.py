"""Compile the Sigma IR (:mod:`detectors.sigma.ir`) into plain Python closures over an event dict.

Sigma matching is case-insensitive unless ``cased``; a field that holds a list matches when any item does.
Sigma field names missing on an event fall back to their ECS equivalents (``FIELD_FALLBACK``).
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable

from ..parsers.webdecode import FIELDS as WEB_FIELDS, decoded
from .ir import MULTI, SINGLE, Unsupported

Matcher = Callable[[dict], bool]
MISSING = object()
FIELD_FALLBACK = {
    "CommandLine": "process.command_line", "Image": "process.executable", "ParentImage": "process.parent.executable",
    "ParentCommandLine": "process.parent.command_line", "User": "user.name", "TargetUserName": "user.name",
    "SourceIp": "source.ip", "src_ip": "source.ip", "DestinationIp": "destination.ip", "dst_ip": "destination.ip",
    "DestinationPort": "destination.port", "dst_port": "destination.port", "SourcePort": "source.port",
    "Computer": "host.name", "eventName": "event.action", "eventSource": "event.provider",
    # SigmaHQ proxy and webserver names on access logs that only have ECS names
    "c-uri": "url.original", "c-uri-query": "url.query", "c-uri-stem": "url.path", "c-useragent": "user_agent.original",
    "cs-method": "http.request.method", "sc-status": "http.response.status_code", "cs-host": "url.domain",
    "r-dns": "destination.domain", "cs-referrer": "http.request.referrer", "c-ip": "source.ip",
    "cs-referer": "http.request.referrer",
    "cs-uri-query": "url.original", "cs-uri-stem": "url.path", "cs-user-agent": "user_agent.original",
}


def _get(event: dict, field: str) -> Any:
    v = event.get(field, MISSING)
    if v is MISSING and field in FIELD_FALLBACK:
        v = event.get(FIELD_FALLBACK[field], MISSING)
    return v


DECODED_FIELDS = frozenset(WEB_FIELDS)  # the fields parsers.webdecode decodes


def get_web(event: dict, field: str) -> Any:
    """A web request field: the logged value and, when it differs, its decoded copy (``parsers.webdecode``)."""
    v = get(event, field)
    if v is MISSING:
        return v
    dec = decoded(event)
    if not dec:
        return v
    d = dec.get(field) or dec.get(FIELD_FALLBACK.get(field, ""))
    if d is None:
        return v
    return [*v, d] if isinstance(v, list) else [v, d]


get = _get


def _values(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def as_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def classify(parts: tuple) -> tuple[str, str]:
    """A Sigma string as ("exact" | "contains" | "startswith" | "endswith", literal) or ("regex", pattern)."""
    if all(isinstance(p, str) for p in parts):
        return "exact", "".join(parts)
    inner = parts[1:-1]
    if len(parts) >= 2 and parts[0] == MULTI and parts[-1] == MULTI and inner and all(isinstance(p, str) for p in inner):
        return "contains", "".join(inner)
    if parts[-1] == MULTI and all(isinstance(p, str) for p in parts[:-1]):
        return "startswith", "".join(parts[:-1])
    if parts[0] == MULTI and all(isinstance(p, str) for p in parts[1:]):
        return "endswith", "".join(parts[1:])
    return "regex", "".join(".*" if p == MULTI else "." if p == SINGLE else re.escape(p) for p in parts)


def string_test(parts: tuple, cased: bool) -> Callable[[str], bool]:
    """Fast paths for plain, prefix, suffix and substring patterns; a regex for anything else."""
    kind, lit = classify(parts)
    if kind == "regex":
        pattern = re.compile(lit, re.S | (0 if cased else re.I))
        return lambda s: pattern.fullmatch(s) is not None
    if not cased:
        lit = lit.lower()
        if kind == "exact":
            return lambda s: s.lower() == lit
        if kind == "contains":
            return lambda s: lit in s.lower()
        if kind == "startswith":
            return lambda s: s.lower().startswith(lit)
        return lambda s: s.lower().endswith(lit)
    if kind == "exact":
        return lambda s: s == lit
    if kind == "contains":
        return lambda s: lit in s
    if kind == "startswith":
        return lambda s: s.startswith(lit)
    return lambda s: s.endswith(lit)


def value_test(value: tuple) -> Callable[[Any], bool]:
    """A test of one field value (never MISSING) against one Sigma value."""
    kind = value[0]
    if kind == "str":
        t = string_test(value[1], value[2])
        return lambda v: v is not None and t(as_text(v))
    if kind == "num":
        n = value[1]
        return lambda v: v is not None and (as_text(v) == str(n) or as_number(v) == n)
    if kind == "bool":
        b = value[1]
        return lambda v: v == b or as_text(v).lower() == str(b).lower()
    if kind == "re":
        rx = re.compile(value[1], value[2])
        need = required_literal(value[1], value[2])
        if need:  # a substring every match holds: most values lack it, and ``in`` costs far less than the regex
            return lambda v: v is not None and need in (t := as_text(v)) and rx.search(t) is not None
        return lambda v: v is not None and rx.search(as_text(v)) is not None
    if kind == "cidr":
        nets = (ipaddress.ip_network(value[1]),)
        return lambda v: in_networks(v, nets)
    if kind == "cmp":
        op, n = value[1], value[2]
        cmp = {"lt": lambda x: x < n, "lte": lambda x: x <= n, "gt": lambda x: x > n, "gte": lambda x: x >= n,
               "neq": lambda x: x != n}[op]
        return lambda v: (x := as_number(v)) is not None and cmp(x)
    raise Unsupported(f"value type {kind}")


def required_literal(pattern: str, flags: int = 0) -> str | None:
    """The longest run of literal characters at the top level of ``pattern`` (outside any branch, group or
    repeat), which every match must contain; under IGNORECASE only characters without case count. Hand-written
    on ``re``'s own parser because no library answers this; None when the pattern has no such run.
    (SigmaHQ's ``\\w+`(?:\\w+|-|.)`…`` took 18 ms per long script block; a backtick test takes microseconds.)"""
    try:
        from re import _constants as C, _parser as parser  # type: ignore[attr-defined]

        tree = parser.parse(pattern, flags)
    except Exception:  # another Python's internals, or a pattern re refuses: no shortcut
        return None
    caseless = bool((flags | tree.state.flags) & re.IGNORECASE)
    best, run = "", ""
    for op, arg in tree:
        ch = chr(arg) if op is C.LITERAL else None
        if ch is not None and not (caseless and (ch.isalpha() or ch.lower() != ch.upper())):
            run += ch
            best = max(best, run, key=len)
        else:
            run = ""
    return best or None


def as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        return float(str(v).strip())
    except (TypeError, ValueError):
        return None


def in_networks(v: Any, nets: tuple) -> bool:
    """The value is an address inside one of ``nets`` (parsed once, however many networks)."""
    try:
        ip = ipaddress.ip_address(as_text(v).strip())
    except ValueError:
        return False
    return any(ip in net for net in nets)


def field_matcher(field: str, value: tuple) -> Matcher:
    """One field test; web request fields also meet their decoded copy (chosen here, so others pay nothing)."""
    get = getter(field)
    kind = value[0]
    if kind == "exp":
        subs = [field_matcher(field, v) for v in value[1]]
        return lambda e: any(m(e) for m in subs)
    if kind == "null":
        return lambda e: (v := get(e, field)) is MISSING or v is None or v == ""
    if kind == "exists":
        want = value[1]
        return lambda e: (get(e, field) is not MISSING) == want
    if kind == "ref":
        other, sw, ew = value[1], value[2], value[3]

        def ref(e: dict) -> bool:
            a, b = get(e, field), get(e, other)
            if a is MISSING or b is MISSING or a is None or b is None:
                return False
            a, b = as_text(a).lower(), as_text(b).lower()
            return a.startswith(b) if sw else a.endswith(b) if ew else a == b
        return ref
    if kind == "str" and not value[2]:  # case-insensitive: test the event's lowercased value, cached per event
        ltest = string_test(tuple(p.lower() if isinstance(p, str) else p for p in value[1]), True)

        def match_lower(e: dict) -> bool:
            cache = e.get("_lc")
            if cache is None:
                cache = e["_lc"] = {}
            low = cache.get(field)
            if low is None:
                low = lower_into(cache, e, field, get)
            if low is MISSING:
                return False
            if low.__class__ is list:
                return any(ltest(x) for x in low)
            return ltest(low)
        return match_lower
    return field_test(field, value_test(value))


def field_test(field: str, test: Callable[[Any], bool]) -> Matcher:
    """``test`` on the field's value, or on any item of a list value; an absent field fails."""
    get = getter(field)

    def match(e: dict) -> bool:
        v = get(e, field)
        if v is MISSING:
            return False
        if isinstance(v, list):
            return any(test(x) for x in v)
        return test(v)
    return match


def lowered(v: Any) -> Any:
    """A field's value as the case-insensitive tests see it: lowercased text, a list of them, or MISSING."""
    if v is MISSING or v is None:
        return MISSING
    if isinstance(v, list):
        return [as_text(x).lower() for x in v if x is not None]
    return as_text(v).lower()


def lower_into(cache: dict, e: dict, field: str, get: Callable) -> Any:
    """The field's value ``lowered``, kept in the event's cache."""
    low = cache[field] = lowered(get(e, field))
    return low


def getter(field: str) -> Callable[[dict, str], Any]:
    """How a field is read: web request fields also yield their decoded copy."""
    return get_web if field in DECODED_FIELDS else _get


def keyword_matcher(value: tuple) -> Matcher:
    """A keyword search: any string value of the event (metadata keys excluded) matches."""
    if value[0] == "exp":
        subs = [keyword_matcher(v) for v in value[1]]
        return lambda e: any(m(e) for m in subs)
    if value[0] == "str":  # full-text search: a keyword may sit anywhere in a value
        parts, cased = value[1], value[2]
        parts = ((MULTI,) if parts[:1] != (MULTI,) else ()) + parts + ((MULTI,) if parts[-1:] != (MULTI,) else ())
        inner = parts[1:-1]
        if inner and all(isinstance(p, str) for p in inner) and not cased:
            lit = "".join(inner).lower()
            return lambda e: lit in haystack(e)
        value = ("str", parts, cased)
    test = value_test(value)
    return lambda e: any(test(v) for k, v in e.items() if k[:1] != "_" and isinstance(v, (str, int, float)))


def haystack(event: dict) -> str:
    """Every value of the event, joined and lowercased once, for full-text keyword searches."""
    hay = event.get("_hay")
    if hay is None:
        hay = event["_hay"] = "\x1f".join([v if v.__class__ is str else str(v) for k, v in event.items()
                                            if k[:1] != "_" and v.__class__ in _SCALARS]
                                           + (list(decoded(event).values()) if is_web(event) else [])).lower()
    return hay


_SCALARS = (str, int, float)
WEB_CATEGORIES = ("webserver", "proxy")


def is_web(event: dict) -> bool:
    """Only web events have decoded copies worth searching (the keyword haystack of a Windows event skips them)."""
    cat = (event.get("_logsource") or {}).get("category")
    return cat in WEB_CATEGORIES or (isinstance(cat, list) and any(c in WEB_CATEGORIES for c in cat))


def compile_condition(node: tuple) -> Matcher:
    kind = node[0]
    if kind == "and":
        subs = [compile_condition(a) for a in node[1]]
        return lambda e: all(m(e) for m in subs)
    if kind == "or":
        subs = [compile_condition(a) for a in node[1]]
        return lambda e: any(m(e) for m in subs)
    if kind == "not":
        sub = compile_condition(node[1])
        return lambda e: not sub(e)
    if kind == "field":
        return field_matcher(node[1], node[2])
    if kind == "kw":
        return keyword_matcher(node[1])
    raise Unsupported(f"condition node {kind}")
