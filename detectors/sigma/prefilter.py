"""Literal prefilter: evaluate a rule's full condition only when one of its required literals was seen.

For each rule we derive, from its condition tree, a set of (field, literal) pairs of which at least one must
occur (as a case-insensitive substring of that field) in any event the rule matches; ``None`` means no such
guarantee (the rule is always evaluated). Per logsource route, one Aho-Corasick automaton per field finds every
literal of every rule in a single pass over the field's value.
"""
from __future__ import annotations


import ahocorasick


from ..parsers.webdecode import decoded
from .matchers import DECODED_FIELDS, FIELD_FALLBACK, haystack

Anchors = frozenset  # of (field, lowercase literal)


def _longest_literal(parts: tuple) -> str | None:
    best, cur = "", []
    for p in parts:
        if isinstance(p, str):
            cur.append(p)
        else:
            run = "".join(cur)
            best = run if len(run) > len(best) else best
            cur = []
    run = "".join(cur)
    best = run if len(run) > len(best) else best
    return best.lower() if len(best) >= 2 else None


def _value_anchors(field: str | None, value: tuple) -> Anchors | None:
    kind = value[0]
    if kind == "exp":
        parts = [_value_anchors(field, v) for v in value[1]]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    if kind == "str":
        lit = _longest_literal(value[1])
        return frozenset({(field, lit)}) if lit else None
    if kind == "num":
        return frozenset({(field, str(value[1]).lower())})
    return None


def anchors(node: tuple) -> Anchors | None:
    kind = node[0]
    if kind == "field":
        return _value_anchors(node[1], node[2])
    if kind == "kw":  # keyword: the literal must appear in some value (field None)
        return _value_anchors(None, node[1])
    if kind == "and":
        options = [a for a in (anchors(c) for c in node[1]) if a is not None]
        # the most selective child: longest shortest-literal first (short literals like "10" hit everything)
        return max(options, key=lambda a: (min(len(lit) for _, lit in a), -len(a))) if options else None
    if kind == "or":
        parts = [anchors(c) for c in node[1]]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    return None  # not, null/exists, regex, cidr, comparisons: no literal guarantee


class RouteIndex:
    """The rules of one logsource route, with one automaton per field over their anchor literals."""

    def __init__(self, rules: list) -> None:
        self.always = [r for r in rules if r.anchors is None]
        self.by_literal: list[list] = []
        keys: dict[tuple[str, str], int] = {}
        fields: dict[str, ahocorasick.Automaton] = {}
        for r in rules:
            if r.anchors is None:
                continue
            for field, lit in r.anchors:
                k = keys.get((field, lit))
                if k is None:
                    k = keys[(field, lit)] = len(self.by_literal)
                    self.by_literal.append([])
                    auto = fields.get(field)
                    if auto is None:
                        auto = fields[field] = ahocorasick.Automaton()
                    auto.add_word(lit, k)
                self.by_literal[k].append(r)
        for auto in fields.values():
            auto.make_automaton()
        self.keyword_auto = fields.pop(None, None)
        # Looked up by the event's own keys (fewer than the route's fields); ECS names stand in for Sigma's.
        self.by_key: dict[str, list] = {}
        for f, a in fields.items():
            self.by_key.setdefault(f, []).append(a)
            if FIELD_FALLBACK.get(f):
                self.by_key.setdefault(FIELD_FALLBACK[f], []).append(a)
        self.by_key_items = list(self.by_key.items())
        self.web = bool(DECODED_FIELDS & set(self.by_key))  # a route with web-field rules looks at decoded copies
        self.empty = not self.by_key and self.keyword_auto is None

    def candidates(self, event: dict) -> list:
        """A superset of the rules that can match: those whose literal occurs (scanning an ECS alias too is harmless)."""
        if self.empty:
            return self.always
        seen: set[int] = set()
        if self.keyword_auto is not None:
            for _, k in self.keyword_auto.iter(haystack(event)):
                seen.add(k)
        by_key = self.by_key
        if len(event) < len(by_key):
            for key, v in event.items():
                autos = by_key.get(key)
                if autos is not None and v is not None:
                    _scan(autos, v, seen)
        else:  # usual case: a route's literals live in one or two fields, an event has twenty
            for key, autos in self.by_key_items:
                v = event.get(key)
                if v is not None:
                    _scan(autos, v, seen)
        if self.web:  # web fields' decoded copies (parsers.webdecode) meet the same literals
            for key, v in decoded(event).items():
                autos = by_key.get(key)
                if autos is not None:
                    _scan(autos, v, seen)
        if not seen:
            return self.always
        out = list(self.always)
        done: set[int] = set()
        for k in seen:
            for r in self.by_literal[k]:
                if id(r) not in done:
                    done.add(id(r))
                    out.append(r)
        return out


def _scan(autos: list, v: object, seen: set[int]) -> None:
    for item in (v if v.__class__ is list else (v,)):
        text = item.lower() if item.__class__ is str else str(item).lower()
        for auto in autos:
            for _, k in auto.iter(text):
                seen.add(k)
