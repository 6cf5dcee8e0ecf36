"""The deploy function: CloudFormation's custom resource runs the migrations and the first-admin bootstrap, and
hears back SUCCESS or FAILED with the reason (a real HTTP PUT to the response URL, as S3's pre-signed one)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


@pytest.fixture
def cloudformation():
    answers = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):
            answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    event = {"RequestType": "Create", "ResponseURL": f"http://127.0.0.1:{server.server_address[1]}/answer",
             "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/ci/1", "RequestId": "r-1",
             "LogicalResourceId": "DeployMigrations", "ResourceType": "Custom::Migrations"}
    yield event, answers
    server.shutdown()


def test_a_deploy_migrates_creates_the_admin_and_answers_success(db_url, cloudformation, monkeypatch):
    from chalicelib import aws, deploy, users
    from chalicelib.db import get_db
    from chalicelib.db.migrations import MIGRATIONS

    secret = aws.client("secretsmanager").create_secret(Name=f"admin-{id(db_url)}", SecretString="first-login-pass-1")
    monkeypatch.setenv("ADMIN_SECRET_ARN", secret["ARN"])
    event, answers = cloudformation
    out = deploy.handle(event)
    assert out["migrations_applied"] == [m[0] for m in MIGRATIONS]
    (answer,) = answers
    assert answer["Status"] == "SUCCESS" and answer["RequestId"] == "r-1" and answer["StackId"] == event["StackId"]
    assert users.authenticate("admin", "first-login-pass-1", "192.0.2.1")["rol"] == "admin"  # the secret's password
    deploy.handle({**event, "RequestType": "Update", "PhysicalResourceId": answer["PhysicalResourceId"]})
    assert answers[-1]["Status"] == "SUCCESS" and "[]" in answers[-1]["Reason"]  # nothing left to apply
    deploy.handle({**event, "RequestType": "Delete"})
    assert answers[-1]["Status"] == "SUCCESS"
    assert get_db().scalar("SELECT COUNT(*) AS n FROM usuarios") == 1  # deleting the stack keeps the data


def test_a_failed_migration_fails_the_deploy_with_its_reason(db_url, cloudformation, monkeypatch):
    from chalicelib import deploy
    from chalicelib.db import migrations

    def broken(db):
        raise RuntimeError("disk full")
    monkeypatch.setattr(migrations, "migrate", broken)
    event, answers = cloudformation
    deploy.handle(event)
    assert answers[-1]["Status"] == "FAILED" and "disk full" in answers[-1]["Reason"]
