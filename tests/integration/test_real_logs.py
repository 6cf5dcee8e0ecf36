"""Real public log samples (``../shared/data/real/``): every file reads with each record accounted for, parse errors
only where the sample is deliberately malformed (or a parser gap is named), and the attacks the samples hold raise
the alerts an analyst reading them would expect.

The samples are third-party (the folder's README and LICENSES/ say whose, under which licence): this module reads
them at run time and embeds none of their content. It skips as a whole where the folder is absent (a user's clone).
"""
from __future__ import annotations

import gzip
import json
from collections import defaultdict
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import shared_data

SHARED = shared_data()
REAL = SHARED / "real" if SHARED else None
if REAL is None or not REAL.is_dir():
    pytest.skip("../shared/data/real is absent: the real-log tests need it", allow_module_level=True)

from detectors.parsers import ParseError, Skipped  # noqa: E402
from detectors.pipeline import Detector  # noqa: E402
from detectors.reader import read_input  # noqa: E402

NOT_DATA = {"README.md", "MANIFEST.json"}
FILES = sorted(p.relative_to(REAL).as_posix() for p in REAL.rglob("*")
               if p.is_file() and p.relative_to(REAL).parts[0] != "LICENSES" and p.name not in NOT_DATA)

CONTINUATION = "the continuation line of a multi-line message (plaso's deliberate edge case): no header of its own"
# Parse errors per file, each with why. A file not listed must parse with none. "PARSER GAP:" marks a record a
# parser should handle; the rest are records malformed on purpose or unusable in any parser.
EXPECTED_ERRORS: dict[str, tuple[int, str]] = {
    "auditd/elastic_auditd_raw_record_types.log": (
        1, "the UNKNOWN[1329] record: a bare msg= value with no audit(time:serial) stamp, nothing to parse"),
    "auditd/plaso_selinux_audit.log": (
        2, "plaso's deliberate malformed records (both say the parser should skip them): an empty audit() date "
           "and a record without type="),
    "evtx/omerbenamram_sysmon.evtx.gz": (
        8, "chunks 9-16 hold no ElfChnk header (space after the 9 written chunks; the file header is dirty): "
           "one error per unreadable chunk, the 358 records of the good chunks all read"),
    "syslog/plaso_rsyslog_ForwardFormat.log": (1, CONTINUATION),
    "syslog/plaso_rsyslog_SysklogdFileFormat.log": (1, CONTINUATION),
    "syslog/plaso_rsyslog_SyslogProtocol23Format.log": (1, CONTINUATION),
    "syslog/plaso_rsyslog_TraditionalForwardFormat.log": (1, CONTINUATION),
    "syslog/plaso_rsyslog_traditional.log": (
        3, "three continuation lines of multi-line messages (a wrapped dbus dump, a wrapped GLib warning and "
           "plaso's indented second line)"),
    "syslog/plaso_syslog_chromeos.log": (1, CONTINUATION),
    "syslog/plaso_syslog_rfc3164.log": (2, "plaso's deliberate edge cases: a MMM month and a continuation line"),
}
# Inputs whose reading is expected to stop early (stats.problem), with why: none, every file reads to its end.
EXPECTED_PROBLEMS: dict[str, tuple[str, str]] = {}


def zeek_path(path: Path, event: dict) -> str:
    """The log's path: a JSON record names it (``_path``), a TSV file in its ``#path`` header."""
    return event["_path"] if "_path" in event else tsv_path(path)


@lru_cache(maxsize=None)
def tsv_path(path: Path) -> str:
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#path\t"):
                return line.split("\t", 1)[1].strip()
    raise AssertionError(f"{path}: no #path header")


def xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


# (files, which events, expected _format, expected _logsource items: a dict or a function of (path, event))
LOGSOURCES = [
    ("zeek-tsv/*", None, "zeek", lambda p, e: {"product": "zeek", "service": zeek_path(p, e)}),
    ("zeek-json/wrccdc2018_*", None, "zeek", lambda p, e: {"product": "zeek", "service": zeek_path(p, e)}),
    ("suricata-eve/*", lambda e: e.get("event_type") == "alert", "suricata",
     {"product": "suricata", "category": "ids"}),
    ("windows-xml/crowdsec_security_4625_*", lambda e: e.get("event.code") == 4625, "windows_xml",
     {"product": "windows", "service": "security"}),
    ("evtx/omerbenamram_new_user_security.evtx", None, "evtx", {"product": "windows", "service": "security"}),
    ("cloudtrail/*", None, "cloudtrail", {"product": "aws", "service": "cloudtrail"}),
    ("vpcflow/*", None, "vpcflow", {"product": "aws", "service": "vpcflowlogs"}),
    ("iis-w3c/*", None, "w3c", {"category": "webserver", "product": "windows", "service": "iis"}),
    ("linux-auth/crowdsec_sshd*", None, None, {"product": "linux", "service": "sshd"}),
]


