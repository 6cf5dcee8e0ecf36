"""Evidence through the real moto S3: upload plans, arrival checks, hashes, custody, roles."""
import base64
import hashlib
import json
import time
import urllib.request
import uuid
from datetime import datetime, timezone

import pytest

from chalicelib import aws, evidence_arrival, storage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(300)


def incident(api) -> int:
    return api.as_role("analyst", "POST", "/api/incidents", {"title": "Caso", "description": "d", "type": "Malware",
                                                               "severity": "Alta"}).json_body["id"]


def post_multipart(url: str, fields: dict, data: bytes, name: str = "file.bin") -> int:
    """A browser-style multipart/form-data POST to the presigned URL (the real upload path)."""
    boundary = uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req) as r:
        return r.status


def upload(api, iid: int, name: str, data: bytes, declared: str = "", size: int | None = None, role="analyst"):
    r = api.as_role(role, "POST", f"/api/incidents/{iid}/evidence",
                    {"file_name": name, "declared_type": declared, "size": len(data) if size is None else size})
    assert r.status_code == 201, r.body
    plan = r.json_body
    post_multipart(plan["upload"]["url"], plan["upload"]["fields"], data)
    return plan


def event(key: str) -> dict:
    """The EventBridge event S3 sends (keys URL-encoded as DESIGN.md warns)."""
    from urllib.parse import quote_plus

    return {"source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": storage.bucket()}, "object": {"key": quote_plus(key, safe="/")}}}


