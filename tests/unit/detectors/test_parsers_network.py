"""Network-device parsers: FortiGate, PAN-OS, Cisco ASA, pfSense filterlog, LEEF, Cisco ISE, vsftpd.

Fixture lines are invented (documentation address ranges); they follow each vendor's documented layout.
"""
from datetime import datetime, timezone

import pytest

from detectors.parsers import asa, ciscoise, fortigate, leef, panos, pfsense, vsftpd


def epoch(text):
    return datetime.fromisoformat(text).timestamp()


# --- FortiGate -------------------------------------------------------------------------------------------------

FGT_TRAFFIC = ('<189>date=2024-05-02 time=08:31:47 devname="fw-edge 1" devid="FG100FTK0000001" logid="0000000013" '
               'type="traffic" subtype="forward" level="notice" vd="root" eventtime=1714638707123456789 tz="+0200" '
               'srcip=192.0.2.10 srcport=51515 srcintf="port1" dstip=198.51.100.20 dstport=3389 dstintf="wan1" '
               'proto=6 action="deny" policyid=7 service="RDP" sentbyte=0 rcvdbyte=0 msg="Denied by policy 7"')
FGT_VPN = ('date=2024-10-14 time=13:46:40 tz="-0700" logid="0101039426" type="event" subtype="vpn" level="alert" '
           'vd="root" logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" remip=203.0.113.50 '
           'user="alice" group="N/A" reason="sslvpn_login_permission_denied" msg="SSL user failed to logged in"')


def test_fortigate_traffic_deny():
    assert fortigate.sniff(FGT_TRAFFIC) and fortigate.sniff(FGT_VPN)
    ev = fortigate.parse(FGT_TRAFFIC)
    assert ev["source.ip"] == "192.0.2.10" and ev["source.port"] == 51515
    assert ev["destination.ip"] == "198.51.100.20" and ev["destination.port"] == 3389
    assert ev["network.transport"] == "tcp" and ev["event.action"] == "deny" and ev["event.outcome"] == "failure"
    assert ev["observer.hostname"] == "fw-edge 1" and ev["message"] == "Denied by policy 7"
    assert ev["event.category"] == "network" and ev["srcip"] == "192.0.2.10" and ev["action"] == "deny"
    assert ev["_ts"] == pytest.approx(1714638707.123456789)  # eventtime in ns wins over date/time
    assert ev["_logsource"] == {"product": "fortigate", "service": "traffic", "category": "firewall"}


def test_fortigate_sslvpn_failure_uses_remip_and_tz():
    ev = fortigate.parse(FGT_VPN)
    assert ev["source.ip"] == "203.0.113.50" and ev["user.name"] == "alice" and "user.group.name" not in ev
    assert ev["event.category"] == "authentication" and ev["event.outcome"] == "failure"
    assert ev["_ts"] == epoch("2024-10-14T13:46:40-07:00")
    assert ev["_logsource"] == {"product": "fortigate", "service": "event"}


def test_fortigate_eventtime_units_and_config_event():
    base = 'date=2024-01-01 time=00:00:00 logid="0100044547" type="event" subtype="system" '
    for stamp in ("1704067200", "1704067200000", "1704067200000000", "1704067200000000000"):
        assert fortigate.parse(base + f"eventtime={stamp}")["_ts"] == 1704067200.0
    cfg = fortigate.parse(base + 'user="admin" ui="GUI(192.0.2.4)" action="Add" cfgpath="system.admin" '
                                 'cfgobj="backdoor" msg="Add system.admin backdoor"')
    assert cfg["cfgpath"] == "system.admin" and cfg["action"] == "Add"  # SigmaHQ fortigate rules read these
    assert cfg["_logsource"]["service"] == "event"


def test_fortigate_rejects_other_text():
    assert not fortigate.sniff("Jan  1 00:00:00 host sshd[1]: hello")
    assert fortigate.parse("no key value here") is None


# --- PAN-OS ----------------------------------------------------------------------------------------------------

PAN_THREAT = ('1,2024/03/01 10:00:00,013201001234,THREAT,vulnerability,2561,2024/03/01 10:00:00,203.0.113.7,'
              '192.0.2.20,0.0.0.0,0.0.0.0,inbound-web,,,web-browsing,vsys1,untrust,dmz,ethernet1/1,ethernet1/2,'
              'fwd,2024/03/01 10:00:00,4242,1,55123,80,0,0,0x2000,tcp,reset-both,"www.example.com/login.php?id=1 '
              'or 1=1",SQL Injection Attempt(38195),any,critical,client-to-server,1234567,0x0,US,US,0,,0,,,0,,,,,,,,0,'
              '0,0,0,0,,PAN-EDGE-1')
