"""Login throttling under races, and the password policy: what an attacker and an owner each meet."""
from __future__ import annotations

import threading

import pytest

from tests.conftest import PASSWORD


def token_call(api, username, password, ip=None):
    from chalicelib import users
    from chalicelib.errors import TooManyRequests, Unauthorized

    try:
        users.authenticate(username, password, ip)
        return 200
    except Unauthorized:
        return 401
    except TooManyRequests:
        return 429


def test_racing_wrong_passwords_check_at_most_five_hashes(api, db, monkeypatch):
    from chalicelib import users

    checked = []
    real = users._hasher

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, h, p):
            checked.append(1)
            return real.verify(h, p)

    monkeypatch.setattr(users, "_hasher", Counting())
    barrier = threading.Barrier(24)
    results = []

    def attempt():
        barrier.wait()
        results.append(token_call(api, "analyst1", "wrong password!", "198.51.100.9"))

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checked) <= 5 and results.count(401) == len(checked) and results.count(429) == 24 - len(checked)


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(api, db):
    for _ in range(5):
        assert token_call(api, "analyst1", "wrong password!", "203.0.113.66") == 401
    assert token_call(api, "analyst1", "wrong password!", "203.0.113.66") == 429  # the attacker now waits
    assert token_call(api, "analyst1", PASSWORD, "192.0.2.10") == 200  # the owner, from another source, does not


def test_a_spray_against_one_account_spares_the_sources_the_owner_uses(api, db, monkeypatch):
    from chalicelib import login_throttle

    monkeypatch.setattr(login_throttle, "ACCOUNT_FREE", 6)
    assert token_call(api, "analyst1", PASSWORD, "192.0.2.10") == 200  # the owner's usual source
    for i in range(6):
        assert token_call(api, "analyst1", "wrong password!", f"203.0.113.{i}") == 401
    assert token_call(api, "analyst1", PASSWORD, "203.0.113.99") == 429  # a new source waits
    assert token_call(api, "analyst1", PASSWORD, "192.0.2.10") == 200  # the known one does not
    assert db.scalar("SELECT COUNT(*) AS n FROM auditoria WHERE accion = 'cuenta_bajo_ataque'") == 1


def test_waiting_is_enough_and_refusals_are_not_guesses(api, db, monkeypatch):
    from chalicelib import login_throttle

    for _ in range(5):
        token_call(api, "viewer1", "wrong password!", "203.0.113.5")
    for _ in range(10):  # impatient retries while waiting add nothing to the wait
        assert token_call(api, "viewer1", PASSWORD, "203.0.113.5") == 429
    db.execute("UPDATE intentos_login SET fecha = %s WHERE nombre_usuario = 'viewer1'", ("2000-01-01 00:00:00",))
    assert token_call(api, "viewer1", PASSWORD, "203.0.113.5") == 200
    assert login_throttle.delay(5, 5) == 2 and login_throttle.delay(6, 5) == 4 and login_throttle.delay(99, 5) == 900


@pytest.mark.parametrize("password,reason", [("            ", "min_length_12"), ("password1234", "breached"),
                                             ("qwertyuiopasdf", "too_weak"), ("analyst-new2026", "too_weak")])
def test_weak_passwords_are_refused_with_the_reason(api, password, reason):
    r = api.as_role("admin", "POST", "/api/users", {"username": "analyst-new", "password": password, "role": "analyst"})
    assert r.status_code == 400 and r.json_body["error"]["details"]["password"] == reason


def test_a_user_can_revoke_their_api_tokens(api):
    other = api.login("analyst1")
    assert api.call("GET", "/api/me", token=other).status_code == 200
    assert api.call("POST", "/api/auth/revoke", {}, token=other).json_body == {"revoked": True}
    assert api.call("GET", "/api/me", token=other).status_code == 401
    assert api.as_role("viewer", "GET", "/api/me").status_code == 200  # other users' tokens are untouched
