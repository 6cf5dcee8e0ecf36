"""The production argon2 profile, once: the rest of the suite hashes with argon2's cheapest parameters (conftest)."""
import pytest
from argon2 import PasswordHasher, profiles

from chalicelib import users
from chalicelib.errors import Unauthorized
from tests.conftest import PASSWORD

PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


def stored_hash(db, name: str) -> str:
    return db.scalar("SELECT hash_contrasena AS h FROM usuarios WHERE nombre_usuario = %s", (name,))


def test_production_profile_stores_and_checks_passwords(db, monkeypatch):
    assert users.HASH_PROFILE == profiles.RFC_9106_LOW_MEMORY
    monkeypatch.setattr(users, "_hasher", PasswordHasher.from_parameters(users.HASH_PROFILE))
    users.create("prodhash", PASSWORD, "analyst", actor="test")
    assert stored_hash(db, "prodhash").startswith(PRODUCTION_PREFIX)
    assert users.authenticate("prodhash", PASSWORD, "192.0.2.1")["nombre_usuario"] == "prodhash"
    with pytest.raises(Unauthorized):
        users.authenticate("prodhash", PASSWORD + "x", "192.0.2.1")


def test_a_weaker_stored_hash_is_upgraded_at_the_next_login(db, monkeypatch):
    users.create("oldhash", PASSWORD, "viewer", actor="test")  # the suite's cheap profile: an old, weak hash
    assert not stored_hash(db, "oldhash").startswith(PRODUCTION_PREFIX)
    monkeypatch.setattr(users, "_hasher", PasswordHasher.from_parameters(users.HASH_PROFILE))
    users.authenticate("oldhash", PASSWORD, "192.0.2.2")
    assert stored_hash(db, "oldhash").startswith(PRODUCTION_PREFIX)
    assert users.authenticate("oldhash", PASSWORD, "192.0.2.2")["nombre_usuario"] == "oldhash"
