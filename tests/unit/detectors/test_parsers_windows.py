"""Windows parsers: attribute-carrying EVTX JSON, the channel table, Event XML and binary EVTX files."""
import gzip
import io
import json
from pathlib import Path

import pytest

from detectors.parsers import evtx_file, windows, windows_xml

NS = 'xmlns="http://schemas.microsoft.com/win/2004/08/events/event"'


def doc(channel, event_id, data, **system):
    sysd = {"Provider": {"#attributes": {"Name": "Test-Provider"}}, "EventID": event_id, "Channel": channel,
            "Computer": "ws1.example.test", "TimeCreated": {"#attributes": {"SystemTime": "2026-11-22T10:00:00.1234567Z"}}}
    sysd.update(system)
    return {"Event": {"System": sysd, "EventData": data}}


def test_attribute_values_are_read_from_text():
    ev = windows.from_evtx(doc("System", {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
                               {"ServiceName": {"#text": "evilsvc"}, "ImagePath": "C:\\Temp\\x.exe"},
                               Level={"#text": "4"}, EventRecordID={"#text": "99"}))
    assert ev["EventID"] == 7045 and ev["Qualifiers"] == 16384 and ev["ServiceName"] == "evilsvc"
    assert ev["Level"] == 4 and ev["EventRecordID"] == 99 and ev["Provider_Name"] == "Test-Provider"
    assert ev["_logsource"] == {"product": "windows", "service": "system"}
    assert ev["_ts"] == pytest.approx(1795341600.123456)


def test_data_list_with_name_attributes_is_flattened():
    data = {"Data": [{"#attributes": {"Name": "TargetUserName"}, "#text": "alice"},
                     {"@Name": "IpAddress", "#text": "192.0.2.10"}, {"Name": "IpPort", "#text": "4444"},
                     {"#attributes": {"Name": "SubjectUserName"}}]}
    ev = windows.from_evtx(doc("Security", "4625", data))
    assert ev["EventID"] == 4625 and ev["TargetUserName"] == "alice" and ev["user.name"] == "alice"
    assert ev["source.ip"] == "192.0.2.10" and ev["source.port"] == 4444 and ev["SubjectUserName"] == ""


def test_classic_powershell_unnamed_data_and_categories():
    payload = "NewEngineState=Available\n\tHostName=ConsoleHost\n\tHostApplication=powershell.exe -nop -w hidden"
    ev = windows.from_evtx(doc("Windows PowerShell", {"#attributes": {"Qualifiers": 0}, "#text": 400},
                               {"Data": {"#text": ["Available", "None", payload]}}))
    assert ev["_logsource"] == {"product": "windows", "service": "powershell-classic", "category": "ps_classic_start"}
    assert isinstance(ev["Data"], list) and ev["HostApplication"].startswith("powershell.exe -nop")
    assert windows.logsource("Windows PowerShell", 600)["category"] == "ps_classic_provider_start"
    assert windows.logsource("Windows PowerShell", 800)["category"] == "ps_classic_script"
    assert windows.logsource("PowerShellCore/Operational", 4104)["category"] == "ps_script"


@pytest.mark.parametrize("channel,event_id,expected", [
    ("Microsoft-Windows-AppXDeploymentServer/Operational", 854, {"service": "appxdeployment-server"}),
    ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall", 2004, {"service": "firewall-as"}),
    ("microsoft-windows-smbclient/security", 31017, {"service": "smbclient-security"}),
    ("OpenSSH/Operational", 4, {"service": "openssh"}),
    ("Microsoft-Windows-DNS-Client/Operational", 3008, {"service": "dns-client"}),
    ("Microsoft-Windows-LDAP-Client/Debug", 30, {"service": "ldap"}),
    ("Microsoft-Windows-Security-Mitigations/Kernel Mode", 11, {"service": "security-mitigations"}),
    ("Microsoft-Windows-CAPI2/Operational", 70, {"service": "capi2"}),
    ("MSExchange Management", 6, {"service": "msexchange-management"}),
    ("Microsoft-Windows-Sysmon/Operational", 255, {"service": "sysmon", "category": "sysmon_error"}),
    ("Microsoft-Windows-Sysmon/Operational", 4, {"service": "sysmon", "category": "sysmon_status"}),
    ("Microsoft-Windows-Sysmon/Operational", 29, {"service": "sysmon", "category": "file_executable_detected"}),
    ("Microsoft-Windows-Sysmon/Operational", 14, {"service": "sysmon", "category": ["registry_rename", "registry_event"]}),
    ("Security", 4688, {"service": "security", "category": "process_creation"}),
    ("Microsoft-IIS-Logging/Logs", 6200, {"category": "webserver"}),
    ("Some-Unknown/Channel", 1, {}),
])
def test_channel_table(channel, event_id, expected):
    assert windows.logsource(channel, event_id) == {"product": "windows", **expected}


def test_security_4688_gets_sysmon_names_and_4657_registry_category():
    ev = windows.from_evtx(doc("Security", 4688, {"NewProcessName": "C:\\Windows\\System32\\cmd.exe",
                                                  "ParentProcessName": "C:\\Windows\\explorer.exe",
                                                  "CommandLine": "cmd /c whoami", "NewProcessId": "0x10",
                                                  "ProcessId": "0x4", "SubjectUserName": "bob"}))
    assert ev["Image"].endswith("cmd.exe") and ev["ParentImage"].endswith("explorer.exe")
    assert ev["process.name"] == "cmd.exe" and ev["process.pid"] == "0x10" and ev["process.parent.pid"] == "0x4"
    reg = windows.from_evtx(doc("Security", 4657, {"ObjectName": "\\REGISTRY\\MACHINE\\SOFTWARE\\Run",
                                                   "NewValue": "evil.exe", "OperationType": "%%1905"}))
    assert reg["_logsource"]["category"] == ["registry_set", "registry_event"] and reg["Details"] == "evil.exe"


def test_userdata_wrapper_with_attributes():
    d = {"Event": {"System": {"EventID": 1102, "Channel": "Security", "Computer": "dc1"},
                   "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "http://manifests"},
                                                   "SubjectUserName": "mallory"}}}}
    ev = windows.from_evtx(d)
    assert ev["SubjectUserName"] == "mallory" and "LogFileCleared" not in ev


