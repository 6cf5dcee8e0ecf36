"""The fast evaluation of a Sigma condition: value lists become one test, cheap tests run first, and each rule
becomes one generated Python function.

SigmaHQ rules are mostly long value lists (``Image|endswith: [200 names]``): the reference compiler
(:func:`matchers.compile_condition`) makes one closure per value and tries them one after another. Here an ``or``
of case-insensitive string tests of one field becomes one expression over the field's lowercased value:
``s in EXACT or s.startswith(PREFIXES) or s.endswith(SUFFIXES) or <substrings> or REGEX.fullmatch(s)``, where many
substrings are found by one Aho-Corasick pass (pyahocorasick) and non-ASCII ones (emoji, homoglyph lists) only
when the value is not ASCII at all. Numbers of one field become one set lookup. Everything else keeps the
reference closure. The source is generated from the IR when an event first reaches the rule (the artifact stores
IR, not code); ``check`` refuses at load what could not compile. Results equal the reference's; ``tests/.../test_sigma_parity.py`` checks that event by event.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable

import ahocorasick

from .ir import Unsupported
from .matchers import (MISSING, Matcher, as_number, as_text, classify, field_matcher, field_test, getter,
                       in_networks, keyword_matcher, lower_into)

SMALL = 4  # up to this many ASCII substrings, ``in`` tests beat an automaton (measured: 0.56 µs vs 0.78 µs for 5)


def normalise(node: tuple) -> tuple:
    """Expansions (windash, base64offset) as ``or`` of plain tests; nested ``and``/``or`` flattened."""
    kind = node[0]
    if kind == "field" and node[2][0] == "exp":
        return normalise(("or", [("field", node[1], v) for v in node[2][1]]))
    if kind in ("and", "or"):
        out = []
        for child in map(normalise, node[1]):
            out += child[1] if child[0] == kind else [child]
        return (kind, out) if len(out) != 1 else out[0]
    if kind == "not":
        return ("not", normalise(node[1]))
    return node


def _groupable(node: tuple) -> str | None:
    if node[0] != "field":
        return None
    v = node[2]
    if v[0] == "str" and not v[2]:
        return "lower"
    if v[0] == "num":
        return "number"
    if v[0] == "cidr":
        return "cidr"
    return None


def group(node: tuple) -> tuple:
    """``or`` children testing one field the same way become one ("any", kind, field, [values]) leaf."""
    kind = node[0]
    if kind == "not":
        return ("not", group(node[1]))
    if kind not in ("and", "or"):
        return ("any", _groupable(node), node[1], [node[2]]) if _groupable(node) else node
    children = [group(c) for c in node[1]]
    if kind == "and":
        return ("and", children)
    merged: dict[tuple, tuple] = {}
    out: list = []
    for c in children:
        if c[0] == "any":
            key = (c[1], c[2])
            if key in merged:
                merged[key][3].extend(c[3])
                continue
            c = merged[key] = ("any", c[1], c[2], list(c[3]))
        out.append(c)
    return ("or", out) if len(out) != 1 else out[0]


def cost(node: tuple) -> float:
    """A rough price of evaluating ``node`` (µs-like units), to run cheap tests first."""
    kind = node[0]
    if kind in ("and", "or"):
        return sum(cost(c) for c in node[1])
    if kind == "not":
        return cost(node[1])
    if kind == "any":
        if node[1] != "lower":
            return 1.0 + 0.1 * len(node[3])
        kinds = [classify(v[1])[0] for v in node[3]]
        return 1.0 + 0.3 * min(kinds.count("contains"), SMALL + 2) + 4.0 * kinds.count("regex")
    if kind == "kw":
        return 15.0
    if kind == "field":
        v = node[2][0]
        return {"null": 0.5, "exists": 0.5, "bool": 1.0, "cmp": 2.0, "ref": 3.0, "re": 8.0}.get(v, 5.0)
    return 5.0


def rarity(node: tuple) -> int:
    """How unlikely a substring test is to hold: its shortest literal's length (``contains|all`` lists put
    '-nop' before '[Convert]::FromBase64String'; an absent literal costs one scan, whichever it is)."""
    if node[0] != "any" or node[1] != "lower":
        return 0
    lits = [classify(v[1]) for v in node[3]]
    return min(len(lit) for kind, lit in lits) if all(kind == "contains" for kind, _ in lits) else 0


def order(node: tuple) -> tuple:
    """Cheap tests first; among equally cheap tests of an ``and``, the one likeliest to fail."""
    if node[0] == "and":
        return ("and", sorted((order(c) for c in node[1]), key=lambda c: (cost(c), -rarity(c))))
    if node[0] == "or":
        return (node[0], sorted((order(c) for c in node[1]), key=cost))
    if node[0] == "not":
        return ("not", order(node[1]))
    return node


_CODE: dict[str, Any] = {}  # generated source → code object: rules share a few hundred shapes
_HELPERS = {"MISSING": MISSING, "text": as_text, "number": as_number, "lower_into": lower_into}


def _function(src: str, ns: dict[str, Any]) -> Callable:
    """``def f`` from ``src`` with globals ``ns``; the source names only constants (K0, K1…), never values, so
    equal shapes compile once (compiling each rule's own source took 1 ms a rule)."""
    code = _CODE.get(src)
    if code is None:
        code = _CODE[src] = compile(src, "<sigma rule>", "exec")
    ns.update(_HELPERS)
    exec(code, ns)
    return ns["f"]


class _Rule:
    """The generated source of one rule: one expression over the event, the constants it names."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {}

    def const(self, value: Any) -> str:
        name = f"K{len(self.ns)}"
        self.ns[name] = value
        return name

    def expr(self, node: tuple) -> str:
        kind = node[0]
        if kind == "and":
            return "(" + (" and ".join(self.expr(c) for c in node[1]) or "True") + ")"
        if kind == "or":
            return "(" + (" or ".join(self.expr(c) for c in node[1]) or "False") + ")"
        if kind == "not":
            return f"(not {self.expr(node[1])})"
        if kind == "any" and node[1] == "lower":
            return self.lower(node[2], node[3])
        if kind == "any" and node[1] == "number":
            return self.number(node[2], node[3])
        return f"{self.const(_leaf(node))}(e)"

    def lower(self, field: str, values: list) -> str:
        """Case-insensitive strings of one field, inline: the lowered value comes from the event's cache."""
        exact, pre, suf, cont, rx = [], [], [], [], []
        for v in values:
            kind, lit = classify(tuple(p.lower() if isinstance(p, str) else p for p in v[1]))
            {"exact": exact, "startswith": pre, "endswith": suf, "contains": cont, "regex": rx}[kind].append(lit)
        if "" in cont:  # an empty substring is in every string
            pre.append("")
        exact, pre, suf = (list(dict.fromkeys(x)) for x in (exact, pre, suf))
        cont = [c for c in dict.fromkeys(cont) if c]
        tests = []
        if exact:
            tests.append(f"s == {self.const(exact[0])}" if len(exact) == 1 else f"s in {self.const(frozenset(exact))}")
        for name, lits in (("startswith", pre), ("endswith", suf)):
            if lits:
                tests.append(f"s.{name}({self.const(lits[0] if len(lits) == 1 else tuple(lits))})")
        ascii_lits = [c for c in cont if c.isascii()]
        wide = [c for c in cont if not c.isascii()]
        if len(ascii_lits) <= SMALL:
            tests += [f"{self.const(c)} in s" for c in ascii_lits]
        else:
            auto = ahocorasick.Automaton()
            for c in ascii_lits:
                auto.add_word(c, 0)
            auto.make_automaton()
            tests.append(f"next({self.const(auto)}.iter(s), None) is not None")
        if wide:  # emoji and homoglyph lists: an ASCII value cannot hold any of them
            if all(len(c) == 1 for c in wide):
                tests.append(f"(not s.isascii() and not {self.const(frozenset(wide))}.isdisjoint(s))")
            else:
                tests.append(f"(not s.isascii() and any(x in s for x in {self.const(tuple(wide))}))")
        if rx:
            pattern = re.compile("|".join(f"(?:{r})" for r in rx), re.S)
            tests.append(f"{self.const(pattern)}.fullmatch(s) is not None")
        test = "(" + (" or ".join(tests) or "False") + ")"
        f, get = self.const(field), self.const(getter(field))
        return (f"({test} if (s := c.get({f}) or lower_into(c, e, {f}, {get})).__class__ is str "
                f"else s is not MISSING and any({test} for s in s))")

    def number(self, field: str, values: list) -> str:
        n, t = self.const(frozenset(v[1] for v in values)), self.const(frozenset(str(v[1]) for v in values))
        test = f"(x in {n} if x.__class__ is int else x is not None and (text(x) in {t} or number(x) in {n}))"
        f, get = self.const(field), self.const(getter(field))
        return (f"((x := {get}(e, {f})) is not MISSING and "
                f"(any({test} for x in x) if isinstance(x, list) else {test}))")


def _leaf(node: tuple) -> Callable:
    kind = node[0]
    if kind == "any":  # "lower" and "number" are inline in the rule's expression (``_Rule``): this is "cidr"
        nets = tuple(ipaddress.ip_network(v[1]) for v in node[3])
        return field_test(node[2], lambda v: in_networks(v, nets))
    if kind == "field":
        return field_matcher(node[1], node[2])
    if kind == "kw":
        return keyword_matcher(node[1])
    raise Unsupported(f"condition node {kind}")


PROLOGUE = "def f(e):\n    c = e.get('_lc')\n    if c is None:\n        c = e['_lc'] = {}\n    return "


def compile_fast(node: tuple) -> Matcher:
    """One function for the condition ``node`` (plain IR), equal in result to the reference compiler's."""
    tree = order(group(normalise(node)))
    if tree[0] not in ("and", "or", "not", "any") or (tree[0] == "any" and tree[1] == "cidr"):
        return _leaf(tree)
    rule = _Rule()
    body = rule.expr(tree)
    return _function(PROLOGUE + body, rule.ns)


def check(node: tuple) -> None:
    """Raise :class:`Unsupported` (or the regex / network error) for what ``compile_fast`` would refuse."""
    kind = node[0]
    if kind in ("and", "or"):
        for c in node[1]:
            check(c)
    elif kind == "not":
        check(node[1])
    elif kind == "field":
        _check_value(node[-1])
    elif kind == "kw":
        _check_value(node[-1], keyword=True)
    else:
        raise Unsupported(f"condition node {kind}")


def _check_value(value: tuple, keyword: bool = False) -> None:
    kind = value[0]
    if keyword and kind in ("null", "exists", "ref"):  # what matchers.keyword_matcher refuses
        raise Unsupported(f"value type {kind}")
    if kind == "exp":
        for v in value[1]:
            _check_value(v, keyword)
    elif kind == "re":
        re.compile(value[1], value[2])
    elif kind == "cidr":
        ipaddress.ip_network(value[1])
    elif kind == "cmp":
        if value[1] not in ("lt", "lte", "gt", "gte", "neq"):
            raise Unsupported(f"comparison {value[1]}")
    elif kind not in ("str", "num", "bool", "null", "exists", "ref"):
        raise Unsupported(f"value type {kind}")