def test_every_manifest_file_is_covered():
    """The cases are the MANIFEST's files, no more, no less; the expectations name no file that is gone."""
    manifest = json.loads((REAL / "MANIFEST.json").read_text(encoding="utf-8"))
    assert FILES == sorted(m["dest"] for m in manifest)
    assert set(EXPECTED_ERRORS) | set(EXPECTED_PROBLEMS) <= set(FILES)
    assert all(why for _, why in EXPECTED_ERRORS.values())


@lru_cache(maxsize=None)
def read(rel: str) -> dict:
    """One pass over a file: each input's final stats, what its items counted, which inputs ended with
    ``(stats, None)``, and the log-source checks (how many events each selected, the first mismatch)."""
    path = REAL / rel
    out: dict = {"stats": {}, "counted": defaultdict(lambda: [0, 0, 0]), "ended": [], "wrong": []}
    checks = [(w, fmt, ls) for glob, w, fmt, ls in LOGSOURCES if fnmatch(rel, glob)]
    out["checked"] = [0] * len(checks)
    for stats, item in read_input(path):
        out["stats"][stats.name] = stats
        if item is None:
            out["ended"].append(stats.name)
            continue
        assert isinstance(item, (dict, ParseError, Skipped)), type(item)
        out["counted"][stats.name][0 if isinstance(item, dict) else 1 if isinstance(item, ParseError) else 2] += 1
        for i, (which, fmt, want) in enumerate(checks if isinstance(item, dict) else ()):
            if which is None or which(item):
                out["checked"][i] += 1
                want = want(path, item) if callable(want) else want
                got = {"_format": item.get("_format"), **{k: (item.get("_logsource") or {}).get(k) for k in want}}
                if got != {"_format": fmt or got["_format"], **want} and not out["wrong"]:
                    out["wrong"].append((want, fmt, item.get("_format"), item.get("_logsource")))
    return out


@pytest.mark.parametrize("rel", FILES)
def test_file_reads_with_every_record_accounted_for(rel):
    """records = events + errors + skipped per input, the errors are exactly the expected ones, and the events
    carry the format and log source the detection rules select on."""
    r = read(rel)
    assert r["stats"]
    for name, stats in r["stats"].items():
        skipped = sum(stats.skipped.values())
        assert stats.records == stats.events + stats.errors + skipped
        assert [stats.events, stats.errors, skipped] == r["counted"][name], "stats disagree with the items"
        if rel in EXPECTED_PROBLEMS:
            assert stats.problem and EXPECTED_PROBLEMS[rel][0] in stats.problem, stats.problem
        else:
            assert stats.problem is None
    errors = sum(s.errors for s in r["stats"].values())
    assert errors == EXPECTED_ERRORS.get(rel, (0, ""))[0], [e.reason for s in r["stats"].values()
                                                             for e in s.error_samples]
    assert sum(s.events for s in r["stats"].values()) > 0
    assert all(r["checked"]), f"a log-source check selected no event: {r['checked']}"
    assert not r["wrong"], r["wrong"]


END_MISSING: dict[str, str] = {}  # inputs known not to end with (stats, None): none


@pytest.mark.parametrize("rel", [pytest.param(f, marks=xfail(END_MISSING[f])) if f in END_MISSING else f
                                 for f in FILES])
def test_every_input_ends_once_with_its_stats(rel):
    """The reader's contract: ``(stats, None)`` once at the end of each input, which callers use to close it."""
    r = read(rel)
    assert sorted(r["ended"]) == sorted(r["stats"])


@lru_cache(maxsize=None)
def events(rel: str) -> tuple[dict, ...]:
    return tuple(item for _, item in read_input(REAL / rel) if isinstance(item, dict))


@lru_cache(maxsize=1)
def rules():
    return Detector().sigma  # one rule load; every run below gets a fresh state


