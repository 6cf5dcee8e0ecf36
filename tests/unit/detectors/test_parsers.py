"""Parsers: each device format into normalized ECS fields; bad input into a ParseError, never lost."""
import gzip
import io
import json
import zipfile

import pytest

from detectors.parsers import ParseError, parse_json_documents, parse_line, parse_record
from tests.conftest import shared_data


def one(line, **kw):
    out = parse_line(line, **kw)
    assert len(out) == 1
    return out[0]


def test_sshd_failures_and_success():
    ev = one("Nov 22 10:00:01 web1 sshd[311]: Failed password for invalid user admin from 203.0.113.9 port 4242 ssh2")
    assert ev["event.outcome"] == "failure" and ev["user.name"] == "admin" and ev["source.ip"] == "203.0.113.9"
    assert ev["source.port"] == 4242 and ev["user.invalid"] and ev["_logsource"] == {"product": "linux", "service": "sshd"}
    ok = one("Nov 22 10:00:09 web1 sshd[312]: Accepted publickey for deploy from 198.51.100.4 port 50000 ssh2: RSA x")
    assert ok["event.outcome"] == "success" and ok["user.name"] == "deploy" and ok["auth.method"] == "publickey"


def test_rfc5424_sudo_and_su():
    ev = one("<34>1 2026-11-22T10:00:00.123Z fw1 sudo - - - alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
             "COMMAND=/bin/cat /etc/shadow")
    assert ev["_format"] == "syslog5424" and ev["user.name"] == "alice" and ev["user.target.name"] == "root"
    assert ev["process.command_line"] == "/bin/cat /etc/shadow" and ev["@timestamp"] == "2026-11-22T10:00:00.123Z"
    bad = one("Nov 22 10:00:01 h sudo:   bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; "
              "COMMAND=/bin/sh")
    assert bad["event.outcome"] == "failure" and bad["user.name"] == "bob"
    su = one("Nov 22 10:00:01 h su[99]: FAILED SU (to root) carol on pts/2")
    assert su["_logsource"]["service"] == "su"


def test_pam_auditd_and_firewalls():
    pam = one("Nov 22 10:00:01 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
              "tty=ssh ruser= rhost=192.0.2.1  user=root")
    assert pam["source.ip"] == "192.0.2.1" and pam["user.name"] == "root" and pam["event.outcome"] == "failure"
    audit = one('Nov 22 10:00:01 h audispd: type=USER_LOGIN msg=audit(1700000000.1:1): pid=1 uid=0 acct="eve" '
                'exe="/usr/sbin/sshd" addr=192.0.2.2 res=failed')
    assert audit["_logsource"]["service"] == "auditd" and audit["user.name"] == "eve" and audit["event.outcome"] == "failure"
    ufw = one("Nov 22 10:00:01 fw1 kernel: [12.3] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.7 DST=10.0.0.5 LEN=60 "
              "PROTO=TCP SPT=5555 DPT=22")
    assert ufw["_logsource"]["category"] == "firewall" and ufw["destination.port"] == 22 and ufw["event.action"] == "deny"
    nft = one("Nov 22 10:00:01 fw1 kernel: nft accept IN=eth0 SRC=10.0.0.9 DST=10.0.0.5 PROTO=UDP SPT=53 DPT=5353")
    assert nft["event.action"] == "allow" and nft["network.transport"] == "udp"


def test_cef_with_escapes_and_access_log():
    ev = one(r"Nov 22 10:00:00 fw2 CEF:0|Fortinet|FortiGate|7\|2|13|traffic deny|5|src=10.0.0.1 dst=8.8.8.8 "
             r"spt=1234 dpt=53 act=deny msg=a b\=c suser=dave")
    assert ev["observer.version"] == "7|2" and ev["message"] == "a b=c" and ev["destination.port"] == 53
    assert ev["user.name"] == "dave" and ev["_logsource"]["category"] == "firewall" and ev["host.name"] == "fw2"
    web = one('203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET /wp-login.php?x=1 HTTP/1.1" 404 123 "-" "curl/8"')
    assert web["http.response.status_code"] == 404 and web["url.path"] == "/wp-login.php"
    assert web["_logsource"] == {"category": "webserver"} and web["@timestamp"] == "2026-11-22T10:00:00.000Z"


