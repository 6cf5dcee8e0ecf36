"""Spread a scan over the cores: whole shards per worker process (a shard's records must be read in order for
the duplicate check and the stateful rules), balanced by bytes; progress flows back through a queue.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import datetime
from typing import Any, Callable

from .archive_reader import _order, scan_range

_queue: Any = None


def scanner_factory(spec: dict[str, Any]) -> Callable[[], Any]:
    """Fresh :class:`~detectors.deepscan.ArchiveScan` objects for a scan's parameters (rules, indicators, devices,
    sources), sharing one compiled rule engine; ``ValueError`` when the parameters are wrong."""
    from detectors.deepscan import ArchiveScan, IndicatorSweep
    from detectors.deepscan.selection import select
    from detectors.pipeline import Detector
    from detectors.sigma import SigmaEngine

    rules = spec.get("rules") or {}
    if spec.get("rule_paths"):
        engine = SigmaEngine.from_paths(spec["rule_paths"])
    else:
        engine = select(SigmaEngine.deployed(), rules.get("mode", "all"), rules.get("ids") or (), rules.get("since"))
    IndicatorSweep(spec.get("indicators") or None)  # unknown indicator kinds: say so now, not in a worker

    def new() -> Any:
        detector = Detector(sigma=engine)  # fresh state and statistical detectors for each shard
        if rules.get("mode", "all") != "all":
            detector.anomalies = []  # picked rules only: the statistical detectors are part of "all"
        return ArchiveScan(detector=detector, indicators=spec.get("indicators") or None,
                           devices=spec.get("devices") or (), sources=spec.get("sources") or ())
    return new


def by_shard(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    shards: dict[str, list[dict[str, Any]]] = {}
    for o in objects:
        shards.setdefault(_order(o["key"])[0], []).append(o)
    return shards


def scan_shards(new: Callable[[], Any], start: datetime, end: datetime, objects: list[dict[str, Any]],
                progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Each shard with its own detector state, as the stream keeps a device's records on one shard: the findings
    do not depend on how shards are dealt to workers. Returns the shards' partials and the running totals."""
    done = {"objects_done": 0, "bytes_done": 0, "events": 0, "records": 0, "duplicates": 0}
    parts, corrupt = [], []
    for objs in by_shard(objects).values():
        def report(st: dict[str, Any], base: dict[str, int] = dict(done)) -> None:
            if progress:
                progress({**st, **{k: base[k] + st.get(k, 0) for k in base}, "objects_total": len(objects)})
        out = scan_range(start, end, new(), progress=report, objects=objs, finish=False)
        figures = {**out["stats"], **out}
        for k in done:
            done[k] += figures.get(k, 0)
        parts.append(out)
        corrupt += out["corrupt"]
    return {"parts": parts, "corrupt": corrupt, **done}


def plan(objects: list[dict[str, Any]], workers: int) -> list[list[dict[str, Any]]]:
    """Shards (in archive order) dealt to at most ``workers`` groups, the biggest shard first to the lightest."""
    shards = by_shard(objects)
    groups: list[list[dict[str, Any]]] = [[] for _ in range(max(1, min(workers, len(shards))))]
    sizes = [0] * len(groups)
    for objs in sorted(shards.values(), key=lambda v: -sum(o["size"] for o in v)):
        i = sizes.index(min(sizes))
        groups[i] += objs
        sizes[i] += sum(o["size"] for o in objs)
    return [g for g in groups if g]


def _init(q: Any) -> None:
    global _queue
    _queue = q


def _work(idx: int, spec: dict[str, Any], start: datetime, end: datetime, objects: list[dict[str, Any]]) -> dict:
    last = [0.0]

    def report(st: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or st["objects_done"] == st["objects_total"]:
            last[0] = now
            _queue.put((idx, {k: v for k, v in st.items() if k != "corrupt"}))

    return scan_shards(scanner_factory(spec), start, end, objects, progress=report)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run(spec: dict[str, Any], start: datetime, end: datetime, objects: list[dict[str, Any]], workers: int = 0,
        progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Scan ``objects`` with up to ``workers`` processes (0: one per core); ``progress`` gets the running totals
    and may raise to stop every worker. Returns the combined findings and figures, with ``workers`` used."""
    from detectors.deepscan.scan import combine

    groups = plan(objects, workers or cores())
    totals = {"objects_total": len(objects), "bytes_total": sum(o["size"] for o in objects)}
    if len(groups) <= 1:  # one shard or one core: no process to start
        outs = [scan_shards(scanner_factory(spec), start, end, objects,
                            progress=(lambda st: progress({**st, **totals})) if progress else None)]
    else:
        outs = _in_processes(spec, start, end, groups, totals, progress)
    out = combine([p for o in outs for p in o["parts"]])
    out.update(totals, objects_done=sum(o["objects_done"] for o in outs), bytes_done=sum(o["bytes_done"] for o in outs),
               corrupt=[c for o in outs for c in o["corrupt"]], workers=len(groups))
    return out


def _in_processes(spec: dict[str, Any], start: datetime, end: datetime, groups: list[list[dict[str, Any]]],
                  totals: dict[str, int], progress: Callable[[dict[str, Any]], None] | None) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")  # never fork a process that holds sockets and threads
    q = ctx.Queue()
    latest: dict[int, dict[str, Any]] = {}
    with ProcessPoolExecutor(len(groups), mp_context=ctx, initializer=_init, initargs=(q,)) as pool:
        futures = [pool.submit(_work, i, spec, start, end, g) for i, g in enumerate(groups)]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for f in done:
                    if f.exception() is not None:  # one worker failed: the scan fails now, not after the others
                        raise f.exception()  # type: ignore[misc]
                try:
                    while True:
                        idx, st = q.get_nowait()
                        latest[idx] = st
                except queue_mod.Empty:
                    pass
                if progress:
                    agg = {k: sum(st.get(k, 0) for st in latest.values())
                           for k in ("objects_done", "bytes_done", "events", "records", "duplicates")}
                    progress({**agg, **totals})
            return [f.result() for f in futures]
        except BaseException:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()  # a cancel or a failure stops every worker now, not after its shard
            pool.shutdown(wait=False, cancel_futures=True)
            raise