def run(evs, anomaly: dict | None = None) -> list:
    alerts, errors = Detector(sigma=rules(), anomaly_config=anomaly).process(evs)
    assert not errors
    return alerts


def fired(alerts, rule_id: str) -> dict[str, list]:
    """``{source.ip: [alerts]}`` of one rule."""
    out: dict[str, list] = defaultdict(list)
    for a in alerts:
        if a.rule_id == rule_id:
            out[a.entity.get("source.ip")].append(a)
    return dict(out)


BRUTE, PORT_SCAN = "ci-anomaly-brute-force", "ci-anomaly-port-scan"
INVALID_USER, PATH_PROBE = "9f0c6c7e-6d0b-4b8f-9a57-1f1a0b6b2a01", "9f0c6c7e-6d0b-4b8f-9a57-1f1a0b6b2a05"
LOG4SHELL, SCANNER_UA = "9a6d1e52-4b3c-4f80-8d9c-1e2f3a4b5c51", "3c1f6a52-8b0e-4c3e-9f61-2d7c0e5a9b11"
SQLI, CMD_INJECTION = "5a2d7e14-0c9b-4f7a-8e33-6b1f2c9d0a21", "8f5c0d41-3a2b-4e7f-9c8b-0d1e2f3a4b41"


def url(e: dict) -> str:
    return str(e.get("url.original") or "").lower()


# (file, rule, the requests that must each raise it, why). Each request is run on its own, so one that slipped
# through is not hidden by the others; the alert must name the request's source.
WEB_ATTACKS = [
    ("apache-access/crowdsec_log4shell.log", LOG4SHELL, lambda e: True, "every request carries a JNDI lookup"),
    ("apache-access/crowdsec_apache_combined.log", SCANNER_UA, lambda e: "masscan" in str(e.get("user_agent.original")),
     "masscan announces itself in its User-Agent"),
    ("apache-access/crowdsec_apache_nikto_probing.log", CMD_INJECTION, lambda e: "cmd=" in url(e),
     "Nikto's RFI probes that also pass a cmd= shell command (the common log format has no User-Agent to name it)"),
    ("apache-access/cloudgrep_ec2_apache_combined_2020.log", CMD_INJECTION, lambda e: "a.php?cmd=" in url(e),
     "the WordPress-upload web shell runs curl … | sh"),
    ("nginx-access/crowdsec_nginx_sqli.log", SQLI, lambda e: "union" in url(e) or "information_schema" in url(e),
     "UNION and catalogue probes, URL-encoded"),
    ("nginx-access/crowdsec_nginx_path_traversal.log", PATH_PROBE, lambda e: "passwd" in url(e) or "%252e" in url(e),
     "/etc/passwd behind %2f / %2F encoded slashes, and double-encoded ../"),
    ("nginx-access/crowdsec_nginx_path_traversal.log", PATH_PROBE, lambda e: True,
     "every request of the fixture is a traversal probe (c:/win.ini and /etc/group too)"),
    ("iis-w3c/plaso_iis7_sqli.log", SQLI, lambda e: True, "both requests carry an encoded OR tautology in the query"),
]


@pytest.mark.parametrize("rel,rule_id,which,why", WEB_ATTACKS)
def test_web_attack_requests_raise_the_rule(rel, rule_id, which, why):
    """Each request an analyst would flag raises the rule for its source, alone and within the whole file."""
    picked = [e for e in events(rel) if which(e)]
    assert picked, why
    missed = [e.get("url.original") for e in picked if e["source.ip"] not in fired(run([e]), rule_id)]
    assert not missed, f"{why}: {len(missed)} of {len(picked)} requests raise no alert"
    assert {e["source.ip"] for e in picked} <= set(fired(run(events(rel)), rule_id))


def failures(rel: str) -> dict[str, int]:
    """Failed logins per source."""
    out: dict[str, int] = defaultdict(int)
    for e in events(rel):
        if e.get("event.outcome") == "failure" and (e.get("event.category") == "authentication"
                                                    or e.get("event.action") == "ConsoleLogin"):
            out[e.get("source.ip")] += 1
    return dict(out)


