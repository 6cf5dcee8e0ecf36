"""Every positive SigmaHQ regression test: the rule matches exactly ``match_count`` events of its file."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import shared_data

DATA = shared_data()
pytestmark = pytest.mark.skipif(DATA is None, reason="../shared/data is absent")


# In these five, info.yml expects 1 match but the event file holds 2-5 records that each fit the rule's selection
# (checked by hand, field by field; the .evtx holds exactly the same records as the .json, read with python-evtx).
# Per the Sigma specification every one of them matches, so the expected count, not the engine, is off.
# strict xfail: if the count ever agrees, the marker must go.
OVER_COUNTED = {"file_event_win_anydesk_artefact", "proc_creation_win_dtrace_kernel_dump",
                "proc_creation_win_github_self_hosted_runner", "registry_set_change_security_zones",
                "registry_set_disable_administrative_share"}


def _cases():
    if DATA is None:
        return []
    cases = []
    for info in sorted((DATA / "sigma" / "regression_data").rglob("info.yml")):
        meta = yaml.safe_load(info.read_text())
        rule_id = meta["rule_metadata"][0]["id"]
        for test in meta.get("regression_tests_info", []):
            event_file = info.parent / (Path(test["path"]).stem + ".json")
            marks = [pytest.mark.xfail(strict=True, reason="json export has more matching events than info.yml counts")] \
                if info.parent.name in OVER_COUNTED else []
            cases.append(pytest.param(rule_id, event_file, int(test.get("match_count", 1)), id=info.parent.name,
                                      marks=marks))
    return cases


@pytest.fixture(scope="module")
def rule_index():
    index = {}
    for folder in sorted((DATA / "sigma").glob("rules*")):
        for path in folder.rglob("*.yml"):
            head = path.read_text(encoding="utf-8", errors="replace")[:4000]
            for line in head.splitlines():
                if line.startswith("id:"):
                    index[line.split(":", 1)[1].strip()] = path
                    break
    return index


@pytest.mark.parametrize("rule_id,event_file,expected", _cases())
def test_regression(rule_index, rule_id, event_file, expected):
    from detectors.parsers import ParseError, parse_json_documents
    from detectors.sigma import SigmaEngine

    engine = SigmaEngine.from_paths([rule_index[rule_id]])
    assert engine.rules_loaded == 1, engine.skipped
    events = [e for e in parse_json_documents(event_file.read_text()) if not isinstance(e, ParseError)]
    matched = sum(1 for e in events if engine.match_event(e))
    assert matched == expected, f"{matched} of {len(events)} events matched"
