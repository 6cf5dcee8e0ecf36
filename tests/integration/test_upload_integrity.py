"""Evidence uploads hold to what was registered: size, key, one file per form; names cannot disguise a file."""
from __future__ import annotations

import base64
import json

from chalicelib import evidence_arrival, storage
from tests.integration.test_evidence import incident, post_multipart, upload


def test_the_upload_policy_binds_the_declared_size(api):
    iid = incident(api)
    plan = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence",
                       {"file_name": "a.log", "size": 4}).json_body
    policy = json.loads(base64.b64decode(plan["upload"]["fields"]["policy"]))
    assert ["content-length-range", 4, 4] in policy["conditions"]


def test_a_second_file_sent_with_a_used_form_leaves_the_evidence_untouched(api, db):
    from chalicelib import aws

    iid = incident(api)
    plan = upload(api, iid, "first.log", b"the real evidence\n")
    assert evidence_arrival.process(plan["key"]) == "stored"
    eid = plan["evidence_id"]
    sha = api.as_role("viewer", "GET", f"/api/evidence/{eid}").json_body["sha256"]
    post_multipart(plan["upload"]["url"], plan["upload"]["fields"], b"something else!!!\n")  # the form, reused
    assert evidence_arrival.process(plan["key"]) == "quarantined"
    s3 = aws.client("s3")
    body = s3.get_object(Bucket=storage.bucket(), Key=plan["key"])["Body"].read()
    assert body == b"the real evidence\n"  # the stored version is what the key serves, and its hash holds
    assert api.as_role("analyst", "POST", f"/api/evidence/{eid}/verify", {}).json_body["match"] is True
    assert api.as_role("viewer", "GET", f"/api/evidence/{eid}").json_body["sha256"] == sha
    custody = api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"]
    assert any(c["action"] == "quarantined" and "later upload" in (c.get("detail") or "") for c in custody)


def test_an_object_beside_the_registered_key_is_quarantined(api, db):
    from chalicelib import aws

    iid = incident(api)
    plan = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence",
                       {"file_name": "a.log", "size": 4}).json_body
    odd = plan["key"].rsplit("/", 1)[0] + "/other.exe"
    aws.client("s3").put_object(Bucket=storage.bucket(), Key=odd, Body=b"MZ\x90\x00")
    assert evidence_arrival.process(odd) == "quarantined"
    assert api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body["state"] == "pending"


def test_names_lose_direction_overrides_and_disguised_executables_are_caught(api, db):
    iid = incident(api)
    plan = upload(api, iid, "invoice\u202efdp.log", b"plain text\n")
    shown = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body["file_name"]
    assert shown == "invoicefdp.log"
    plan = upload(api, iid, "report.txt.js", b"just text, honestly\n")
    assert evidence_arrival.process(plan["key"]) == "quarantined"
    ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
    assert ev["state"] == "quarantined" and ".txt.js" in ev["reason"]


def test_alert_samples_are_bounded_in_bytes(db):
    from chalicelib import alerts
    from tests.integration.test_pipeline import sample_alert

    a = sample_alert()
    a.samples = [{"message": "x", "user.name": "u" * 400_000}] * 5
    alerts.store([a], [])
    stored = db.scalar("SELECT muestras FROM alertas WHERE huella = %s", (a.fingerprint,))
    assert len(stored) < 70_000 and "more characters" in stored
