"""Which of many literals occur in a lowercased text: the prefilter's one question, asked of every field.

Short values go through a pyahocorasick automaton (its per-call cost is the lowest). Long ones (script blocks,
call traces, the keyword haystack of a whole event: kilobytes) go through Hyperscan when it is installed, which
scans them about ten times faster (3.2 KB: 1.7 µs against 17.5 µs) but costs about 1.5 µs a call whatever the
length. Literals holding a non-ASCII character (emoji and homoglyph lists) stay out of both: hundreds of root
branches made the automaton ten times slower; they are looked for only in values that are not ASCII. Every path
gives the same set of hits (UTF-8 multibyte sequences hold no ASCII byte, so ASCII literals match bytes exactly).
"""
from __future__ import annotations

import logging
from typing import Any

import ahocorasick

from .matchers import as_number

try:  # optional: without it long values take the automaton too (same hits, slower)
    import hyperscan
except ImportError:  # pragma: no cover - the platform lacks a wheel
    hyperscan = None

log = logging.getLogger(__name__)
LONG = 192  # characters from which Hyperscan's scan beats the automaton's (measured on SigmaHQ's literals)


def _on_match(id_: int, _from: int, _to: int, _flags: int, seen: set[int]) -> None:
    seen.add(id_)


class LiteralSet:
    def __init__(self) -> None:
        self.ascii: list[tuple[str, int]] = []
        self.wide: tuple[tuple[str, int], ...] = ()
        self.auto: Any = None
        self._hs: dict[bool, Any] = {}  # by caselessness, built on the first long value: most fields never hold one
        self.long = hyperscan is not None
        self.number_text: dict[str, list[int]] = {}
        self.numbers: dict[Any, list[int]] = {}

    def add(self, lit: str | tuple, k: int) -> None:
        if isinstance(lit, tuple):  # (prefilter.NUMBER, n): the whole value must equal n, as text or as a number
            n = lit[1]
            self.number_text.setdefault(str(n), []).append(k)
            self.numbers.setdefault(n, []).append(k)
        elif lit.isascii():
            self.ascii.append((lit, k))
        else:
            self.wide += ((lit, k),)

    def add_guard(self, lit: str, k: int) -> None:
        """A literal looked for by the automaton and Hyperscan whatever its characters (as UTF-8 bytes there): the
        keyword JSON text's guard against characters that lowercase to ASCII."""
        self.ascii.append((lit, k))

    def finish(self) -> "LiteralSet":
        if self.ascii:
            self.auto = ahocorasick.Automaton()
            for lit, k in self.ascii:
                self.auto.add_word(lit, k)
            self.auto.make_automaton()
        return self

    def scan(self, text: str, seen: set[int]) -> None:
        """Add to ``seen`` the id of every literal that occurs in ``text`` (a lowercased value), and of every
        number the value equals as ``matchers`` compare numbers (its text, or its value as a float)."""
        if self.numbers:
            seen.update(self.number_text.get(text, ()))
            x = as_number(text)
            if x is not None and x in self.numbers:
                seen.update(self.numbers[x])
        if self.auto is not None and not (self.long and len(text) >= LONG and self._hyperscan(text, seen)):
            for _, k in self.auto.iter(text):
                seen.add(k)
        if self.wide and not text.isascii():
            for lit, k in self.wide:
                if lit in text:
                    seen.add(k)

    def scan_ascii(self, data: bytes, seen: set[int]) -> None:
        """``scan`` of UTF-8 bytes not yet lowercased, for the ASCII literals: Hyperscan matches them caselessly
        (what lowercasing does to ASCII), so a kilobytes-long text is neither lowercased nor decoded. Exact only
        where no character lowercases to ASCII: the caller adds a guard for those (``prefilter._json_literals``)."""
        if self.auto is None:
            return
        if self.long and len(data) >= LONG and self._hyperscan(data, seen, True):
            return
        for _, k in self.auto.iter(data.lower().decode()):
            seen.add(k)

    def _database(self, caseless: bool) -> Any:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        n = len(self.ascii)
        flag = hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
        db.compile(expressions=[lit.encode() for lit, _ in self.ascii], ids=[k for _, k in self.ascii],
                   elements=n, flags=[flag] * n, literal=True)
        db.scratch = hyperscan.Scratch(db)
        return db

    def _hyperscan(self, text: str | bytes, seen: set[int], caseless: bool = False) -> bool:
        try:
            db = self._hs.get(caseless)
            if db is None:
                db = self._hs[caseless] = self._database(caseless)
            data = text if text.__class__ is bytes else text.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
            db.scan(data, _on_match, 0, seen)  # positional: keywords cost 0.26 µs a call
            return True
        except Exception as exc:  # a scratch busy in another thread, a compile refusal: the automaton answers
            if not self._hs:
                log.warning("hyperscan unavailable for %d literals (%s): long values use the automaton",
                            len(self.ascii), exc)
                self.long = False
            return False
