"""Dashboard, reports page, exports (CSV safety, history) and the incident report with its PDF."""
from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest

from tests.integration.test_stats import fixtures, incident


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def test_csv_export_neutralises_formulas_keeps_unicode_and_is_recorded(api, db):
    incident(db, "=HYPERLINK(\"http://evil\")", "Alta", "Malware", [])
    incident(db, "Fuga de datos — ñandú 日本", "Media", "Phishing", [])
    r = api.as_role("viewer", "POST", "/api/exports/incidents", {"format": "csv", "date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert r.status_code == 200, r.body
    assert r.json_body["rows"] == 2 and r.json_body["expires_in"] == 300
    rows = list(csv.DictReader(io.StringIO(fetch(r.json_body["url"]).decode("utf-8-sig"))))
    titles = {row["title"] for row in rows}
    assert "'=HYPERLINK(\"http://evil\")" in titles and "Fuga de datos — ñandú 日本" in titles
    hist = api.as_role("viewer", "GET", "/api/history?action=exportacion").json_body["items"]
    assert hist and hist[0]["user"] == "viewer1" and "incidents csv: 2 filas" in hist[0]["description"]


def test_json_export_of_an_empty_period_and_bad_requests(api, db):
    fixtures(db)
    r = api.as_role("viewer", "POST", "/api/exports/alerts", {"format": "json", "date_from": "2030-01-01", "date_to": "2030-01-02"})
    assert r.status_code == 200 and json.loads(fetch(r.json_body["url"])) == {"kind": "alerts", "rows": 0, "items": []}
    assert api.as_role("viewer", "POST", "/api/exports/secrets", {"format": "csv"}).status_code == 400
    assert api.as_role("viewer", "POST", "/api/exports/history", {"format": "xlsx"}).status_code == 400
    hist = api.as_role("viewer", "POST", "/api/exports/history", {"format": "json", "date_from": "2026-03-01", "date_to": "2026-03-31"})
    doc = json.loads(fetch(hist.json_body["url"]))
    assert doc["rows"] == len(doc["items"]) > 0 and {"at", "user", "action", "incident_id"} <= set(doc["items"][0])


@pytest.fixture
def session(api, db):
    """A viewer's page session (cookie), as a browser holds it."""
    from chalicelib import auth, users

    cookie = auth.new_session(users.get(users.by_name("viewer1")["id"]))
    return {"cookie": f"ci_session={cookie}"}


def test_dashboard_and_reports_pages_show_the_figures(api, db, session):
    fixtures(db)
    page = api.client.http.get("/reports?date_from=2026-03-01&date_to=2026-03-31", headers=session)
    assert page.status_code == 200
    html = page.body.decode()
    assert 'id="response-times"' in html
    assert "7 min" in html and "9 min" in html  # MTTA median 450 s and mean 550 s, as durations
    assert '<svg id="chart-incidents"' in html and "<script" not in html
    assert 'action="/reports/export"' in html and 'name="kind" value="alerts"' in html
    bad = api.client.http.get("/reports?date_from=nope", headers=session)
    assert bad.status_code == 200 and 'id="report-errors"' in bad.body.decode()
    dash = api.client.http.get("/", headers=session).body.decode()
    assert 'id="kpis"' in dash and 'id="chart-alerts"' in dash


def test_incident_report_page_and_pdf_carry_the_hashes(api, db, session):
    from chalicelib import aws, evidence, evidence_arrival, storage

    iid = api.as_role("analyst", "POST", "/api/incidents", {"title": "Ransomware «lock»", "description": "Cifrado",
                                                            "type": "Malware", "severity": "Crítica"}).json_body["id"]
    ev = evidence.request_upload(iid, {"file_name": "triage.txt", "size": 24}, "analyst1")
    aws.client("s3").put_object(Bucket=storage.bucket(), Key=ev["key"], Body=b"first responder notes\n")
    assert evidence_arrival.process(ev["key"]) == "stored"
    sha = db.scalar("SELECT sha256 FROM evidencias WHERE id = %s", (ev["evidence_id"],))
    html = api.client.http.get(f"/incidents/{iid}/report", headers=session).body.decode()
    assert sha in html and "Ransomware «lock»" in html and 'id="report-custody"' in html
    assert 'id="confirm-post"' in api.client.http.get(f"/incidents/{iid}/report.pdf", headers=session).body.decode()
    form = {**session, "content-type": "application/x-www-form-urlencoded"}
    resp = api.client.http.post(f"/incidents/{iid}/report.pdf", headers=form, body=f"csrf_token={csrf(session)}")
    assert resp.status_code == 303
    pdf = fetch(resp.headers["Location"])
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert sha in text and "triage.txt" in text and "Ransomware «lock»" in text
    hist = api.as_role("viewer", "GET", f"/api/incidents/{iid}/history").json_body["items"]
    assert "informe_pdf" in [h["action"] for h in hist]
    assert api.client.http.post("/incidents/999999/report.pdf", headers=form,
                                body=f"csrf_token={csrf(session)}").status_code == 404


def csrf(session: dict) -> str:
    from chalicelib import auth

    return auth.csrf_token(auth.session_data(session["cookie"].split("=", 1)[1])[1])


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
