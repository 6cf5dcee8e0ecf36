"""Which rules a deep scan runs: every deployed rule, the ones named, or only those written since a date.

A correlation rule stays when every rule it builds on stays, so a retro-hunt with "new since" still counts a
brute force whose base rule is older only if that base rule is picked too.
"""
from __future__ import annotations

from typing import Any, Iterable

MODES = ("all", "selected", "since")


def select(engine: Any, mode: str = "all", rule_ids: Iterable[str] = (), since: str | None = None) -> Any:
    """A new engine holding the chosen rules of ``engine``; ``ValueError`` names what was asked for and not found."""
    from ..sigma import SigmaEngine

    if mode == "all":
        return engine
    if mode == "selected":
        wanted = {str(r) for r in rule_ids}
        if not wanted:
            raise ValueError("name at least one rule id")
        known = {r.id for r in engine.rules} | {c.id for c in engine.correlations}
        missing = sorted(wanted - known)
        if missing:
            raise ValueError(f"unknown rule ids: {', '.join(missing[:10])}")
        keep = lambda r: r.id in wanted  # noqa: E731
    elif mode == "since":
        if not since:
            raise ValueError("give the date rules must be written on or after")
        keep = lambda r: bool(r.date) and str(r.date)[:10] >= since[:10]  # noqa: E731
    else:
        raise ValueError(f"rule mode must be one of {', '.join(MODES)}")
    rules = [r for r in engine.rules if keep(r)]
    ids = {r.id for r in rules}
    correlations = [c for c in engine.correlations if (mode == "selected" and c.id in wanted) or
                    (set(c.refs) <= ids and c.refs)]
    for c in correlations:  # a picked correlation brings the rules it counts
        rules += [r for r in engine.rules if r.id in c.refs and r.id not in ids]
        ids |= set(c.refs)
    return SigmaEngine(rules, engine.skipped, correlations)


def catalogue(engine: Any) -> list[dict[str, Any]]:
    """The rules a user can pick from: id, title, level, date."""
    out = [{"id": r.id, "title": r.title, "level": r.level, "date": r.date} for r in engine.rules]
    out += [{"id": c.id, "title": c.title, "level": c.level, "date": None, "correlation": True}
            for c in engine.correlations]
    return sorted({o["id"]: o for o in out}.values(), key=lambda o: o["title"].lower())
