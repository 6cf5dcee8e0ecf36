"""Compile pySigma's condition tree into plain Python closures over an event dict.

Sigma matching is case-insensitive unless ``cased``; a field that holds a list matches when any item does.
Sigma field names missing on an event fall back to their ECS equivalents (``FIELD_FALLBACK``).
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable

from sigma.conditions import (ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR,
                              ConditionValueExpression)
from sigma.types import (CompareOperators, SigmaBool, SigmaCasedString, SigmaCIDRExpression, SigmaCompareExpression,
                         SigmaExists, SigmaExpansion, SigmaFieldReference, SigmaNull, SigmaNumber,
                         SigmaRegularExpression, SigmaRegularExpressionFlag, SigmaString, SpecialChars)

Matcher = Callable[[dict], bool]
MISSING = object()
FIELD_FALLBACK = {
    "CommandLine": "process.command_line", "Image": "process.executable", "ParentImage": "process.parent.executable",
    "ParentCommandLine": "process.parent.command_line", "User": "user.name", "TargetUserName": "user.name",
    "SourceIp": "source.ip", "src_ip": "source.ip", "DestinationIp": "destination.ip", "dst_ip": "destination.ip",
    "DestinationPort": "destination.port", "dst_port": "destination.port", "SourcePort": "source.port",
    "Computer": "host.name", "eventName": "event.action", "eventSource": "event.provider",
}
_RE_FLAGS = {SigmaRegularExpressionFlag.IGNORECASE: re.I, SigmaRegularExpressionFlag.MULTILINE: re.M,
             SigmaRegularExpressionFlag.DOTALL: re.S}


class Unsupported(Exception):
    """A rule uses something this engine cannot evaluate; the rule is skipped with this reason."""


def get(event: dict, field: str) -> Any:
    v = event.get(field, MISSING)
    if v is MISSING and field in FIELD_FALLBACK:
        v = event.get(FIELD_FALLBACK[field], MISSING)
    return v


def _values(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def string_test(value: SigmaString) -> Callable[[str], bool]:
    """Fast paths for plain, prefix, suffix and substring patterns; a regex for anything else."""
    cased = isinstance(value, SigmaCasedString)
    parts = value.s
    if not value.contains_special():
        lit = "".join(p for p in parts if isinstance(p, str))
        if cased:
            return lambda s: s == lit
        lit = lit.lower()
        return lambda s: s.lower() == lit
    inner = parts[1:-1]
    if (len(parts) >= 2 and parts[0] == SpecialChars.WILDCARD_MULTI and parts[-1] == SpecialChars.WILDCARD_MULTI
            and all(isinstance(p, str) for p in inner) and inner):
        lit = "".join(inner) if cased else "".join(inner).lower()
        return (lambda s: lit in s) if cased else (lambda s: lit in s.lower())
    if parts[-1] == SpecialChars.WILDCARD_MULTI and all(isinstance(p, str) for p in parts[:-1]):
        lit = "".join(parts[:-1]) if cased else "".join(parts[:-1]).lower()
        return (lambda s: s.startswith(lit)) if cased else (lambda s: s.lower().startswith(lit))
    if parts[0] == SpecialChars.WILDCARD_MULTI and all(isinstance(p, str) for p in parts[1:]):
        lit = "".join(parts[1:]) if cased else "".join(parts[1:]).lower()
        return (lambda s: s.endswith(lit)) if cased else (lambda s: s.lower().endswith(lit))
    rx = []
    for p in parts:
        if p == SpecialChars.WILDCARD_MULTI:
            rx.append(".*")
        elif p == SpecialChars.WILDCARD_SINGLE:
            rx.append(".")
        elif isinstance(p, str):
            rx.append(re.escape(p))
        else:
            raise Unsupported(f"placeholder {p} in value")
    pattern = re.compile("".join(rx), re.S | (0 if cased else re.I))
    return lambda s: pattern.fullmatch(s) is not None


def value_test(value: Any) -> Callable[[Any], bool]:
    """A test of one field value (never MISSING) against one Sigma value."""
    if isinstance(value, SigmaString):
        t = string_test(value)
        return lambda v: v is not None and t(_text(v))
    if isinstance(value, SigmaNumber):
        n = value.number
        return lambda v: v is not None and (_text(v) == str(n) or _num(v) == n)
    if isinstance(value, SigmaBool):
        b = value.boolean
        return lambda v: v == b or _text(v).lower() == str(b).lower()
    if isinstance(value, SigmaRegularExpression):
        flags = 0
        for f in value.flags:
            flags |= _RE_FLAGS[f]
        rx = re.compile(getattr(value.regexp, "original", None) or value.to_plain(), flags)
        return lambda v: v is not None and rx.search(_text(v)) is not None
    if isinstance(value, SigmaCIDRExpression):
        net = value.network
        return lambda v: _in_net(v, net)
    if isinstance(value, SigmaCompareExpression):
        n, op = value.number.number, value.op
        cmp = {CompareOperators.LT: lambda x: x < n, CompareOperators.LTE: lambda x: x <= n,
               CompareOperators.GT: lambda x: x > n, CompareOperators.GTE: lambda x: x >= n,
               CompareOperators.NEQ: lambda x: x != n}[op]
        return lambda v: (x := _num(v)) is not None and cmp(x)
    raise Unsupported(f"value type {type(value).__name__}")


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        return float(str(v).strip())
    except (TypeError, ValueError):
        return None


def _in_net(v: Any, net: Any) -> bool:
    try:
        return ipaddress.ip_address(_text(v).strip()) in net
    except ValueError:
        return False


def field_matcher(field: str, value: Any) -> Matcher:
    if isinstance(value, SigmaExpansion):
        subs = [field_matcher(field, v) for v in value.values]
        return lambda e: any(m(e) for m in subs)
    if isinstance(value, SigmaNull):
        return lambda e: (v := get(e, field)) is MISSING or v is None or v == ""
    if isinstance(value, SigmaExists):
        want = value.exists
        return lambda e: (get(e, field) is not MISSING) == want
    if isinstance(value, SigmaFieldReference):
        other, sw, ew = value.field, value.starts_with, value.ends_with

        def ref(e: dict) -> bool:
            a, b = get(e, field), get(e, other)
            if a is MISSING or b is MISSING or a is None or b is None:
                return False
            a, b = _text(a).lower(), _text(b).lower()
            return a.startswith(b) if sw else a.endswith(b) if ew else a == b
        return ref
    test = value_test(value)

    def match(e: dict) -> bool:
        v = get(e, field)
        if v is MISSING:
            return False
        if isinstance(v, list):
            return any(test(x) for x in v)
        return test(v)
    return match


def keyword_matcher(value: Any) -> Matcher:
    """A keyword search: any string value of the event (metadata keys excluded) matches."""
    if isinstance(value, SigmaExpansion):
        subs = [keyword_matcher(v) for v in value.values]
        return lambda e: any(m(e) for m in subs)
    if isinstance(value, SigmaString):  # full-text search: a keyword may sit anywhere in a value
        if value.s[:1] != (SpecialChars.WILDCARD_MULTI,):
            value = SpecialChars.WILDCARD_MULTI + value
        if value.s[-1:] != (SpecialChars.WILDCARD_MULTI,):
            value = value + SpecialChars.WILDCARD_MULTI
        inner = value.s[1:-1]
        if inner and all(isinstance(p, str) for p in inner) and not isinstance(value, SigmaCasedString):
            lit = "".join(inner).lower()
            return lambda e: lit in haystack(e)
    test = value_test(value)
    return lambda e: any(test(v) for k, v in e.items() if k[0] != "_" and isinstance(v, (str, int, float)))


def haystack(event: dict) -> str:
    """Every value of the event, lowercased and joined once, for full-text keyword searches."""
    hay = event.get("_hay")
    if hay is None:
        hay = event["_hay"] = "\x1f".join(_text(v).lower() for k, v in event.items()
                                          if k[0] != "_" and isinstance(v, (str, int, float)))
    return hay


def compile_condition(node: Any) -> Matcher:
    if isinstance(node, ConditionAND):
        subs = [compile_condition(a) for a in node.args]
        return lambda e: all(m(e) for m in subs)
    if isinstance(node, ConditionOR):
        subs = [compile_condition(a) for a in node.args]
        return lambda e: any(m(e) for m in subs)
    if isinstance(node, ConditionNOT):
        sub = compile_condition(node.args[0])
        return lambda e: not sub(e)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return field_matcher(node.field, node.value)
    if isinstance(node, ConditionValueExpression):
        return keyword_matcher(node.value)
    raise Unsupported(f"condition node {type(node).__name__}")