PAN_TRAFFIC = ('<14>Mar  1 10:00:05 pa-edge 1,2024/03/01 10:00:05,013201001234,TRAFFIC,end,2561,2024/03/01 10:00:05,'
               '192.0.2.30,198.51.100.40,203.0.113.1,198.51.100.40,allow-out,corp\\bob,,ssl,vsys1,trust,untrust,'
               'ethernet1/2,ethernet1/1,fwd,2024/03/01 10:00:05,777,1,50000,443,40000,443,0x400019,tcp,allow,5000,'
               '1200,3800,20,2024/03/01 09:59:00,60,computer-and-internet-info,0,99,0x0,192.168.0.0-192.168.255.255,'
               'US,0,9,11')


def test_panos_threat_fields():
    assert panos.sniff(PAN_THREAT)
    ev = panos.parse(PAN_THREAT)
    assert ev["source.ip"] == "203.0.113.7" and ev["destination.ip"] == "192.0.2.20" and ev["destination.port"] == 80
    assert ev["rule.name"] == "SQL Injection Attempt" and ev["rule.id"] == "38195"
    assert ev["url.original"] == "www.example.com/login.php?id=1 or 1=1" and ev["url.domain"] == "www.example.com"
    assert ev["event.action"] == "reset-both" and ev["event.outcome"] == "failure"
    assert "intrusion_detection" in ev["event.category"] and ev["observer.hostname"] == "PAN-EDGE-1"
    assert ev["_logsource"]["product"] == "paloalto" and ev["_logsource"]["category"] == "firewall"
    assert ev["_ts"] == epoch("2024-03-01T10:00:00+00:00") and "source.nat.ip" not in ev


def test_panos_traffic_behind_syslog_header():
    assert panos.sniff(PAN_TRAFFIC)
    ev = panos.parse(PAN_TRAFFIC)
    assert ev["user.name"] == "corp\\bob" and ev["source.nat.ip"] == "203.0.113.1"
    assert ev["source.bytes"] == 1200 and ev["destination.bytes"] == 3800 and ev["event.outcome"] == "success"
    assert ev["observer.hostname"] == "pa-edge" and ev["event.category"] == "network" and ev["rule.name"] == "allow-out"


def test_panos_high_res_timestamp_and_system():
    row = PAN_THREAT.split(",")[:60] + [""] * 47 + ["2024-03-01T10:00:00.250+02:00"]
    assert panos.parse(",".join(row))["_ts"] == epoch("2024-03-01T10:00:00.250+02:00")
    sysev = panos.parse("1,2024/03/01 11:00:00,013201001234,SYSTEM,auth,0,2024/03/01 11:00:00,,auth-fail,admin,0,0,"
                        "general,medium,\"failed authentication for user 'admin'. From: 203.0.113.9.\",123,0x0")
    assert sysev["event.category"] == "authentication" and sysev["event.outcome"] == "failure"
    assert panos.parse("1,2024/03/01 bad") is None and not panos.sniff("hello, world")


# --- Cisco ASA -------------------------------------------------------------------------------------------------

def test_asa_connections():
    built = asa.parse("%ASA-6-302013: Built inbound TCP connection 123 for outside:198.51.100.7/4444 "
                      "(198.51.100.7/4444) to inside:192.0.2.5/22 (203.0.113.5/22)")
    assert built["source.ip"] == "198.51.100.7" and built["source.port"] == 4444
    assert built["destination.ip"] == "192.0.2.5" and built["destination.port"] == 22
    assert built["event.code"] == "302013" and built["event.severity"] == 6 and built["network.transport"] == "tcp"
    assert built["_logsource"] == {"product": "cisco", "service": "asa", "category": "firewall"}
    out = asa.parse("%ASA-6-302015: Built outbound UDP connection 9 for outside:198.51.100.53/53 (198.51.100.53/53) "
                    "to inside:192.0.2.9/50000 (203.0.113.9/50000)")
    assert out["source.ip"] == "192.0.2.9" and out["destination.ip"] == "198.51.100.53"  # outbound: "to" initiates
    down = asa.parse("<166>Mar  1 10:00:00 asa1 %ASA-6-302014: Teardown TCP connection 123 for outside:198.51.100.7/"
                     "4444 to inside:192.0.2.5/22 duration 0:01:02 bytes 4096 TCP FINs")
    assert down["network.bytes"] == 4096 and down["observer.hostname"] == "asa1" and "_ts" in down