def test_presigned_post_policy_pins_key_size_encryption_and_expiry(api):
    iid = incident(api)
    plan = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence",
                       {"file_name": "captura.png", "declared_type": "image/png", "size": 1234}).json_body
    fields = plan["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conds = policy["conditions"]
    assert {"key": plan["key"]} in conds
    assert plan["key"].startswith(f"evidencias/{iid}/") and plan["key"].endswith("/captura.png")
    assert ["content-length-range", 1234, 1234] in conds  # the declared size, exactly
    assert {"x-amz-server-side-encryption": "AES256"} in conds
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # signature v4
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert 14 * 60 <= (expires - datetime.now(timezone.utc)).total_seconds() <= 15 * 60 + 5


def test_upload_then_event_records_hash_history_and_custody(api):
    iid = incident(api)
    data = PNG * 10
    plan = upload(api, iid, "captura.png", data, "image/png")
    assert api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body["state"] == "pending"
    assert evidence_arrival.handle_event(event(plan["key"])) == "stored"
    ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
    assert ev["state"] == "stored" and ev["real_type"] == "png" and ev["size"] == len(data)
    assert ev["sha256"] == hashlib.sha256(data).hexdigest() and ev["uploaded_by"] == "analyst1"
    hist = api.as_role("viewer", "GET", f"/api/incidents/{iid}/history").json_body["items"]
    assert any(h["action"] == "evidencia_agregada" and ev["sha256"] in h["description"] for h in hist)
    # the same event again changes nothing
    assert evidence_arrival.handle_event(event(plan["key"])) == "duplicate"
    cust = api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"]
    assert [c["action"] for c in cust] == ["upload_requested", "stored"]
    # download: presigned GET, 5 minutes, attachment, and the request is on record
    dl = api.as_role("viewer", "POST", f"/api/evidence/{plan['evidence_id']}/download", {}).json_body
    assert "response-content-disposition=attachment" in dl["url"] and "X-Amz-Expires=300" in dl["url"]
    with urllib.request.urlopen(dl["url"]) as r:
        assert hashlib.sha256(r.read()).hexdigest() == ev["sha256"]
        assert r.headers["Content-Disposition"].startswith("attachment")
    v = api.as_role("analyst", "POST", f"/api/evidence/{plan['evidence_id']}/verify").json_body
    assert v["match"] is True
    cust = api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"]
    assert [c["action"] for c in cust][-2:] == ["download", "verified"] and cust[-2]["user"] == "viewer1"


def test_a_stored_version_is_locked_against_deletion(api, monkeypatch):
    from chalicelib import aws, config, storage

    monkeypatch.setenv("EVIDENCE_RETENTION_DAYS", "30")
    config.reset()
    iid = incident(api)
    plan = upload(api, iid, "volcado.png", PNG * 4, "image/png")
    assert evidence_arrival.handle_event(event(plan["key"])) == "stored"
    ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
    s3 = aws.client("s3")
    head = s3.head_object(Bucket=storage.bucket(), Key=plan["key"])  # (moto cannot answer GetObjectRetention)
    version = head["VersionId"]
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"].year >= 2026
    with pytest.raises(Exception, match="AccessDenied"):  # not even the bucket's owner deletes it without bypass
        s3.delete_object(Bucket=storage.bucket(), Key=plan["key"], VersionId=version)
    cust = api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"]
    assert "locked 30 days" in cust[-1]["detail"] and ev["state"] == "stored"
    s3.delete_object(Bucket=storage.bucket(), Key=plan["key"], VersionId=version, BypassGovernanceRetention=True)
    monkeypatch.undo()
    config.reset()


@pytest.mark.parametrize("name,data,reason", [
    ("foto.png", EXE, "exe"),  # an executable named .png
    ("informe.pdf", PNG, "png"),  # a picture calling itself a PDF
    ("script.txt", b"#!/bin/sh\nrm -rf /\n", "script"),
])
def test_spoofed_or_forbidden_types_are_quarantined_with_reason(api, name, data, reason):
    iid = incident(api)
    plan = upload(api, iid, name, data)
    assert evidence_arrival.process(plan["key"]) == "quarantined"
    ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
    assert ev["state"] == "quarantined" and reason in ev["reason"] and ev["sha256"] is None
    assert storage.head(plan["key"]) is None  # moved out of the evidence prefix
    assert storage.head(plan["key"].replace("evidencias/", "cuarentena/", 1)) is not None
    assert api.as_role("viewer", "POST", f"/api/evidence/{plan['evidence_id']}/download", {}).status_code == 409
    hist = api.as_role("viewer", "GET", f"/api/incidents/{iid}/history").json_body["items"]
    assert any(h["action"] == "evidencia_rechazada" for h in hist)


def test_empty_and_oversize_objects_are_quarantined(api, monkeypatch):
    iid = incident(api)
    plan = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence", {"file_name": "vacio.log", "size": 5}).json_body
    aws.client("s3").put_object(Bucket=storage.bucket(), Key=plan["key"], Body=b"")  # moto ignores the policy
    evidence_arrival.process(plan["key"])
    assert "empty" in api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body["reason"]
    monkeypatch.setenv("EVIDENCE_MAX_BYTES", "100")
    from chalicelib import config

    config.reset()
    try:
        plan = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence", {"file_name": "a.log", "size": 50}).json_body
        aws.client("s3").put_object(Bucket=storage.bucket(), Key=plan["key"], Body=b"x" * 500)
        evidence_arrival.process(plan["key"])
        ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
        assert ev["state"] == "quarantined" and "oversize" in ev["reason"]
        r = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence", {"file_name": "b.log", "size": 101})
        assert r.status_code == 400 and "size" in r.json_body["error"]["details"]
    finally:
        monkeypatch.delenv("EVIDENCE_MAX_BYTES")
        config.reset()
    r = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence", {"file_name": "c.log", "size": 0})
    assert r.status_code == 400


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\x00b\x1f\r\nc.log", "é" * 300 + ".log",
                                  "..\\..\\win.ini", "100%+real.log"])
