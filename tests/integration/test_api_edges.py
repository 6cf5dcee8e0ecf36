"""Input at the edges gets a 400 naming the field (or a 404 for an id that names nothing), never a 500."""
from __future__ import annotations

LISTS = ["/api/incidents", "/api/history", "/api/alerts", "/api/stats"]
DATES = [("date_to", "9999-12-31"), ("date_from", "0001-01-01T00:00:00%2B14:00"), ("date_from", "0001-01-01"),
         ("date_from", "2026-02-30")]
PAGED = ["/api/incidents", "/api/history", "/api/alerts", "/api/notifications", "/api/scans"]
BY_ID = ["/api/incidents/{}", "/api/alerts/{}", "/api/evidence/{}", "/api/scans/{}", "/api/incidents/{}/history"]


def test_an_out_of_range_date_filter_is_a_400_naming_it(api):
    for path in LISTS:
        for field, value in DATES:
            r = api.as_role("admin", "GET", f"{path}?{field}={value}")
            assert r.status_code == 400 and field in str(r.json_body), (path, field, value, r.body)
    for kind in ("incidents", "alerts"):
        for field, value in DATES:
            r = api.as_role("admin", "POST", f"/api/exports/{kind}", {field: value.replace("%2B", "+")})
            assert r.status_code == 400 and field in str(r.json_body), (kind, field, value, r.body)


def test_a_page_past_any_table_is_a_400_and_a_huge_id_names_nothing(api):
    for path in PAGED:
        r = api.as_role("admin", "GET", f"{path}?page=999999999999999999")
        assert r.status_code == 400 and "page" in str(r.json_body), path
    for path in BY_ID:
        for value in ("2147483648", "99999999999999999999", "9223372036854775808"):
            assert api.as_role("admin", "GET", path.format(value)).status_code == 404, (path, value)


def test_hostile_json_bodies_are_400s(api):
    h = {"content-type": "application/json", "authorization": f"Bearer {api.tokens['admin']}"}
    for path, body, field in [("/api/incidents", '{"a":' * 5000 + "1" + "}" * 5000, "parse_error"),
                              ("/api/incidents", "[" * 100000, "parse_error"),
                              ("/api/users", '{"username": ["a"], "password": 5, "role": {"x": 1}}', "username")]:
        r = api.client.http.request("POST", path, headers=h, body=body.encode())
        assert r.status_code == 400 and field in str(r.json_body), (path, r.body)


def test_a_scan_range_out_of_range_is_a_400(api):
    for start, end in [("9999-12-31", "9999-12-31"), ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00")]:
        r = api.as_role("admin", "POST", "/api/scans", {"from": start, "to": end})
        assert r.status_code == 400 and ("from" in str(r.json_body) or "to" in str(r.json_body)), r.body


def test_a_locked_database_is_a_quick_503_with_retry_after(api, db, db_url, monkeypatch):
    """Another writer holds the lock (a long migration, a stuck process): the answer comes in seconds."""
    import sqlite3
    import time

    from chalicelib import config
    from chalicelib.db import reset_db

    if not db_url.startswith("sqlite"):
        return  # MariaDB's lock waits are covered by innodb_lock_wait_timeout, set from the same setting
    monkeypatch.setenv("DB_LOCK_TIMEOUT_SECONDS", "0.5")
    config.reset()
    reset_db()  # reconnect with the short timeout
    path = db_url.split("sqlite:///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        r = api.as_role("analyst", "POST", "/api/incidents",
                        {"title": "t", "description": "d", "type": "Otro", "severity": "Baja"})
        took = time.monotonic() - t0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503 and r.headers.get("Retry-After") == "5" and took < 5, (r.status_code, r.body)
    assert api.as_role("analyst", "POST", "/api/incidents", {"title": "t", "description": "d", "type": "Otro",
                                                              "severity": "Baja"}).status_code == 201
