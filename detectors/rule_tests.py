"""The project's rule pack tests itself: each rule folder holds ``rule.yml`` with ``positive.log`` lines that
must each raise it and ``negative.log`` lines that must not (raw lines, as devices send them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .parsers import ParseError, parse_line

RULES_DIR = Path(__file__).resolve().parent / "rules" / "sigma"


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
                hit = any(engine.match_event(e) for e in events)
                setattr(res, f"{kind}s", getattr(res, f"{kind}s") + 1)
                if hit != want:
                    res.passed = False
                    res.problems.append(f"{kind}.log:{n} {'did not match' if want else 'matched'}: {line[:120]}")
        results.append(res)
    return results
