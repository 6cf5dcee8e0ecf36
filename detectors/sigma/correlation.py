"""Sigma correlation rules (``event_count``, ``value_count``, ``temporal``, ``temporal_ordered``).

Windowed state lives in the :class:`detectors.state.StateStore` passed in, so the same rules correlate across
Lambda invocations (MySQL store) or within one scan (memory store). Conditions are judged as events arrive,
so ``gte``/``gt``/``eq`` are supported; ``lt``/``lte`` (which need the window to close) are skipped with a reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..alerts import LEVEL_TO_SEVERITY, Alert, fingerprint
from .ir import Unsupported
from .matchers import MISSING, get

SUPPORTED = {"event_count", "value_count", "temporal", "temporal_ordered"}
MAX_WINDOW_ITEMS = 2000


@dataclass
class CompiledCorrelation:
    id: str
    title: str
    level: str
    type: str
    refs: list[str]  # ids of the base rules
    group_by: list[str]
    timespan: int
    op: str
    count: float
    fieldref: str | None
    attack: list[str]

    def satisfied(self, n: float) -> bool:
        return {"gte": n >= self.count, "gt": n > self.count, "eq": n == self.count}[self.op]


def compile_correlation(rule: Any, resolve: dict[str, str], attack: list[str]) -> CompiledCorrelation:
    ctype = rule.type.name.lower()
    if ctype not in SUPPORTED:
        raise Unsupported(f"correlation type {ctype}")
    if len(rule.aliases):
        raise Unsupported("field aliases in correlations")
    cond = rule.condition
    op = getattr(getattr(cond, "op", None), "name", "GTE").lower()
    if ctype in ("event_count", "value_count") and op not in ("gte", "gt", "eq"):
        raise Unsupported(f"condition {op} needs the window to close")
    refs = []
    for ref in rule.rules or []:
        rid = resolve.get(ref.reference)
        if rid is None:
            raise Unsupported(f"referenced rule {ref.reference!r} not loaded")
        refs.append(rid)
    fieldref = getattr(cond, "fieldref", None)
    level = rule.level.name.lower() if rule.level else "medium"
    return CompiledCorrelation(id=str(rule.id or rule.name or rule.title), title=rule.title, level=level, type=ctype,
                               refs=refs, group_by=list(rule.group_by or []), timespan=int(rule.timespan.seconds),
                               op=op if ctype in ("event_count", "value_count") else "gte",
                               count=float(getattr(cond, "count", 1) or 1),
                               fieldref=fieldref if isinstance(fieldref, str) else None, attack=attack)


def observe(corr: CompiledCorrelation, rule_id: str, event: dict, state: Any) -> Alert | None:
    """Record one base-rule match in the correlation's window; return an alert when the condition first holds."""
    group = {f: get(event, f) for f in corr.group_by}
    if any(v is MISSING or v is None for v in group.values()):
        return None
    now = float(event.get("_ts") or 0.0)
    key = "corr:" + corr.id + ":" + "|".join(str(group[f]) for f in corr.group_by)
    st = state.get(key, now) or {"items": [], "alerted_until": 0.0}
    value = get(event, corr.fieldref) if corr.fieldref else None
    items = [i for i in st["items"] if now - i[0] <= corr.timespan]
    items.append([now, rule_id, None if value is MISSING else value])
    st["items"] = items[-MAX_WINDOW_ITEMS:]
    hit, observed = _judge(corr, st["items"])
    alert = None
    if hit and now >= st["alerted_until"]:
        st["alerted_until"] = now + corr.timespan  # one alert per window
        entity = {f: group[f] for f in corr.group_by}
        first = st["items"][0][0]
        alert = Alert(rule_id=corr.id, title=corr.title, severity=LEVEL_TO_SEVERITY.get(corr.level, "Media"),
                      first_seen=first, last_seen=now, entity=entity, attack=list(corr.attack),
                      count=len(st["items"]), device=event.get("_device"),
                      explanation={"summary": f"{corr.type} correlation: {observed} within {corr.timespan} s "
                                              f"(condition {corr.op} {corr.count:g}) grouped by "
                                              f"{', '.join(corr.group_by) or 'nothing'}",
                                   "observed": observed, "threshold": corr.count, "window_s": corr.timespan},
                      fingerprint=fingerprint(corr.id, entity, int(first // 3600)))
    state.put(key, st, now, corr.timespan)
    return alert


def _judge(corr: CompiledCorrelation, items: list) -> tuple[bool, Any]:
    if corr.type == "event_count":
        return corr.satisfied(len(items)), len(items)
    if corr.type == "value_count":
        distinct = len({str(i[2]) for i in items if i[2] is not None})
        return corr.satisfied(distinct), distinct
    seen = [i[1] for i in items]
    if corr.type == "temporal":
        return all(r in seen for r in corr.refs), sorted(set(seen))
    pos = 0  # temporal_ordered: the referenced rules occur in this order
    for rid in seen:
        if pos < len(corr.refs) and rid == corr.refs[pos]:
            pos += 1
    return pos == len(corr.refs), corr.refs[:pos]
