"""A plain intermediate form of Sigma conditions: tuples of str, numbers and lists.

pySigma is needed only to *build* it. The IR pickles small and compiles fast, so a compiled-rules artifact made
at package time lets a Lambda cold start skip YAML and pySigma entirely.

Nodes: ("and", [n…]) ("or", [n…]) ("not", n) ("field", name, value) ("kw", value)
Values: ("str", parts, cased) with parts of str, MULTI or SINGLE; ("num", n); ("bool", b); ("re", pattern, flags);
("cidr", net); ("null",); ("exists", b); ("cmp", op, n); ("ref", field, startswith, endswith); ("exp", [v…])
"""
from __future__ import annotations

import re
from typing import Any

MULTI, SINGLE = 1, 2


class Unsupported(Exception):
    """A rule uses something this engine cannot evaluate; the rule is skipped with this reason."""


def from_pysigma(node: Any) -> tuple:
    from sigma.conditions import (ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT, ConditionOR,
                                  ConditionValueExpression)

    if isinstance(node, ConditionAND):
        return ("and", [from_pysigma(a) for a in node.args])
    if isinstance(node, ConditionOR):
        return ("or", [from_pysigma(a) for a in node.args])
    if isinstance(node, ConditionNOT):
        return ("not", from_pysigma(node.args[0]))
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return ("field", node.field, value_ir(node.value))
    if isinstance(node, ConditionValueExpression):
        return ("kw", value_ir(node.value))
    raise Unsupported(f"condition node {type(node).__name__}")


def value_ir(value: Any) -> tuple:
    from sigma.types import (SigmaBool, SigmaCasedString, SigmaCIDRExpression, SigmaCompareExpression, SigmaExists,
                             SigmaExpansion, SigmaFieldReference, SigmaNull, SigmaNumber, SigmaRegularExpression,
                             SigmaRegularExpressionFlag, SigmaString, SpecialChars)

    if isinstance(value, SigmaExpansion):
        return ("exp", [value_ir(v) for v in value.values])
    if isinstance(value, SigmaString):
        parts = []
        for p in value.s:
            if p == SpecialChars.WILDCARD_MULTI:
                parts.append(MULTI)
            elif p == SpecialChars.WILDCARD_SINGLE:
                parts.append(SINGLE)
            elif isinstance(p, str):
                parts.append(p)
            else:
                raise Unsupported(f"placeholder {p} in value")
        return ("str", tuple(parts), isinstance(value, SigmaCasedString))
    if isinstance(value, SigmaBool):
        return ("bool", value.boolean)
    if isinstance(value, SigmaNumber):
        return ("num", value.number)
    if isinstance(value, SigmaRegularExpression):
        flags = {SigmaRegularExpressionFlag.IGNORECASE: re.I, SigmaRegularExpressionFlag.MULTILINE: re.M,
                 SigmaRegularExpressionFlag.DOTALL: re.S}
        bits = 0
        for f in value.flags:
            bits |= flags[f]
        return ("re", getattr(value.regexp, "original", None) or value.to_plain(), bits)
    if isinstance(value, SigmaCIDRExpression):
        return ("cidr", str(value.network))
    if isinstance(value, SigmaNull):
        return ("null",)
    if isinstance(value, SigmaExists):
        return ("exists", bool(value.exists))
    if isinstance(value, SigmaCompareExpression):
        return ("cmp", value.op.name.lower(), value.number.number)
    if isinstance(value, SigmaFieldReference):
        return ("ref", value.field, bool(value.starts_with), bool(value.ends_with))
    raise Unsupported(f"value type {type(value).__name__}")