def test_asa_denies_and_acl():
    ev = asa.parse("<164>Mar 01 2024 10:00:00: %ASA-4-106023: Deny tcp src outside:203.0.113.8/5555 dst "
                   "inside:192.0.2.6/445 by access-group \"outside_in\" [0x0, 0x0]")
    assert ev["event.outcome"] == "failure" and ev["rule.name"] == "outside_in" and ev["destination.port"] == 445
    assert ev["_ts"] == epoch("2024-03-01T10:00:00+00:00")
    acl = asa.parse("%ASA-6-106100: access-list inside_in permitted udp inside/192.0.2.7(5353) -> "
                    "outside/198.51.100.9(53) hit-cnt 1 first hit [0x1, 0x0]")
    assert acl["event.action"] == "allow" and acl["source.port"] == 5353 and acl["destination.ip"] == "198.51.100.9"
    v6 = asa.parse("%FTD-2-106006: Deny inbound UDP from 2001:db8::7/53 to 2001:db8::8/53 on interface outside")
    assert v6["source.ip"] == "2001:db8::7" and v6["observer.product"] == "FTD"


def test_asa_auth_and_unknown_ids():
    rej = asa.parse("%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.2 : "
                    "user = mallory : user IP = 203.0.113.44")
    assert rej["event.category"] == "authentication" and rej["event.outcome"] == "failure"
    assert rej["user.name"] == "mallory" and rej["source.ip"] == "203.0.113.44"
    ok = asa.parse("%ASA-6-113004: AAA user authentication Successful : server = 192.0.2.2 : user = alice")
    assert ok["event.outcome"] == "success" and ok["user.name"] == "alice"
    login = asa.parse('%ASA-6-605004: Login denied from 203.0.113.3/40000 to outside:192.0.2.1/ssh for user "root"')
    assert login["event.outcome"] == "failure" and login["user.name"] == "root"
    cmd = asa.parse("%ASA-5-111008: User 'enable_15' executed the 'clear logging' command.")
    assert cmd["process.command_line"] == "clear logging" and cmd["_logsource"]["service"] == "aaa"
    other = asa.parse("%ASA-5-713041: IP = 203.0.113.77, IKE Initiator: New Phase 1, Intf outside")
    assert other["event.code"] == "713041" and other["message"].startswith("IP = ")
    assert other["log.level"] == "notification"
    assert asa.parse("%ASA-3-999999: anything at all")["event.code"] == "999999"
    assert asa.parse("no asa here") is None and not asa.sniff("Jan 1 host sshd: x")


# --- pfSense filterlog -----------------------------------------------------------------------------------------

PF_TCP = ("5,,,1000000103,igb0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,203.0.113.5,192.0.2.1,41000,22,0,S,12345,,"
          "64240,,mss")
PF_V6 = "9,,,1000000200,igb1,match,pass,out,6,0x00,0x00000,64,udp,17,80,2001:db8::1,2001:db8::53,5353,53,40"


def test_pfsense_ipv4_tcp_block():
    assert pfsense.sniff(PF_TCP)
    ev = pfsense.parse(PF_TCP)
    assert ev["source.ip"] == "203.0.113.5" and ev["destination.port"] == 22 and ev["source.port"] == 41000
    assert ev["event.action"] == "deny" and ev["event.outcome"] == "failure" and ev["network.transport"] == "tcp"
    assert ev["action"] == "block" and ev["tcpflags"] == "S"
    assert ev["_logsource"] == {"category": "firewall", "product": "pfsense"}


def test_pfsense_ipv6_and_syslog_forms():
    ev = pfsense.parse(PF_V6)
    assert ev["source.ip"] == "2001:db8::1" and ev["destination.port"] == 53 and ev["event.action"] == "allow"
    tagged = pfsense.parse("filterlog[4321]: " + PF_TCP)
    assert tagged["destination.port"] == 22
    full = pfsense.parse("<134>1 2024-03-01T10:00:00.500+01:00 fw.example filterlog 4321 - - " + PF_V6)
    assert full["_ts"] == epoch("2024-03-01T10:00:00.500+01:00") and full["host.name"] == "fw.example"
    icmp = pfsense.parse("7,,,1000000103,igb0,match,block,in,4,0x0,,64,1,0,none,1,icmp,84,203.0.113.5,192.0.2.1,"
                         "request,77,1")
    assert icmp["network.transport"] == "icmp" and icmp["icmp_type"] == "request" and "source.port" not in icmp
    assert pfsense.parse("5,,,x,igb0,bogus") is None and not pfsense.sniff("hello")


