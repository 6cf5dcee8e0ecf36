"""Input at the edges gets a 400 naming the field (or a 404 for an id that names nothing), never a 500."""
from __future__ import annotations

LISTS = ["/api/incidents", "/api/history", "/api/alerts", "/api/stats", "/api/exports/incidents",
         "/api/exports/alerts"]
DATES = [("date_to", "9999-12-31"), ("date_from", "0001-01-01T00:00:00%2B14:00"), ("date_from", "0001-01-01"),
         ("date_from", "2026-02-30")]
PAGED = ["/api/incidents", "/api/history", "/api/alerts", "/api/notifications", "/api/scans"]
BY_ID = ["/api/incidents/{}", "/api/alerts/{}", "/api/evidence/{}", "/api/scans/{}", "/api/incidents/{}/history"]


def test_an_out_of_range_date_filter_is_a_400_naming_it(api):
    for path in LISTS:
        for field, value in DATES:
            r = api.as_role("admin", "GET", f"{path}?{field}={value}")
            assert r.status_code == 400 and field in str(r.json_body), (path, field, value, r.body)


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