def test_json_shapes():
    trail = {"Records": [{"eventTime": "2026-11-22T10:00:00Z", "eventSource": "signin.amazonaws.com",
                          "eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}, "sourceIPAddress": "1.2.3.4",
                          "responseElements": {"ConsoleLogin": "Success"}}] * 3}
    evs = parse_line(json.dumps(trail))
    assert len(evs) == 3 and evs[0]["userIdentity.type"] == "Root" and evs[0]["_logsource"]["service"] == "cloudtrail"
    wlb = one(json.dumps({"@timestamp": "2026-11-22T10:00:00Z", "winlog": {
        "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer_name": "ws1",
        "event_data": {"Image": "C:\\Windows\\System32\\rundll32.exe", "CommandLine": "rundll32 comsvcs.dll MiniDump"}}}))
    assert wlb["_logsource"] == {"product": "windows", "category": "process_creation", "service": "sysmon"}
    assert wlb["process.name"] == "rundll32.exe" and wlb["CommandLine"].startswith("rundll32")
    ecs = one(json.dumps({"@timestamp": "2026-11-22T10:00:00Z", "event": {"category": "network"},
                          "source": {"ip": "10.1.1.1"}}))
    assert ecs["source.ip"] == "10.1.1.1" and ecs["_format"] == "ecs"


@pytest.mark.parametrize("line,reason", [("{bad json", "invalid JSON"), ("[1, 2]", "not an object"),
                                         ("just some words", "unrecognised"), ("x" * (1024 * 1024 + 5), "exceeds")])
def test_bad_records_become_parse_errors_with_reason(line, reason):
    out = parse_line(line, device="dev-1")
    assert out and all(isinstance(e, ParseError) for e in out)
    assert reason in out[0].reason and out[0].device == "dev-1" and out[0].raw


def test_kinesis_record_with_several_lines_keeps_every_line():
    data = b"Nov 22 10:00:01 a sshd[1]: Accepted password for x from 1.1.1.1 port 1\n\nnot a log\n{\"a\": 1}\n"
    out = parse_record(data, device="gw-7", received=1000.0)
    assert len(out) == 3 and isinstance(out[1], ParseError)
    assert out[0]["_device"] == "gw-7" and out[2]["_ts"] == 1000.0 and out[2]["host.name"] == "gw-7"


def test_forced_format():
    assert isinstance(parse_line("Nov 22 10:00:01 a sshd[1]: hi", fmt="cef")[0], ParseError)
    assert parse_line("Nov 22 10:00:01 a sshd[1]: hi", fmt="syslog")[0]["host.name"] == "a"


def test_sigma_regression_events_parse_without_error():
    data = shared_data()
    if not data:
        pytest.skip("../shared/data is absent")
    files = sorted((data / "sigma" / "regression_data").rglob("*.json"))
    assert files
    for f in files:
        out = parse_json_documents(f.read_text())
        assert out and not any(isinstance(e, ParseError) for e in out), f
        assert out[0]["_logsource"]["product"] == "windows" and out[0]["EventID"] is not None


def test_otrf_samples_parse_without_error():
    data = shared_data()
    if not data:
        pytest.skip("../shared/data is absent")
    total = 0
    for z in sorted((data / "otrf" / "datasets" / "atomic").rglob("*.zip"))[:12]:
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                if name.endswith((".json", ".jsonl", ".log")):
                    for raw in io.TextIOWrapper(zf.open(name), encoding="utf-8", errors="replace"):
                        for ev in parse_line(raw):
                            assert not isinstance(ev, ParseError), (z.name, ev.reason, ev.raw[:200])
                            total += 1
    assert total > 1000


def test_cloudtrail_records_timed_by_at_timestamp_when_event_time_is_missing():
    ev = one(json.dumps({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "@timestamp": "2026-11-22T10:00:00Z",
                         "userIdentity": {"type": "IAMUser", "userName": "mallory"}, "sourceIPAddress": "203.0.113.9"}))
    assert ev["_ts"] == 1795341600.0 and ev["@timestamp"] == "2026-11-22T10:00:00Z" and ev["user.name"] == "mallory"