XML = (f'<Event {NS}><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{{00000000-0000-0000-0000-'
       '000000000000}" /><EventID>4625</EventID><Level>0</Level><Task>12544</Task><Keywords>0x8010000000000000'
       '</Keywords><TimeCreated SystemTime="2026-11-22T10:00:00.5000000Z" /><EventRecordID>42</EventRecordID>'
       '<Channel>Security</Channel><Computer>dc1.example.test</Computer><Security /></System><EventData>'
       '<Data Name="TargetUserName">eve</Data><Data Name="SubjectUserName">-</Data><Data Name="IpAddress">'
       '203.0.113.5</Data><Data Name="IpPort">50123</Data><Data Name="LogonType">3</Data></EventData></Event>')


def test_event_xml_normalises_like_evtx():
    assert windows_xml.sniff(XML) and not windows_xml.sniff("<13>Nov 22 host app: hi")
    ev = windows_xml.parse(XML)
    assert ev["EventID"] == 4625 and ev["user.name"] == "eve" and ev["source.ip"] == "203.0.113.5"
    assert ev["source.port"] == 50123 and ev["SubjectUserName"] == "-" and ev["EventRecordID"] == 42
    assert ev["_logsource"] == {"product": "windows", "service": "security"} and ev["host.name"] == "dc1.example.test"
    assert ev["_ts"] == pytest.approx(1795341600.5)


def test_event_viewer_paste_and_several_events():
    paste = XML.replace(f"<Event {NS}><System>", f"- <Event {NS}>- <System>").replace("<EventData>", "- <EventData>")
    assert windows_xml.sniff(paste)
    ev = windows_xml.parse(paste)
    assert ev["user.name"] == "eve" and ev["SubjectUserName"] == "-"
    assert [e["EventRecordID"] for e in windows_xml.parse_many(XML + XML.replace(">42<", ">43<"))] == [42, 43]


@pytest.mark.parametrize("bad", ["<Event", "<Event><System></Event>", "<Other/>", "x" * 10,
                                 '<!DOCTYPE x [<!ENTITY a "aaaa">]><Event><System/></Event>'])
def test_bad_xml_gives_none(bad):
    assert windows_xml.parse(bad) is None


@pytest.mark.parametrize("data", [
    {"CommandLine": "x.exe", "ProcessId": 4, "Hashes": None, "Ratio": 0.5},  # the usual map: taken as it is
    {"CommandLine": "x.exe", "@Name": "n"},
    {"CommandLine": "x.exe", "#attributes": {"Name": "n"}},
    {"CommandLine": "x.exe", "Data": [{"#attributes": {"Name": "Extra"}, "#text": "v"}]},
    {"CommandLine": {"#text": "x.exe"}, "Items": ["a", "b"]},
    {"Wrapper": {"Inner": "v", "@xmlns": "ns"}},
])
def test_plain_event_data_fast_path_gives_what_the_general_path_gives(data, monkeypatch):
    import copy

    fast = windows.from_evtx(copy.deepcopy(doc("Microsoft-Windows-Sysmon/Operational", 1, data)))
    monkeypatch.setattr(windows, "_plain", lambda d: False)
    assert fast == windows.from_evtx(copy.deepcopy(doc("Microsoft-Windows-Sysmon/Operational", 1, data)))


def test_bad_evtx_documents_do_not_raise():
    assert windows.from_evtx({"Event": {"System": {"EventID": {"#text": "x"}}}})["EventID"] == "x"


def _real_evtx() -> Path | None:
    p = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real" / "evtx"
    return p if p.is_dir() else None


def test_evtx_file_magic_and_garbage():
    assert evtx_file.is_evtx(b"ElfFile\x00rest") and not evtx_file.is_evtx(b"{\"a\":1}")
    items = list(evtx_file.read_evtx(io.BytesIO(b"ElfFile\x00" + b"\x00" * 5000)))
    assert items and all(i[0] == "error" and i[2] for i in items)
    assert list(evtx_file.read_evtx(io.BytesIO(b"not an evtx file")))[0][0] == "error"


def test_evtx_file_reads_records_past_a_corrupt_chunk():
    folder = _real_evtx()
    if not folder:
        pytest.skip("../shared/data/real is absent")
    with gzip.open(folder / "omerbenamram_sysmon.evtx.gz") as fh:
        items = list(evtx_file.read_evtx(fh))
    ok = [i[1] for i in items if i[0] == "ok"]
    assert len(ok) > 300 and any(i[0] == "error" for i in items)
    ev = windows.from_evtx(ok[0])
    assert ev["_logsource"]["service"] == "sysmon" and ev["EventID"] and json.dumps(ok[0])
