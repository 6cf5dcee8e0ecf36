"""The project's rule pack tests itself: each rule folder holds ``rule.yml`` with ``positive.log`` lines that
must each raise it and ``negative.log`` lines that must not (raw lines, as devices send them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .parsers import NotEvent, ParseError, parse_line

RULES_DIR = Path(__file__).resolve().parent / "rules" / "sigma"
ANOMALY_TESTS_DIR = Path(__file__).resolve().parent / "rules" / "anomaly_tests"


@dataclass
class RuleTestResult:
    rule: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    positives: int = 0
    negatives: int = 0


def run_rule_tests(rules_dir: Path = RULES_DIR) -> list[RuleTestResult]:
    from .sigma import SigmaEngine

    results = []
    for folder in sorted(p for p in rules_dir.iterdir() if (p / "rule.yml").is_file()):
        res = RuleTestResult(folder.name, True)
        engine = SigmaEngine.from_paths([folder / "rule.yml"])
        if engine.skipped or engine.rules_loaded != 1:
            res.passed, res.problems = False, [f"rule does not load: {engine.skipped}"]
            results.append(res)
            continue
        for kind, want in (("positive", True), ("negative", False)):
            path = folder / f"{kind}.log"
            if not path.is_file():
                res.passed = False
                res.problems.append(f"{kind}.log is missing")
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                events = parse_line(line, device="test-device")
                bad = [e for e in events if isinstance(e, ParseError)]
                if bad or not events:
                    res.passed = False
                    res.problems.append(f"{kind}.log:{n} does not parse: {bad[0].reason if bad else 'empty'}")
                    continue
                hit = any(engine.match_event(e) for e in events if not isinstance(e, NotEvent))
                setattr(res, f"{kind}s", getattr(res, f"{kind}s") + 1)
                if hit != want:
                    res.passed = False
                    res.problems.append(f"{kind}.log:{n} {'did not match' if want else 'matched'}: {line[:120]}")
        results.append(res)
    return results


def run_anomaly_tests(tests_dir: Path = ANOMALY_TESTS_DIR, config: dict | None = None) -> list[RuleTestResult]:
    """Each detector's ``positive.log`` (a sequence of device lines) must raise it; ``negative.log`` must not."""
    from .anomaly import REGISTRY, load_config
    from .state import MemoryStateStore

    config = load_config() if config is None else config
    results = []
    for folder in sorted(p for p in tests_dir.iterdir() if p.is_dir()):
        res = RuleTestResult(folder.name, True)
        if folder.name not in REGISTRY:
            res.passed, res.problems = False, [f"no anomaly detector named {folder.name}"]
            results.append(res)
            continue
        settings = {k: v for k, v in (config.get(folder.name) or {}).items() if k != "enabled"}
        for kind, want in (("positive", True), ("negative", False)):
            det, state = REGISTRY[folder.name](**settings), MemoryStateStore()
            path = folder / f"{kind}.log"
            if not path.is_file():
                res.passed = False
                res.problems.append(f"{kind}.log is missing")
                continue
            alerts = []
            for line in path.read_text(encoding="utf-8").splitlines():
                for ev in parse_line(line, device="test-device"):
                    if not isinstance(ev, NotEvent):
                        alerts += det.observe(ev, state)
            setattr(res, f"{kind}s", 1)
            if bool(alerts) != want:
                res.passed = False
                res.problems.append(f"{kind}.log {'raised no alert' if want else f'raised {len(alerts)} alerts'}")
        results.append(res)
    return results