# --- LEEF ------------------------------------------------------------------------------------------------------

def test_leef_1_tab_and_devtime():
    line = ("<13>Mar  1 10:00:00 gw LEEF:1.0|Acme|Edge Firewall|2.1|deny|src=203.0.113.1\tdst=192.0.2.2\t"
            "srcPort=4444\tdstPort=22\tproto=6\tusrName=bob\tsev=7\tdevTime=Mar 01 2024 10:00:00.250 UTC")
    assert leef.sniff(line)
    ev = leef.parse(line)
    assert ev["source.ip"] == "203.0.113.1" and ev["destination.port"] == 22 and ev["network.transport"] == "tcp"
    assert ev["user.name"] == "bob" and ev["event.severity"] == 7 and ev["event.code"] == "deny"
    assert ev["_ts"] == epoch("2024-03-01T10:00:00.250+00:00")
    assert ev["_logsource"] == {"product": "edge firewall", "category": "firewall"}


def test_leef_2_delimiters():
    caret = leef.parse("LEEF:2.0|Acme|Sensor|1|sig9|^|src=203.0.113.9^dst=192.0.2.9^cat=intrusion^"
                       "devTime=2024-03-01 12:00:00 +0200^devTimeFormat=yyyy-MM-dd HH:mm:ss Z")
    assert caret["destination.ip"] == "192.0.2.9" and caret["_ts"] == epoch("2024-03-01T12:00:00+02:00")
    assert caret["_logsource"]["category"] == "ids"
    hexed = leef.parse("LEEF:2.0|Acme|Sensor|1|sig9|x09|src=203.0.113.9\tusrName=carol")
    assert hexed["user.name"] == "carol"
    # no delimiter field at all (as Trend Micro sends), and space-joined known keys inside one field
    av = leef.parse("LEEF:2.0|Trend Micro|Deep Security Agent|10.0|4000000|cat=Anti-Malware\tname=EICAR_TEST\t"
                    "sev=6 cn1=12 cn1Label=Host ID\tfilePath=C:\\\\temp\\\\eicar.com\tact=Quarantine")
    assert av["cat"] == "Anti-Malware" and av["cn1"] == "12" and av["cn1Label"] == "Host ID"
    assert av["_logsource"]["category"] == "antivirus" and av["Signature"] == "EICAR_TEST"
    assert leef.parse("LEEF:1.0|only|three") is None and not leef.sniff("CEF:0|a|b|c")


# --- Cisco ISE -------------------------------------------------------------------------------------------------

ISE_FAIL = ("Mar  1 10:00:00 ise-psn01 CISE_Failed_Attempts 0000012345 1 0 2024-03-01 10:00:00.123 -07:00 "
            "0000456789 5400 NOTICE Failed-Attempt: Authentication failed, ConfigVersionId=12, "
            "Device IP Address=192.0.2.50, Device Port=1645, DestinationIPAddress=192.0.2.10, DestinationPort=1812, "
            "UserName=eve, Protocol=Radius, NetworkDeviceName=sw-floor2, User-Name=eve, NAS-IP-Address=192.0.2.50, "
            "Calling-Station-ID=203.0.113.23, FailureReason=24408 User authentication against Active Directory "
            "failed since user has entered the wrong password, Step=11001, Step=11017, "
            "EndpointOUI=Example Networks\\, Inc., ")


def test_ise_failed_attempt():
    assert ciscoise.sniff(ISE_FAIL)
    ev = ciscoise.parse(ISE_FAIL)
    assert ev["event.category"] == "authentication" and ev["event.outcome"] == "failure"
    assert ev["user.name"] == "eve" and ev["source.ip"] == "203.0.113.23" and ev["destination.port"] == 1812
    assert ev["Step"] == ["11001", "11017"] and ev["EndpointOUI"] == "Example Networks, Inc."
    assert ev["event.code"] == "5400" and ev["message"] == "Failed-Attempt: Authentication failed"
    assert ev["_ts"] == epoch("2024-03-01T10:00:00.123-07:00") and ev["observer.hostname"] == "ise-psn01"
    assert ev["_logsource"] == {"product": "cisco", "service": "ise"}