# (file, failed logins the fixture holds, all from one source, why)
LOGIN_FAILURES = [
    ("linux-auth/crowdsec_opnsense_sshd_rfc5424.log", 10, "invalid-user attempts, one connection each"),
    ("linux-auth/crowdsec_sshd_preauth_bf.log", 6, "root connections dropped before authentication completed"),
    ("windows-xml/crowdsec_security_4625_bruteforce.xml", 6, "EventID 4625 failed logons"),
    ("cloudtrail/crowdsec_cloudtrail_console_bruteforce.json", 6, "failed ConsoleLogin records"),
    ("fortigate-kv/crowdsec_fortigate_sslvpn_bruteforce.log", 9, "SSL VPN login failures (ssl-login-fail)"),
]


@pytest.mark.parametrize("rel,count,why", LOGIN_FAILURES)
def test_brute_force_files_hold_failed_logins_from_their_source(rel, count, why):
    """Every event is a failed login with its source address; at the fixture's own scale (threshold = its count)
    the brute-force detector counts each one, so only the configured threshold decides whether it alerts."""
    per_source = failures(rel)
    assert list(per_source.values()) == [count] and None not in per_source, (why, per_source)
    assert len(events(rel)) == count
    (src,) = per_source
    assert src in fired(run(events(rel)), BRUTE)  # the shipped settings: fewer than 10, but within a minute


BRUTE_FORCE = [
    ("linux-auth/crowdsec_opnsense_sshd_rfc5424.log", "10 attempts in 4 s reach the threshold (10 in 300 s)"),
    ("linux-auth/crowdsec_sshd_preauth_bf.log", "6 root attempts in 6 s: the fast-guesser tier (5 in 60 s)"),
]


@pytest.mark.parametrize("rel,why", BRUTE_FORCE)
def test_ssh_brute_force_alerts_for_its_source(rel, why):
    """With the shipped thresholds, the SSH brute force is an alert naming the attacking address."""
    (src,) = failures(rel)
    (alert,) = fired(run(events(rel)), BRUTE).get(src) or pytest.fail(f"no brute-force alert for the source: {why}")
    assert alert.explanation["observed"] >= 5 and "threshold" in alert.explanation["summary"]


@pytest.mark.parametrize("rel", ["linux-auth/crowdsec_sshd.log", "linux-auth/crowdsec_opnsense_sshd_rfc5424.log"])
def test_invalid_user_alert_is_one_per_source_listing_its_users(rel):
    """An invalid-user sweep is one alert per source (and host), not one per user; the summary lists the users."""
    alerts = fired(run(events(rel)), INVALID_USER)
    assert alerts
    for src, found in alerts.items():
        assert len(found) == 1, f"{len(found)} alerts for {src}"
        attempts = [e for e in events(rel) if e.get("source.ip") == src and e.get("user.invalid")
                    and e.get("event.action") in ("ssh_invalid_user", "ssh_login", "ssh_preauth_close")]
        assert found[0].count == len(attempts)  # every attempt merged into the one alert
        summary = found[0].explanation["summary"]
        assert all(e["user.name"] in summary for e in attempts), summary


def test_every_source_trying_an_invalid_user_is_alerted():
    """A source the log shows trying an account that does not exist is worth the invalid-user alert."""
    rel = "linux-auth/crowdsec_sshd.log"
    tried = {e["source.ip"] for e in events(rel) if e.get("user.invalid") and e.get("source.ip")}
    assert tried <= set(fired(run(events(rel)), INVALID_USER))


@pytest.mark.parametrize("rel", ["iptables/crowdsec_iptables_portscan.log",
                                 "pfsense-filterlog/crowdsec_pfsense_portscan.log"])
def test_port_scan_files_show_one_source_on_many_ports(rel):
    """The scanner hits 16-17 distinct ports within a second: under the minute's 20-port threshold, but the
    burst tier (10 ports in 5 s) names it with the shipped settings; without that tier it would stay silent."""
    ports: dict[str, set] = defaultdict(set)
    stamps: dict[str, list] = defaultdict(list)
    for e in events(rel):
        ports[e["source.ip"]].add(e["destination.port"])
        stamps[e["source.ip"]].append(float(e["_ts"]))
    src, seen = max(ports.items(), key=lambda kv: len(kv[1]))
    assert len(seen) >= 15 and max(stamps[src]) - min(stamps[src]) <= 60
    assert src in fired(run(events(rel)), PORT_SCAN)
    assert src not in fired(run(events(rel), {PORT_SCAN: {"burst_ports": 0}}), PORT_SCAN)
