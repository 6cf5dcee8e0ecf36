"""Authentication lines as real servers write them: every form parsed, and every attempt counted once."""
from datetime import datetime, timezone

from detectors.anomaly.auth import BruteForce
from detectors.parsers import Stream, parse_line
from detectors.pipeline import Detector
from detectors.state import MemoryStateStore

PAM = ("Nov 22 10:00:{s:02d} web1 sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
       "tty=ssh ruser= rhost={src}  user=root")
FAILED = "Nov 22 10:00:{s:02d} web1 sshd[{pid}]: Failed password for root from {src} port {port} ssh2"
MORE = ("Nov 22 10:00:{s:02d} web1 sshd[{pid}]: PAM {n} more authentication failures; logname= uid=0 euid=0 tty=ssh "
        "ruser= rhost={src}  user=root")


def failures(lines, **settings):
    bf, state, out = BruteForce(**settings), MemoryStateStore(), []
    for line in lines:
        for ev in parse_line(line):
            out += bf.observe(ev, state)
    return state, out


def test_sshd_and_pam_lines_of_one_attempt_count_once():
    lines = []
    for c in range(4):  # four connections, three password tries each: 12 attempts
        pid = 500 + c
        lines += [PAM.format(s=c, pid=pid, src="203.0.113.9"), FAILED.format(s=c, pid=pid, src="203.0.113.9", port=4000 + c),
                  FAILED.format(s=c, pid=pid, src="203.0.113.9", port=4000 + c),
                  FAILED.format(s=c, pid=pid, src="203.0.113.9", port=4000 + c),
                  MORE.format(s=c, pid=pid, n=2, src="203.0.113.9")]
    state, alerts = failures(lines, per_source=12, burst=0)
    assert state.get("bf:source:203.0.113.9", 0)["n"] == 12
    assert len(alerts) == 1 and alerts[0].explanation["observed"] == 12


def test_old_sshd_pam_unix_form_and_its_summary_count_as_attempts():
    ev = parse_line("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 "
                    "tty=NODEVssh ruser= rhost=150.183.249.110")[0]
    assert (ev["process.name"], ev["event.action"], ev["event.outcome"], ev["source.ip"]) == \
        ("sshd", "pam_auth", "failure", "150.183.249.110")
    assert ev["_logsource"] == {"product": "linux", "service": "sshd"}
    lines = [f"Jun 14 15:16:{i:02d} combo sshd(pam_unix)[{19900 + i}]: authentication failure; logname= uid=0 euid=0 "
             f"tty=NODEVssh ruser= rhost=198.51.100.{i % 3}" for i in range(30)]
    _, alerts = failures(lines)
    assert sorted(a.entity["source.ip"] for a in alerts) == ["198.51.100.0", "198.51.100.1", "198.51.100.2"]


def test_repeated_messages_count_their_repeats_and_host_names_are_domains():
    rep = parse_line("Nov 22 10:00:00 web1 sshd[77]: message repeated 5 times: [ Failed password for root from "
                     "203.0.113.9 port 4242 ssh2]")[0]
    assert rep["auth.attempts"] == 5 and rep["event.action"] == "ssh_login" and rep["source.ip"] == "203.0.113.9"
    host = parse_line("Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 "
                      "tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.example.net  user=root")[0]
    assert host["source.domain"] == "220-135-151-1.hinet-ip.example.net" and "source.ip" not in host
    state, _ = failures([MORE.format(s=1, pid=9, n=4, src="203.0.113.7")])
    assert state.get("bf:source:203.0.113.7", 0)["n"] == 4


def test_preauth_disconnects_and_rfc5424_sshd_are_attempts():
    ev = parse_line("Jan 24 15:32:31 server sshd[2651912]: Disconnected from authenticating user root 203.0.113.98 "
                    "port 59402 [preauth]")[0]
    assert (ev["event.action"], ev["user.name"], ev["source.ip"]) == ("ssh_preauth_close", "root", "203.0.113.98")
    ev = parse_line('<38>1 2022-01-19T14:23:55+00:00 fw.example sshd 44255 - [meta sequenceId="1"] Invalid user tutu '
                    "from 203.0.113.4 port 33166")[0]
    assert ev["user.name"] == "tutu" and ev["log.syslog.structured_data.meta.sequenceId"] == "1"
    neg = parse_line("Jun  8 10:44:36 server sshd[3204729]: Unable to negotiate with 203.0.113.134 port 45626: no "
                     "matching key exchange method found.")[0]
    assert neg["event.action"] == "ssh_negotiation_failed" and not failures([neg["_raw"]])[1]


def test_an_invalid_user_sweep_is_one_alert_per_source_listing_its_users():
    lines = [f"Nov 22 10:00:{i:02d} web1 sshd[{100 + i}]: Invalid user u{i % 7} from 203.0.113.{i % 2} port {4000 + i}"
             for i in range(28)]
    alerts, _ = Detector().process([e for ln in lines for e in parse_line(ln)])
    inv = [a for a in alerts if "does not exist" in a.title]
    assert sorted(a.entity["source.ip"] for a in inv) == ["203.0.113.0", "203.0.113.1"]
    assert all(a.count == 14 for a in inv)
    assert all(f"u{k}" in a.explanation["summary"] for a in inv for k in range(7))


def test_program_tag_forms_and_year_across_new_year():
    forms = {"Nov 22 10:00:00 h sshd[1] (pam_unix): session opened for user a": ("sshd", "1"),
             "Nov 22 10:00:00 h kernel[0] <Info>: launchd Allow TCP": ("kernel", "0"),
             "Feb 22 10:21:43  sshd[1332]: last message repeated 2 times": ("sshd", "1332"),
             "Nov 22 10:00:00 h CRON[3]: (root) CMD (true)": ("CRON", "3")}
    for line, (prog, pid) in forms.items():
        ev = parse_line(line)[0]
        assert (ev["process.name"], ev["process.pid"]) == (prog, pid), line
    assert parse_line("Jan 22 07:54:32 h.example Job `cron.daily' terminated")[0]["message"].startswith("Job")
    jan2 = datetime(2027, 1, 2, tzinfo=timezone.utc).timestamp()
    s = Stream(received=jan2)
    dec, jan = s.line("Dec 31 23:59:59 h sshd[1]: x")[0], s.line("Jan  1 00:00:01 h sshd[1]: x")[0]
    assert dec["@timestamp"].startswith("2026-12-31") and jan["@timestamp"].startswith("2027-01-01")


def test_a_success_within_the_success_window_after_a_burst_is_escalated():
    lines = [FAILED.format(s=i, pid=700 + i, src="203.0.113.5", port=5000 + i) for i in range(12)]
    lines.append("Nov 22 10:08:00 web1 sshd[900]: Accepted password for root from 203.0.113.5 port 6000 ssh2")
    _, alerts = failures(lines)  # eight minutes after the burst: past the 300 s count window, within 900 s
    assert [a.rule_id for a in alerts] == ["ci-anomaly-brute-force", "ci-anomaly-brute-force-success"]
    late = lines[:-1] + ["Nov 22 10:20:00 web1 sshd[901]: Accepted password for root from 203.0.113.5 port 6001 ssh2"]
    assert [a.rule_id for a in failures(late)[1]] == ["ci-anomaly-brute-force"]
