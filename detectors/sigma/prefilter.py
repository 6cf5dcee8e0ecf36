"""Literal prefilter: evaluate a rule's full condition only when one of its required literals was seen.

For each rule we derive, from its condition tree, a set of (field, literal) pairs of which at least one must
occur (as a case-insensitive substring of that field) in any event the rule matches; ``None`` means no such
guarantee (the rule is always evaluated). Per logsource route, one :class:`literals.LiteralSet` per field finds
every literal of every rule in a single pass over the field's value.
"""
from __future__ import annotations

import re
from itertools import repeat
from typing import Any

import orjson

from .literals import LiteralSet
from .ir import MULTI
from .matchers import FIELD_FALLBACK, MISSING, get_web, getter, haystack, lowered

Anchors = frozenset  # of (field, lowercase literal)
RARE = frozenset("`")  # one-character literals worth an anchor: PowerShell's escape, seldom in a benign command line
SIGMA = frozenset("Σσς")
NUMBER = "#number"  # (NUMBER, n) in place of a literal: the field's value must equal n as the matchers compare it


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
    if SIGMA & set(best):  # lowercasing Σ depends on its neighbours: the literal alone may lower differently
        return None
    # one ASCII character hits nearly every value; one emoji, homoglyph or backtick is as rare as a long literal
    return best.lower() if len(best) >= 2 or (best and (not best.isascii() or best in RARE)) else None


def _plain_keyword(value: tuple) -> bool:
    """A case-insensitive keyword with no wildcard inside: the only kind the reference looks up in the joined
    text of the event (others test each value, with ``re.IGNORECASE`` folding or numbers, and bools count)."""
    if value[0] != "str" or value[2]:
        return False
    parts = value[1]
    inner = parts[1 if parts[:1] == (MULTI,) else 0: -1 if parts[-1:] == (MULTI,) else None]
    return bool(inner) and all(isinstance(p, str) for p in inner)


def _value_anchors(field: str | None, value: tuple) -> Anchors | None:
    kind = value[0]
    if kind == "exp":
        parts = [_value_anchors(field, v) for v in value[1]]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    if field is None and not _plain_keyword(value):
        return None
    if kind == "str":
        lit = _longest_literal(value[1])
        return frozenset({(field, lit)}) if lit else None
    if kind == "num":  # an exact number, not a substring: "1e1" and " 10" are 10 as well
        return frozenset({(field, (NUMBER, value[1]))})
    if kind == "re":
        lits = regex_literals(value[1], value[2])
        return frozenset((field, lit) for lit in lits if not SIGMA & set(lit)) if lits else None
    return None


