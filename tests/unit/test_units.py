"""Pure functions: workflow rules, URL parsing, dates, safe redirects."""
import pytest

from chalicelib import catalogs
from chalicelib.db.connection import DbUrl
from chalicelib.timeutil import iso, parse_user_date
from chalicelib.web.http import safe_next


def test_workflow_moves_forward_and_reopen_goes_back():
    assert catalogs.allowed_transitions("Abierto") == ["En investigación", "Contenido", "Resuelto", "Cerrado"]
    assert "Abierto" in catalogs.allowed_transitions("Cerrado")
    assert catalogs.is_reopen("Resuelto", "En investigación")
    assert not catalogs.is_reopen("En investigación", "Abierto")
    assert "Abierto" not in catalogs.allowed_transitions("En investigación")


def test_database_urls():
    assert DbUrl.parse("sqlite:///data/x.db").path == "data/x.db"
    u = DbUrl.parse("mysql://app:p%40ss@proxy.example:3307/ci?ssl=false")
    assert (u.host, u.port, u.user, u.password, u.name, u.tls) == ("proxy.example", 3307, "app", "p@ss", "ci", False)
    assert DbUrl.parse("mysql://app@h/ci").tls is True
    with pytest.raises(ValueError):
        DbUrl.parse("postgres://x/y")


def test_user_dates():
    assert parse_user_date("2026-01-31") == "2026-01-31 00:00:00"
    assert parse_user_date("2026-01-31", end=True) == "2026-01-31 23:59:59"
    assert parse_user_date("2026-01-31T10:00:00+02:00") == "2026-01-31 08:00:00"
    with pytest.raises(ValueError):
        parse_user_date("31/01/2026")
    assert iso("2026-01-31 08:00:00") == "2026-01-31T08:00:00Z"


@pytest.mark.parametrize("value,expected", [("/incidents?x=1", "/incidents?x=1"), ("//evil.example", "/"),
                                            ("https://evil.example", "/"), ("/\\evil", "/"), (None, "/")])
def test_login_redirect_stays_on_site(value, expected):
    assert safe_next(value) == expected
