"""Every operation of the OpenAPI description, fuzzed by schemathesis against the running local stack: whatever
arrives (random bodies, path ids, query values), no answer is a server error."""
from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.e2e.conftest import PASSWORD

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))  # per operation: about 2,100 requests, 35 s


@pytest.fixture(scope="module")
def api_schema(stack):
    return schemathesis.openapi.from_url(stack + "/api/openapi.json")


@pytest.fixture(scope="module")
def admin_headers(stack):
    req = urllib.request.Request(stack + "/api/auth/token", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"username": "admin", "password": PASSWORD}).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return {"Authorization": "Bearer " + json.load(r)["token"]}


def test_no_operation_answers_with_a_server_error(api_schema, admin_headers):
    """Hypothesis draws ``EXAMPLES`` cases per operation (schemathesis's pytest plugin does not load under pytest 9,
    so the operations are walked here)."""
    from hypothesis import given

    failures, calls = [], {"n": 0}
    for result in api_schema.get_all_operations():
        op = result.ok()
        anonymous = op.path == "/api/auth/revoke" or (op.method.upper() == "PATCH" and op.path == "/api/users/{user_id}")
        headers = {} if anonymous else admin_headers  # the fuzzer must not revoke or rewrite the token it runs with

        @given(op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            calls["n"] += 1
            case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=30)

        started, before = time.monotonic(), calls["n"]
        try:
            run()
        except Exception as exc:  # noqa: BLE001 (collected, so one failing operation does not hide the others)
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:400]}")
        print(f"  {op.method.upper():6} {op.path}: {calls['n'] - before} requests, {time.monotonic() - started:.1f} s",
              flush=True)
    print(f"\nschemathesis: {calls['n']} requests over {len(list(api_schema.get_all_operations()))} operations")
    assert not failures, "\n".join(failures)


def test_the_description_covers_every_api_route(stack):
    with urllib.request.urlopen(stack + "/api/openapi.json", timeout=10) as r:
        doc = json.load(r)
    from openapi_spec_validator import validate

    validate(doc)
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert ("POST", "/api/auth/token") in ops and ("GET", "/api/alerts/{alert_id}") in ops and len(ops) >= 40
    assert doc["paths"]["/api/users"]["post"]["x-minimum-role"] == "admin"