def regex_literals(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lowercase ASCII literals of which every match of ``pattern`` holds one (a top-level run, or one per branch
    of an alternation), so a regex-only rule can be skipped when none is in the lowercased field. Under
    IGNORECASE, ``i`` and ``s`` are left out (``re`` lets them match ``ı`` and ``ſ``, whose lowercase differs).
    Built on ``re``'s own parser: no library answers this. None: no such guarantee."""
    try:
        from re import _constants as C, _parser as parser  # type: ignore[attr-defined]

        tree = parser.parse(pattern, flags)
    except Exception:  # another Python's internals, or a pattern re refuses
        return None
    caseless = bool((flags | tree.state.flags) & re.IGNORECASE)

    def ok(ch: str) -> bool:
        return ch.isascii() and not (caseless and ch in "iIsS")

    def sequence(items: Any) -> frozenset[str] | None:
        options, run = [], ""
        for op, arg in items:
            ch = chr(arg) if op is C.LITERAL else ""
            if ch and ok(ch):
                run += ch
                continue
            if run:
                options.append(frozenset({run.lower()}))
                run = ""
            if op is C.SUBPATTERN and not arg[1] and not arg[2]:  # a plain group (no local flags)
                sub = sequence(arg[3])
                if sub:
                    options.append(sub)
            elif op is C.BRANCH:
                parts = [sequence(b) for b in arg[1]]
                if parts and all(parts):
                    options.append(frozenset().union(*parts))
        if run:
            options.append(frozenset({run.lower()}))
        options = [o for o in options if all(len(x) >= 2 or x in RARE for x in o)]
        return max(options, key=lambda o: (min(map(len, o)), -len(o))) if options else None

    return sequence(tree)


def _length(lit: str | tuple) -> int:
    return len(lit) if isinstance(lit, str) else len(str(lit[1]))


def anchors(node: tuple) -> Anchors | None:
    kind = node[0]
    if kind == "field":
        return _value_anchors(node[1], node[2])
    if kind == "kw":  # keyword: the literal must appear in some value (field None)
        return _value_anchors(None, node[1])
    if kind == "and":
        options = [a for a in (anchors(c) for c in node[1]) if a is not None]
        # the most selective child: longest shortest-literal first (short literals like "10" hit everything)
        return max(options, key=lambda a: (min(_length(lit) for _, lit in a), -len(a))) if options else None
    if kind == "or":
        parts = [anchors(c) for c in node[1]]
        return None if any(p is None for p in parts) else frozenset().union(*parts)
    return None  # not, null/exists, cidr, comparisons: no literal guarantee


MEMO_VALUES = 4096  # short values per field of a route; then the memo starts again (the hot values return at once)
MEMO_CHARS = 256
SMALL_ROUTE = 12  # keys
SIG_VALUES = 4096  # route signatures remembered (then the memo starts again)
SIG_CHARS = 2_000_000  # or once they hold this much lowered text of their own (script blocks): memory stays bounded
SIG_TRIAL = 2048  # new signatures after which a route whose signatures seldom repeat stops remembering them
LONG_MEMO_VALUES = 64  # values up to LONG_MEMO_CHARS (call traces, command lines): few per field, they repeat too
LONG_MEMO_CHARS = 2048  # (Sysmon's CallTrace: 391 distinct among 18,219 OTRF events, 96% found in 64 entries)


class RouteIndex:
    """The rules of one logsource route, with one :class:`LiteralSet` per field over their anchor literals.

    A field is read exactly as the matchers read it (``matchers.getter``: the ECS name stands in for a missing
    Sigma name, web fields add their decoded copy) and lowercased once into the event's cache, which the
    matchers then reuse. Only the fields whose keys the event holds are visited. Telemetry repeats its values
    (the same images, parents, users, call traces, event ids over and over): each field remembers, for its
    recent values, the lowercased text and the literals found, so a repeated value costs one dict lookup
    instead of a lowercasing and a scan.
    """

    def __init__(self, rules: list, prefilter: bool = True, web: bool = False) -> None:
        self.web = web  # webserver and proxy events: decoded copies join the keyword text
        if not prefilter:  # the reference evaluation tries every rule of the route
            rules = [r for r in rules if r.anchors is None] + [r for r in rules if r.anchors is not None]
            self.always, self.by_literal, self.keys, self.keywords, self.empty = rules, [], frozenset(), None, True
            self.sig_keys = None
            return
        self.always = [r for r in rules if r.anchors is None]
        self.by_literal: list[list] = []
        keys: dict[tuple, int] = {}
        sets: dict[str | None, LiteralSet] = {}
        for r in rules:
            if r.anchors is None:
                continue
            for field, lit in r.anchors:
                k = keys.get((field, lit))
                if k is None:
                    k = keys[(field, lit)] = len(self.by_literal)
                    self.by_literal.append([])
                    sets.setdefault(field, LiteralSet()).add(lit, k)
                self.by_literal[k].append(r)
        for ls in sets.values():
            ls.finish()
        self.keywords = sets.pop(None, None)
        self.keywords_json = _json_literals(self.keywords)
        # by the event keys a field reads (its own name, and the ECS name standing in for it): a field none of
        # whose keys the event holds is MISSING (a Security event holds about 15 of its route's 47 fields)
        self.by_key: dict[str, list] = {}
        for f, ls in sets.items():
            memos = ({}, {})
            web = get_web if getter(f) is get_web else None
            self.by_key.setdefault(f, []).append((f, None, web, ls.scan, *memos))
            alt = FIELD_FALLBACK.get(f)
            if alt:  # read only when the event lacks the field itself
                self.by_key.setdefault(alt, []).append((f, f, web, ls.scan, *memos))
        self.keys = frozenset(self.by_key)
        # few keys: asking the event for each is cheaper than intersecting with its 30-odd keys
        self.key_list = list(self.by_key) if len(self.by_key) <= SMALL_ROUTE else None
        self.empty = not sets and self.keywords is None
        # the values of all the route's keys together, when the route has few (web routes decode: not these)
        self.sig_keys = tuple(self.by_key) if self.key_list is not None and not web else None
        self.sig_memo: dict[tuple, tuple] = {}
        self.sig_hits = self.sig_new = self.sig_chars = 0

    def candidates(self, event: dict) -> list:
        """A superset of the rules that can match: those one of whose literals occurs in its field."""
        if self.empty:
            return self.always
        seen: set[int] = set()
        if self.keywords is not None:
            self._keywords(event, seen)
        cache = event.get("_lc")
        if cache is None:
            cache = event["_lc"] = {}
        sig_keys = self.sig_keys
        if sig_keys is None or cache:
            self._fields(event, cache, seen)
        else:  # the route's values, taken together, repeat too (a Sysmon access: call trace, images, event id)
            values = tuple(map(event.get, sig_keys, repeat(MISSING)))
            sig = (values, tuple(map(type, values)))  # 1, 1.0 and True are equal keys but lower differently
            try:
                hit = self.sig_memo.get(sig)
            except TypeError:  # a list value: not hashable
                hit, sig = None, None
            if hit is not None:
                self.sig_hits += 1
                cache.update(hit[0])
                if not seen:  # no keyword hit (nearly always): the rules the fields chose, as last time
                    return hit[2]
                seen.update(hit[1])
            else:
                found: set[int] = set()
                size = self._fields(event, cache, found)
                if sig is not None:
                    self._remember(sig, dict(cache), tuple(found), self._rules(found), size)
                seen |= found
        return self._rules(seen)

    def _rules(self, seen: set[int]) -> list:
        """The rules with no anchor and those of every literal seen, each once."""
        if not seen:
            return self.always
        out = list(self.always)
        by_literal = self.by_literal
        if len(seen) == 1:
            return out + by_literal[next(iter(seen))]
        for k in seen:
            out += by_literal[k]
        return list(dict.fromkeys(out))

    def _fields(self, event: dict, cache: dict, seen: set[int]) -> int:
        """Each route field the event holds: its lowercased value into ``cache``, its literals into ``seen``.
        Returns the characters lowered afresh (values too long for the field memos), which a signature keeps."""
        fresh = 0
        by_key = self.by_key
        key_list = self.key_list
        for key in (self.keys.intersection(event) if key_list is None else [k for k in key_list if k in event]):
            for field, primary, web, scan, memo, long_memo in by_key[key]:
                if primary is not None and primary in event:  # the ECS stand-in of a field the event holds
                    continue
                v = event[key] if web is None else web(event, field)
                cls = v.__class__
                if cls is str or cls is int:
                    size = len(v) if cls is str else 0
                    m = memo if size <= MEMO_CHARS else long_memo if size <= LONG_MEMO_CHARS else None
                    if m is not None:
                        hit = m.get(v)
                        if hit is None:
                            low, found = lowered(v), set()
                            scan(low, found)
                            if len(m) >= (MEMO_VALUES if m is memo else LONG_MEMO_VALUES):
                                m.clear()
                            hit = m[v] = (low, tuple(found))
                        cache[field] = hit[0]
                        if hit[1]:
                            seen.update(hit[1])
                        continue
                low = cache[field] = lowered(v)
                if low is MISSING:
                    continue
                if low.__class__ is str:
                    fresh += len(low)
                    scan(low, seen)
                else:
                    for item in low:
                        fresh += len(item)
                        scan(item, seen)
        return fresh

    def _remember(self, sig: tuple, lowered_fields: dict, found: tuple, rules: list, size: int) -> None:
        """Keep a route signature's answer; after SIG_TRIAL new signatures, stop asking if fewer than a quarter as
        many were found again (a route whose values, taken together, do not repeat)."""
        self.sig_new += 1
        if self.sig_new == SIG_TRIAL and self.sig_hits * 4 < SIG_TRIAL:
            self.sig_keys, self.sig_memo = None, {}
            return
        self.sig_chars += size
        if len(self.sig_memo) >= SIG_VALUES or self.sig_chars > SIG_CHARS:
            self.sig_memo.clear()
            self.sig_chars = size
        self.sig_memo[sig] = (lowered_fields, found, rules)

    def _keywords(self, event: dict, seen: set[int]) -> None:
        """Keyword literals may sit in any value. Joining the values in Python cost 8 µs a Windows event, and
        remembering each value's hits (as fields do) 7 µs; orjson writes the event's values as JSON in C (no
        keys: a fifth less text to write and scan), and a value holding a literal makes its JSON text hold the
        literal's JSON form (string escaping maps each character alone). Non-ASCII text is searched as UTF-8
        bytes too, unless the guard finds İ or the Kelvin sign (``_json_literals``). Web events add decoded
        copies: they take the joined text."""
        if self.keywords_json is not None and not self.web:
            raw = event.pop("_raw", MISSING)  # the record as read: half the text, and no value of its own
            try:
                data = orjson.dumps(list(event.values()))
            except TypeError:  # a value orjson cannot write: the joined text answers
                data = None
            finally:
                if raw is not MISSING:
                    event["_raw"] = raw
            if data is not None and (not self.keywords.wide or data.isascii()):
                self.keywords_json.scan_ascii(data, seen)
                if GUARD not in seen:
                    return
                seen.discard(GUARD)
        self.keywords.scan(haystack(event), seen)


GUARDED = ("\u0130", "\u212a")
GUARD = 1 << 30  # the id of İ (U+0130) and the Kelvin sign (U+212A) in the keyword JSON text


def _json_literals(keywords: LiteralSet | None) -> LiteralSet | None:
    """The keyword literals as they appear in JSON text, or None when JSON text could miss one: where Python's
    ``str`` of a number differs from JSON's (``1e-05`` against ``1e-5``, ``nan``, ``inf``), a literal with a digit
    or sign, or one inside ``nan``/``-inf``, takes the joined text."""
    if keywords is None:
        return None
    out = LiteralSet()
    for lit, k in keywords.ascii + list(keywords.wide):
        if any(c.isdigit() or c in "+-\x1f" for c in lit) or lit in "nan -inf":  # \x1f: joined text's separator
            return None
        try:
            out.add(orjson.dumps(lit).decode()[1:-1], k)
        except TypeError:  # a lone surrogate: JSON cannot hold it
            return None
    if out.ascii:
        # The only characters whose lowercase holds an ASCII letter: İ (to "i̇") and the Kelvin sign (to "k").
        # Without them, matching ASCII literals caselessly on the UTF-8 bytes (multibyte sequences hold no ASCII
        # byte) finds exactly what lowercasing the text would; with them, the joined text answers.
        for ch in GUARDED:
            out.add_guard(ch, GUARD)
    return out.finish()