def test_hostile_names_become_safe_keys_and_are_displayed_without_control_characters(api, name):
    iid = incident(api)
    plan = upload(api, iid, name, b"just text\n")
    key = plan["key"]
    prefix = f"evidencias/{iid}/"
    assert key.startswith(prefix) and "/" not in key[len(prefix) + 37:] and ".." not in key.split("/")[-1][:2]
    assert not any(ord(c) < 32 for c in key) and "%" not in key and "+" not in key and len(key) < 200
    assert evidence_arrival.handle_event(event(key)) == "stored"
    ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
    shown = "".join(c for c in name if ord(c) >= 32).strip()[:255]  # what a person typed, minus what hides
    assert ev["state"] == "stored" and ev["file_name"] == shown


def test_multipart_upload_of_several_parts(api, monkeypatch):
    monkeypatch.setenv("EVIDENCE_MULTIPART_THRESHOLD", str(6 * 1024 * 1024))
    monkeypatch.setenv("EVIDENCE_PART_SIZE", str(5 * 1024 * 1024))
    from chalicelib import config

    config.reset()
    try:
        iid = incident(api)
        data = (b"\xd4\xc3\xb2\xa1" + bytes(20)) + bytes(range(256)) * (12 * 1024 * 1024 // 256)  # a 12 MB pcap
        r = api.as_role("analyst", "POST", f"/api/incidents/{iid}/evidence",
                        {"file_name": "trafico.pcap", "declared_type": "application/vnd.tcpdump.pcap", "size": len(data)})
        plan = r.json_body
        assert plan["upload"]["method"] == "multipart" and len(plan["upload"]["parts"]) == 3
        etags = []
        size = plan["upload"]["part_size"]
        for part in plan["upload"]["parts"]:
            chunk = data[(part["part_number"] - 1) * size: part["part_number"] * size]
            req = urllib.request.Request(part["url"], data=chunk, method="PUT",
                                         headers={"Content-Type": "application/octet-stream"})
            with urllib.request.urlopen(req) as resp:
                etags.append({"part_number": part["part_number"], "etag": resp.headers["ETag"]})
        done = api.as_role("analyst", "POST", f"/api/evidence/{plan['evidence_id']}/complete", {"parts": etags})
        assert done.status_code == 200, done.body
        assert evidence_arrival.process(plan["key"]) == "stored"
        ev = api.as_role("viewer", "GET", f"/api/evidence/{plan['evidence_id']}").json_body
        assert ev["sha256"] == hashlib.sha256(data).hexdigest() and ev["real_type"] == "pcap" and ev["size"] == len(data)
    finally:
        config.reset()


def test_plain_form_upload_without_javascript(api):
    """The no-JS form: S3 names the object with ${filename}; the handler trusts it only with the slot MAC."""
    from chalicelib import evidence

    iid = incident(api)
    slot = evidence.form_slot(iid, "analyst1", "http://127.0.0.1/incidents/1?evidence=received")
    fields = dict(slot["fields"])
    fields.pop("success_action_redirect")  # urllib would follow it to a host that is not running
    post_multipart(slot["url"], fields, b"Nov 22 10:00:01 fw1 kernel: [UFW BLOCK] SRC=1.2.3.4\n", name="fw.log")
    key = fields["key"].replace("${filename}", "fw.log")
    assert evidence_arrival.process(key) == "stored"
    items = api.as_role("viewer", "GET", f"/api/incidents/{iid}/evidence").json_body["items"]
    assert items[0]["file_name"] == "fw.log" and items[0]["uploaded_by"] == "analyst1" and items[0]["sha256"]
    # a forged slot (wrong MAC) is not trusted: quarantined, no row
    forged = {**fields, "x-amz-meta-slot": "0" * 64}
    forged_key = f"evidencias/{iid}/{uuid.uuid4()}/x.log"
    aws.client("s3").put_object(Bucket=storage.bucket(), Key=forged_key, Body=b"x",
                                Metadata={"uploader": "admin1", "slot": forged["x-amz-meta-slot"]})
    assert evidence_arrival.process(forged_key) == "quarantined"
    assert len(api.as_role("viewer", "GET", f"/api/incidents/{iid}/evidence").json_body["items"]) == 1


def test_roles_and_ids(api):
    iid, other = incident(api), incident(api)
    r = api.as_role("viewer", "POST", f"/api/incidents/{iid}/evidence", {"file_name": "a.log", "size": 3})
    assert r.status_code == 403
    plan = upload(api, iid, "a.log", b"abc\n")
    evidence_arrival.process(plan["key"])
    eid = plan["evidence_id"]
    assert api.as_role("viewer", "POST", f"/api/evidence/{eid}/download", {}).status_code == 200
    assert api.as_role("viewer", "GET", f"/api/incidents/{other}/evidence").json_body["items"] == []
    # the page route refuses an evidence id that belongs to another incident
    from tests.integration.test_pages import login

    cookie, csrf = login(api, "viewer1")
    form = {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"}
    r = api.client.http.request("POST", f"/incidents/{other}/evidence/{eid}/download", headers=form,
                                body=f"csrf_token={csrf}")
    assert r.status_code == 404
    r = api.client.http.request("POST", f"/incidents/{iid}/evidence/{eid}/download", headers=form,
                                body=f"csrf_token={csrf}")
    assert r.status_code == 303 and "X-Amz-Signature" in r.headers["Location"]
    # a cross-site link (a GET with the user's cookie) writes nothing: it gets a button to press
    before = len(api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"])
    r = api.client.http.request("GET", f"/incidents/{iid}/evidence/{eid}/download", headers={"cookie": cookie})
    assert r.status_code == 200 and 'id="confirm-post"' in r.body.decode()
    assert api.as_role("viewer", "GET", f"/api/evidence/{eid}/download").status_code == 405
    assert len(api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"]) == before
    # deletion: admin only, reason required, row kept and marked
    assert api.as_role("analyst", "DELETE", f"/api/evidence/{eid}", {"reason": "duplicado"}).status_code == 403
    assert api.as_role("admin", "DELETE", f"/api/evidence/{eid}", {}).status_code == 400
    r = api.as_role("admin", "DELETE", f"/api/evidence/{eid}", {"reason": "Subido por error"})
    assert r.status_code == 200 and r.json_body["state"] == "deleted" and r.json_body["deleted_by"] == "admin1"
    assert api.as_role("viewer", "GET", f"/api/evidence/{eid}").json_body["sha256"]  # row and hash kept
    assert api.as_role("viewer", "POST", f"/api/evidence/{eid}/download", {}).status_code == 409
    csv_text = api.client.http.request("POST", f"/incidents/{iid}/custody.csv", headers=form,
                                       body=f"csrf_token={csrf}").body.decode()
    assert "deletion" in csv_text and "Subido por error" in csv_text


def test_tampered_object_fails_verification(api):
    iid = incident(api)
    plan = upload(api, iid, "a.log", b"original\n")
    evidence_arrival.process(plan["key"])
    from chalicelib.db import get_db

    get_db().execute("UPDATE evidencias SET version_s3 = NULL WHERE id = %s", (plan["evidence_id"],))
    aws.client("s3").put_object(Bucket=storage.bucket(), Key=plan["key"], Body=b"altered\n")
    v = api.as_role("analyst", "POST", f"/api/evidence/{plan['evidence_id']}/verify").json_body
    assert v["match"] is False
    cust = api.as_role("viewer", "GET", f"/api/incidents/{iid}/custody").json_body["items"]
    assert cust[-1]["action"] == "verify_failed"


def test_custody_csv_neutralises_formulas(api):
    from chalicelib.custody import to_csv

    text = to_csv([{"at": "x", "evidence_id": 1, "file_name": "=HYPERLINK(\"http://evil\")", "action": "download",
                    "user": "@admin", "sha256": "", "detail": "+1"}])
    assert "'=HYPERLINK" in text and "'@admin" in text and "'+1" in text
