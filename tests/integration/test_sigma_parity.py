"""The fast Sigma engine (value lists compiled, cheap tests first, literal prefilter) matches exactly what the plain
reference evaluation matches (one test per value, every rule of the log source tried), event by event, with every
SigmaHQ rule over every shared corpus. Any difference fails and names the events and rules."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import shared_data

DATA = shared_data()
pytestmark = pytest.mark.skipif(DATA is None, reason="../shared/data is absent")


@pytest.fixture(scope="module")
def engines():
    from detectors.sigma import SigmaEngine

    fast = SigmaEngine.from_paths([DATA / "sigma" / "rules"])
    assert fast.rules_loaded > 3000, fast.skipped[:5]
    return fast, fast.reference()


def _attack(tmp: Path) -> list[Path]:
    from bench import attack_corpus

    out = tmp / "attack.jsonl"
    attack_corpus.write(DATA, out, len(attack_corpus.base_documents(DATA)))
    return [out]


CORPORA = {
    "attack": _attack,  # SigmaHQ regression events and the real Windows samples, once each
    "sigma-regression": lambda tmp: sorted((DATA / "sigma" / "regression_data").rglob("*.json")),
    "otrf": lambda tmp: [DATA / "otrf"],
    "real": lambda tmp: [DATA / "real"],
}


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_fast_engine_matches_reference(engines, corpus, tmp_path):
    from detectors.parsers import NotEvent
    from detectors.reader import input_files, read_input

    fast, ref = engines
    events, matched, diffs = 0, 0, []
    started = time.perf_counter()
    for path in input_files([str(p) for p in CORPORA[corpus](tmp_path)]):
        for _, ev in read_input(path):
            if ev is None or isinstance(ev, NotEvent):
                continue
            events += 1
            got = [r.id for r in fast.match_event(dict(ev))]
            want = {r.id for r in ref.match_event(dict(ev))}
            matched += bool(want)
            if set(got) != want or len(got) != len(set(got)):
                diffs.append(f"{path.name}: fast only {sorted(set(got) - want)}, reference only "
                             f"{sorted(want - set(got))}, repeated {len(got) - len(set(got))}")
    print(f"{corpus}: {events:,} events, {matched:,} matching a rule, {time.perf_counter() - started:.0f} s")
    assert events > 100
    assert not diffs, f"{len(diffs)} of {events} events differ:\n" + "\n".join(diffs[:20])
