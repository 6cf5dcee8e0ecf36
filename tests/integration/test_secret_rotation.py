"""Secrets rotated in Secrets Manager reach a running container without a redeploy (``secret_store``)."""
import json
import uuid

import pytest

from chalicelib import auth, aws, config, secret_store, users
from tests.conftest import MYSQL_URL, PASSWORD


@pytest.fixture
def rotating_key(db, monkeypatch):
    """The signing key from Secrets Manager, read again on every use (max age 0)."""
    sm = aws.client("secretsmanager")
    arn = sm.create_secret(Name=f"signing-{uuid.uuid4()}", SecretString="first-key-" + "x" * 40)["ARN"]
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_ARN", arn)
    monkeypatch.setenv("SECRET_MAX_AGE_SECONDS", "0")
    config.reset()
    secret_store.reset()
    yield sm, arn
    config.reset()
    secret_store.reset()


def rotate(sm, arn: str, value: str) -> None:
    sm.put_secret_value(SecretId=arn, SecretString=value)  # the new value becomes AWSCURRENT, the old AWSPREVIOUS


def test_tokens_sessions_and_forms_outlive_one_rotation_of_the_signing_key(rotating_key):
    sm, arn = rotating_key
    user = users.create("rotator", PASSWORD, "analyst", actor="test")
    user = users.by_name("rotator")
    token = auth.issue_token(user)["token"]
    cookie = auth.new_session(user)
    nonce = auth.session_data(cookie)[1]
    form_csrf = auth.csrf_token(nonce)

    rotate(sm, arn, "second-key-" + "y" * 40)
    assert auth.secret_key().startswith("second-key")  # new signatures use the new key at once
    assert auth.user_from_token(token)["nombre_usuario"] == "rotator"  # issued before: still valid
    assert auth.session_data(cookie)[0]["nombre_usuario"] == "rotator"
    auth.check_csrf(nonce, form_csrf)  # a form loaded before the rotation still submits
    fresh = auth.issue_token(user)["token"]

    rotate(sm, arn, "third-key-" + "z" * 40)
    assert auth.user_from_token(fresh)["nombre_usuario"] == "rotator"
    with pytest.raises(Exception):
        auth.user_from_token(token)  # two rotations old: refused
    assert auth.session_data(cookie) is None
    with pytest.raises(Exception):
        auth.check_csrf(nonce, form_csrf)


def test_a_key_never_rotated_has_no_previous_and_is_not_asked_for_again(rotating_key, monkeypatch):
    sm, arn = rotating_key
    monkeypatch.setenv("SECRET_MAX_AGE_SECONDS", "300")
    config.reset()
    assert secret_store.previous(arn) is None
    calls = []
    monkeypatch.setattr(secret_store, "_provider", lambda stage: calls.append(stage))
    assert secret_store.previous(arn) is None and calls == []  # the "no previous version" answer is cached


@pytest.mark.skipif(not MYSQL_URL, reason="needs TEST_MYSQL_URL (MariaDB): a database password to rotate")
def test_a_rotated_database_password_is_read_again_when_the_database_refuses_the_cached_one(moto_server, monkeypatch):
    from chalicelib.db import get_db, reset_db
    from chalicelib.db.connection import DbUrl

    url = DbUrl.parse(MYSQL_URL)
    sm = aws.client("secretsmanager")
    arn = sm.create_secret(Name=f"db-{uuid.uuid4()}",
                           SecretString=json.dumps({"username": url.user, "password": url.password}))["ARN"]
    no_password = f"mysql://{url.user}@{url.host}:{url.port}/{url.name}" + ("" if url.tls else "?ssl=false")
    monkeypatch.setenv("DATABASE_URL", no_password)
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    config.reset()
    secret_store.reset()
    reset_db()
    assert get_db().scalar("SELECT 1 AS one") == 1  # the password comes from the secret (now cached)
    new_password = "Rotated-" + uuid.uuid4().hex
    get_db().execute("SET PASSWORD = PASSWORD(%s)", (new_password,))
    try:
        rotate(sm, arn, json.dumps({"username": url.user, "password": new_password}))
        reset_db()  # a new container connection: the cached password is refused, the secret is read again
        assert get_db().scalar("SELECT 1 AS one") == 1
    finally:  # with the new password, outside the code under test: the rest of the suite needs the old one
        import pymysql

        conn = pymysql.connect(host=url.host, port=url.port, user=url.user, password=new_password,
                               database=url.name)
        with conn.cursor() as cur:
            cur.execute("SET PASSWORD = PASSWORD(%s)", (url.password,))
        conn.close()
        reset_db()
        config.reset()
        secret_store.reset()
