"""Every Lambda function logs JSON through Powertools' formatter (``chalicelib.logs``); outside Lambda, plain logs."""
import json
import logging
from types import SimpleNamespace

import pytest

from chalicelib import logs


@pytest.fixture
def root_restored():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.reset()
    yield
    root.handlers, _ = saved
    root.setLevel(saved[1])
    logs.reset()


def test_in_lambda_every_module_logs_one_json_object_with_the_request_id(root_restored, monkeypatch, capsys):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cyberincident-dev")
    assert logs.setup("cyberincident") is not None
    logs.bind(SimpleNamespace(aws_request_id="req-42"))
    logging.getLogger("chalicelib.evidence_arrival").warning("evidence %s quarantined", 7)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert len(lines) == 1  # once: the runtime's plain handler is replaced, not doubled
    doc = json.loads(lines[0])
    assert doc["message"] == "evidence 7 quarantined" and doc["level"] == "WARNING"
    assert doc["service"] == "cyberincident" and doc["function_request_id"] == "req-42"
    assert doc["function_name"] == "cyberincident-dev"


def test_outside_lambda_logging_is_left_alone(root_restored, monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    before = logging.getLogger().handlers[:]
    assert logs.setup("cyberincident") is None
    logs.bind(SimpleNamespace(aws_request_id="x"))
    assert logging.getLogger().handlers == before


def test_the_stream_handlers_logger_is_not_written_twice(root_restored, monkeypatch, capsys):
    from chalicelib.pipeline.telemetry import Telemetry

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cyberincident-dev-stream")
    logs.setup("cyberincident")
    Telemetry().logger().info("batch done")
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "batch done" in ln]
    assert len(lines) == 1 and json.loads(lines[0])["service"] == "pipeline"