def test_ise_passed_relay_header_and_segments():
    line = ("Mar  1 17:00:01 192.0.2.200 Mar  1 10:00:01 ise-psn02 CISE_Passed_Authentications 0000012346 2 0 "
            "2024-03-01 10:00:01.000 -07:00 0000456790 5200 NOTICE Passed-Authentication: Authentication succeeded, "
            "Device IP Address=192.0.2.51, UserName=frank, Calling-Station-ID=00-11-22-33-44-55, ")
    ev = ciscoise.parse(line)
    assert ev["event.outcome"] == "success" and ev["user.name"] == "frank" and ev["source.ip"] == "192.0.2.51"
    assert ev["source.mac"] == "00-11-22-33-44-55" and ev["ise.segments"] == 2 and ev["ise.segment"] == 0
    part2 = ciscoise.parse("ise-psn02 CISE_Passed_Authentications 0000012346 2 1 AuthenticationMethod=PAP_ASCII, "
                           "SelectedAccessService=Default Network Access, ")
    assert part2["ise.segment"] == 1 and part2["auth.method"] == "PAP_ASCII" and "_ts" not in part2
    assert ciscoise.parse("CISE_ bogus") is None and not ciscoise.sniff("hello")


# --- vsftpd ----------------------------------------------------------------------------------------------------

def test_vsftpd_login_and_transfer():
    fail = 'Fri Mar  1 10:00:00 2024 [pid 4242] [admin] FAIL LOGIN: Client "203.0.113.66"'
    assert vsftpd.sniff(fail)
    ev = vsftpd.parse(fail)
    assert ev["event.category"] == "authentication" and ev["event.outcome"] == "failure"
    assert ev["user.name"] == "admin" and ev["source.ip"] == "203.0.113.66"
    assert ev["_ts"] == epoch("2024-03-01T10:00:00+00:00")
    assert ev["_logsource"] == {"product": "linux", "service": "vsftpd"}
    up = vsftpd.parse('Fri Mar  1 10:00:05 2024 [pid 4243] [alice] OK UPLOAD: Client "::ffff:192.0.2.8", '
                      '"/srv/ftp/report final.pdf", 2048 bytes, 12.50Kbyte/sec')
    assert up["event.action"] == "upload" and up["file.path"] == "/srv/ftp/report final.pdf" and up["file.size"] == 2048
    assert up["source.ip"] == "192.0.2.8" and up["event.outcome"] == "success"


def test_vsftpd_syslog_body_and_messages():
    body = vsftpd.parse('[bob] OK LOGIN: Client "198.51.100.3"')
    assert body["event.outcome"] == "success" and "_ts" not in body
    assert vsftpd.parse('vsftpd[77]: [bob] FAIL LOGIN: Client "198.51.100.3"')["event.outcome"] == "failure"
    err = vsftpd.parse("Fri Mar  1 10:00:00 2024 [pid 9] Connection refused: too many sessions for this address.")
    assert err["message"].startswith("Connection refused") and err["_logsource"]["service"] == "vsftpd"
    assert vsftpd.parse("plain text") is None and not vsftpd.sniff("plain text")


@pytest.mark.parametrize("mod", [fortigate, panos, asa, pfsense, leef, ciscoise, vsftpd])
@pytest.mark.parametrize("junk", ["", "x", "<>", "=", "LEEF:|", "CISE_x 1 1 1 ", "%ASA-9-1:", ",,,,,,,,,",
                                  "1,2024/03/01 10:00:00,s,TRAFFIC,", "date=", "\x00\xff"])
def test_malformed_never_raises(mod, junk):
    mod.sniff(junk)
    ev = mod.parse(junk)
    assert ev is None or isinstance(ev, dict)


@pytest.mark.parametrize("head", ["", "<13>"])
def test_leef_behind_a_bsd_syslog_header_is_leef_not_a_program_named_leef(head):
    from detectors.parsers import Stream

    (ev,) = Stream().line(f"{head}Mar  1 10:00:00 gw LEEF:1.0|Acme|Edge Firewall|2.1|deny|src=203.0.113.1\t"
                          "dst=192.0.2.2\tdstPort=22")
    assert ev["_format"] == "leef" and ev["source.ip"] == "203.0.113.1" and ev["destination.port"] == 22
    assert ev["host.name"] == "gw"
