"""Shared fixtures: a real moto server, SQLite and (with TEST_MYSQL_URL) MariaDB, and app clients."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MYSQL_URL = os.environ.get("TEST_MYSQL_URL")
DB_KINDS = ["sqlite"] + (["mysql"] if MYSQL_URL else [])
PASSWORD = "correct horse battery"


def shared_data() -> Path | None:
    """../shared/data beside the repository (absent in a user's clone: tests skip)."""
    path = Path(os.environ.get("CYBERINCIDENT_SHARED_DATA", ROOT.parent / "shared" / "data"))
    return path if path.is_dir() else None


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2's cheapest parameters for the suite: a production hash (64 MiB, t=3) costs 0.15 s, and every API
    test creates and logs in three users. The production profile is tested on its own (test_units)."""
    from argon2 import PasswordHasher, profiles

    from chalicelib import users

    saved = users._hasher, users._DUMMY_HASH
    users._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    users._DUMMY_HASH = users._hasher.hash("timing-equaliser")
    yield
    users._hasher, users._DUMMY_HASH = saved


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from chalicelib import local_stack
    from chalicelib.local_moto import SerialMotoServer

    port = local_stack.free_port()
    server = SerialMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-west-1",
                       "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                       "SECRET_KEY": "test-secret-key-not-for-production", "SECURE_COOKIES": "0"})
    local_stack.create_resources()
    ecs_for_scans()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def ecs_for_scans() -> None:
    """The analyzer's Fargate task as AWS would hold it (moto records RunTask; nothing runs): a private subnet with
    DNS hostnames, a security group, the cluster and the task definition. Tests run the analyzer themselves."""
    from chalicelib import aws, config

    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="analyzer", Description="analyzer", VpcId=vpc)["GroupId"]
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="cyberincident")
    ecs.register_task_definition(family="cyberincident-analyzer", requiresCompatibilities=["FARGATE"],
                                 networkMode="awsvpc", cpu="2048", memory="4096", containerDefinitions=[
                                     {"name": "analyzer", "image": "cyberincident-analyzer:test", "essential": True,
                                      "cpu": 2048, "memory": 4096}])
    os.environ.update({"SCAN_LAUNCHER": "ecs", "ECS_SUBNETS": subnet, "ECS_SECURITY_GROUPS": sg})
    config.reset()


def reset_mysql(url: str) -> None:
    from chalicelib.db.connection import Database

    db = Database(url)
    db.execute("SET FOREIGN_KEY_CHECKS = 0")
    for row in db.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"):
        db.execute(f"DROP TABLE IF EXISTS `{row['t']}`")
    db.execute("SET FOREIGN_KEY_CHECKS = 1")
    db.close()


def fresh_db_url(kind: str, tmp: Path) -> str:
    if kind == "mysql":
        reset_mysql(MYSQL_URL)  # type: ignore[arg-type]
        return MYSQL_URL  # type: ignore[return-value]
    return f"sqlite:///{tmp / 'test.db'}"


def use_database(url: str) -> None:
    from chalicelib import config, secret_store
    from chalicelib.db import reset_db

    os.environ["DATABASE_URL"] = url
    config.reset()
    secret_store.reset()
    reset_db()


@pytest.fixture(params=DB_KINDS)
def db_url(request, tmp_path, moto_server) -> Iterator[str]:
    url = fresh_db_url(request.param, tmp_path)
    use_database(url)
    yield url
    from chalicelib.db import reset_db

    reset_db()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, moto_server) -> Path:
    """A SQLite database migrated once for the run: each test that wants a migrated database gets a copy."""
    from chalicelib.db import get_db, reset_db
    from chalicelib.db.migrations import migrate

    path = tmp_path_factory.mktemp("template") / "migrated.db"
    previous = os.environ.get("DATABASE_URL")
    use_database(f"sqlite:///{path}")
    migrate(get_db())
    reset_db()  # closes the connection: the write-ahead log is folded into the file
    if previous is not None:
        os.environ["DATABASE_URL"] = previous
    return path


@pytest.fixture
def db(db_url, request):
    from chalicelib.db import get_db, reset_db
    from chalicelib.db.migrations import migrate

    if db_url.startswith("sqlite:///"):
        import shutil

        template = request.getfixturevalue("sqlite_template")
        reset_db()
        shutil.copyfile(template, db_url.removeprefix("sqlite:///"))
        use_database(db_url)
    migrate(get_db())  # a copy of the template: nothing left to apply
    return get_db()


class Api:
    """Chalice's in-process test client with JSON helpers and a token per role."""

    def __init__(self, client) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def call(self, method: str, path: str, body=None, token: str | None = None, headers: dict | None = None):
        import json

        h = {"content-type": "application/json", **(headers or {})}
        if token:
            h["authorization"] = f"Bearer {token}"
        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        return self.client.http.request(method, path, headers=h, body=data or b"")

    def as_role(self, role: str, method: str, path: str, body=None):
        return self.call(method, path, body, token=self.tokens.get(role))

    def login(self, username: str, password: str = PASSWORD) -> str:
        r = self.call("POST", "/api/auth/token", {"username": username, "password": password})
        assert r.status_code == 200, r.body
        return r.json_body["token"]


def make_users(db) -> None:
    from chalicelib import users

    for role in ("viewer", "analyst", "admin"):
        users.create(f"{role}1", PASSWORD, role, actor="test")


@pytest.fixture
def api(db) -> Iterator[Api]:
    from chalice.test import Client

    from app import app

    make_users(db)
    with Client(app) as client:
        a = Api(client)
        for role in ("viewer", "analyst", "admin"):
            a.tokens[role] = a.login(f"{role}1")
        yield a
