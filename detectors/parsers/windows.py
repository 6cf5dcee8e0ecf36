"""Windows events, as exported from EVTX (``Event.System``/``Event.EventData``) and as Winlogbeat documents.

The EVTX dict shape is the evtx crate's JSON (``records_json``); XML->JSON converters (xmltodict's ``@Name``,
``#attributes``/``#text`` pairs, ``Data`` lists with ``Name`` attributes) are read the same way, so EVTX files,
Event XML (``windows_xml``) and EVTX-JSON exports normalise alike. The channel table is the data of pySigma's
``windows_logsource_mapping`` (sigma/pipelines/common.py) plus the channels SigmaHQ rules name beyond it.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import repeat
from typing import Any

from .common import Event, iso_to_epoch

SYSMON = "Microsoft-Windows-Sysmon/Operational"
# pySigma-pipeline-sysmon's sysmon_generic_logsource_eventid_mapping, inverted
SYSMON_CATEGORY = {1: "process_creation", 2: "file_change", 3: "network_connection", 4: "sysmon_status",
                   5: "process_termination", 6: "driver_load", 7: "image_load", 8: "create_remote_thread",
                   9: "raw_access_thread", 10: "process_access", 11: "file_event", 12: "registry_add",
                   13: "registry_set", 14: "registry_rename", 15: "create_stream_hash", 16: "sysmon_status",
                   17: "pipe_created", 18: "pipe_created", 19: "wmi_event", 20: "wmi_event", 21: "wmi_event",
                   22: "dns_query", 23: "file_delete", 24: "clipboard_capture", 25: "process_tampering",
                   26: "file_delete_detected", 27: "file_block_executable", 28: "file_block_shredding",
                   29: "file_executable_detected", 255: "sysmon_error"}
# Sigma service -> Windows channel(s)
SERVICE_CHANNELS: dict[str, tuple[str, ...]] = {
    "security": ("Security",), "application": ("Application",), "system": ("System",), "sysmon": (SYSMON,),
    "powershell": ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"),
    "powershell-classic": ("Windows PowerShell",),
    "taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational",),
    "wmi": ("Microsoft-Windows-WMI-Activity/Operational",),
    "dns-server": ("DNS Server",), "dns-server-audit": ("Microsoft-Windows-DNS-Server/Audit",),
    "dns-server-analytic": ("Microsoft-Windows-DNS-Server/Analytical",),
    "driver-framework": ("Microsoft-Windows-DriverFrameworks-UserMode/Operational",),
    "dns-client": ("Microsoft-Windows-DNS-Client/Operational",),
    "ntlm": ("Microsoft-Windows-NTLM/Operational",), "dhcp": ("Microsoft-Windows-DHCP-Server/Operational",),
    "msexchange-management": ("MSExchange Management",),
    "applocker": ("Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
                  "Microsoft-Windows-AppLocker/Packaged app-Deployment",
                  "Microsoft-Windows-AppLocker/Packaged app-Execution"),
    "printservice-admin": ("Microsoft-Windows-PrintService/Admin",),
    "printservice-operational": ("Microsoft-Windows-PrintService/Operational",),
    "codeintegrity-operational": ("Microsoft-Windows-CodeIntegrity/Operational",),
    "smbclient-security": ("Microsoft-Windows-SmbClient/Security",),
    "smbclient-connectivity": ("Microsoft-Windows-SmbClient/Connectivity",),
    "smbserver-connectivity": ("Microsoft-Windows-SMBServer/Connectivity",),
    "firewall-as": ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",),
    "bits-client": ("Microsoft-Windows-Bits-Client/Operational",),
    "windefend": ("Microsoft-Windows-Windows Defender/Operational",),
    "terminalservices-localsessionmanager": ("Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",),
    "microsoft-servicebus-client": ("Microsoft-ServiceBus-Client",),
    "ldap": ("Microsoft-Windows-LDAP-Client/Debug",),  # pySigma names it ldap_debug; SigmaHQ's rule says ldap
    "security-mitigations": ("Microsoft-Windows-Security-Mitigations/Kernel Mode",
                             "Microsoft-Windows-Security-Mitigations/User Mode"),
    "diagnosis-scripted": ("Microsoft-Windows-Diagnosis-Scripted/Operational",),
    "shell-core": ("Microsoft-Windows-Shell-Core/Operational",), "openssh": ("OpenSSH/Operational",),
    "bitlocker": ("Microsoft-Windows-BitLocker/BitLocker Management",),
    "appxdeployment-server": ("Microsoft-Windows-AppXDeploymentServer/Operational",),
    "appxpackaging-om": ("Microsoft-Windows-AppxPackaging/Operational",),
    "appmodel-runtime": ("Microsoft-Windows-AppModel-Runtime/Admin",),
    "capi2": ("Microsoft-Windows-CAPI2/Operational",),
    "certificateservicesclient-lifecycle-system":
        ("Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",),
    "iis-configuration": ("Microsoft-IIS-Configuration/Operational",),
    "lsa-server": ("Microsoft-Windows-LSA/Operational",),
}
CHANNEL_SERVICE = {ch.lower(): svc for svc, chans in SERVICE_CHANNELS.items() for ch in chans}
CHANNEL_CATEGORY = {"microsoft-iis-logging/logs": "webserver"}  # IIS ETW logging (6200) carries W3C field names
# (service, EventID) -> category: pySigma-pipeline-windows windows_generic_category_channel_mapping + audit pipeline
EVENT_CATEGORY = {("powershell", 4103): "ps_module", ("powershell", 4104): "ps_script",
                  ("powershell-classic", 400): "ps_classic_start", ("powershell-classic", 600): "ps_classic_provider_start",
                  ("powershell-classic", 800): "ps_classic_script", ("security", 4688): "process_creation"}
REG_4657 = {"%%1904": "registry_add", "%%1905": "registry_set", "%%1906": "registry_delete",
            "New registry value created": "registry_add", "Existing registry value modified": "registry_set",
            "Registry value deleted": "registry_delete"}
# Security-audit spellings of Sysmon fields (pySigma windows_audit_pipeline), added so category rules apply
AUDIT_ALIASES = {4688: {"Image": "NewProcessName", "ParentImage": "ParentProcessName", "LogonId": "SubjectLogonId",
                        "User": "SubjectUserName"},
                 4657: {"TargetObject": "ObjectName", "Details": "NewValue", "Image": "ProcessName"}}
ECS = {"Image": "process.executable", "CommandLine": "process.command_line", "ParentImage": "process.parent.executable",
       "ParentCommandLine": "process.parent.command_line", "ProcessId": "process.pid", "User": "user.name",
       "TargetUserName": "user.name", "SourceIp": "source.ip", "SourcePort": "source.port",
       "DestinationIp": "destination.ip", "DestinationPort": "destination.port", "IpAddress": "source.ip",
       "IpPort": "source.port", "QueryName": "dns.question.name", "TargetFilename": "file.path", "Hashes": "file.hash"}
_ATTRS = ("#attributes",)
_SPECIAL = frozenset({"#attributes", "#text", "Data"})
_ECS_ORDER = {src: i for i, src in enumerate(ECS)}


def logsource(channel: str | None, event_id: int | None, event_type: str | None = None) -> dict[str, Any]:
    """Sigma logsource of a Windows event; registry events belong to two categories (specific + registry_event)."""
    try:
        return dict(_logsource(channel, event_id, event_type))  # a copy: callers may add to it
    except TypeError:  # an unhashable value from a malformed document
        return _logsource_uncached(str(channel), None, None)


@lru_cache(maxsize=4096)
def _logsource(channel: Any, event_id: Any, event_type: Any) -> dict[str, Any]:
    """Cached per (channel, id, type): every event of a kind has the same logsource (never mutated here)."""
    return _logsource_uncached(channel, event_id, event_type)


def _logsource_uncached(channel: str | None, event_id: int | None, event_type: str | None = None) -> dict[str, Any]:
    ls: dict[str, Any] = {"product": "windows"}
    low = str(channel or "").lower()
    service = CHANNEL_SERVICE.get(low)
    if service:
        ls["service"] = service
    if service == "sysmon" and event_id in SYSMON_CATEGORY:
        ls["category"] = SYSMON_CATEGORY[event_id]
        if event_id in (12, 13, 14):
            specific = ls["category"]
            if event_id == 12 and str(event_type or "").startswith("Delete"):
                specific = "registry_delete"
            ls["category"] = [specific, "registry_event"]
    elif (service, event_id) in EVENT_CATEGORY:
        ls["category"] = EVENT_CATEGORY[(service, event_id)]
    elif service == "security" and event_id == 4657 and event_type in REG_4657:
        ls["category"] = [REG_4657[event_type], "registry_event"]
    elif low in CHANNEL_CATEGORY:
        ls["category"] = CHANNEL_CATEGORY[low]
    return ls


def _text(node: Any) -> Any:
    """The value of an element that may carry attributes: ``{"#attributes": {...}, "#text": v}`` -> v."""
    if isinstance(node, dict):
        if "#text" in node:
            return node["#text"]
        if all(k in _ATTRS or k.startswith("@") for k in node):  # attributes only: an empty element
            return None
    return node


def _attr(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        attrs = node.get("#attributes")
        if isinstance(attrs, dict) and name in attrs:
            return attrs[name]
        return node.get("@" + name, node.get(name))
    return None


def _int(v: Any) -> Any:
    v = _text(v)
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return v


def _data_items(value: Any, ev: Event, unnamed: list) -> None:
    """``Data`` children: named ones (``Name`` attribute) become fields, unnamed ones are kept in order."""
    for item in value if isinstance(value, list) else [value]:
        name = _attr(item, "Name") if isinstance(item, dict) else None
        if name:
            val = _text(item)
            if isinstance(val, dict):  # {"Name": n, "Value": v} exporters, or a bare {"Name": n}
                val = val.get("Value", val.get("value"))
            ev[str(name)] = "" if val is None else val
        else:
            val = _text(item)
            if isinstance(val, list):
                unnamed.extend(val)
            elif val is not None:
                unnamed.append(val)


def event_data(data: Any, ev: Event) -> None:
    """Flatten EventData / UserData into ``ev``: evtx-crate maps, Data-with-Name lists, UserData wrappers."""
    if isinstance(data, list):
        data = {"Data": data}
    if not isinstance(data, dict):
        if data not in (None, ""):
            ev["Data"] = data
        return
    unnamed: list = []
    for k, v in data.items():
        if (v.__class__ is str or v.__class__ is int) and k not in _SPECIAL and k[:1] != "@":
            ev[k] = v  # the evtx crate's usual name -> value map: nothing to unwrap
            continue
        if k in _ATTRS or k.startswith("@"):
            continue
        if k == "Data":
            _data_items(v, ev, unnamed)
        elif k == "#text":
            unnamed.extend(v if isinstance(v, list) else [v])
        else:
            val = _text(v)
            if isinstance(val, dict):  # UserData wraps its fields in one element (LogFileCleared, EventXML …)
                for kk, vv in val.items():
                    if kk not in _ATTRS and not kk.startswith("@"):
                        inner = _text(vv)
                        if not isinstance(inner, dict):
                            ev[kk] = inner
            else:
                ev[k] = val
    if unnamed:
        ev["Data"] = unnamed if len(unnamed) > 1 else unnamed[0]
        _classic_ps(ev, unnamed)


def _classic_ps(ev: Event, items: list) -> None:
    """Classic PowerShell 400/600/800 put ``Key=Value`` lines in an unnamed Data string: expose them too."""
    for item in items:
        if isinstance(item, str) and ("HostApplication=" in item or "ProviderName=" in item):
            for line in item.splitlines():
                key, sep, val = line.strip().partition("=")
                if sep and key.isalnum() and key not in ev:
                    ev[key] = val


def from_evtx(doc: dict[str, Any]) -> Event:
    root = doc["Event"]
    system = root.get("System") or {}
    data = root.get("EventData")
    if data is None:
        data = root.get("UserData")
    if data.__class__ is dict and _plain(data):
        ev: Event = data  # the evtx crate's usual name -> value map: the decoded document's own dict is ours
    else:
        ev = {}
        event_data(data, ev)
    eid = system.get("EventID")
    event_id = eid if eid.__class__ is int else _int(eid)
    channel = _scalar(system.get("Channel"))
    ev.update({"EventID": event_id, "Channel": channel, "Computer": _scalar(system.get("Computer")),
               "Provider_Name": _attr(system.get("Provider"), "Name"), "Level": _int(system.get("Level")),
               "EventRecordID": _int(system.get("EventRecordID"))})
    for key in ("Task", "Opcode", "Keywords", "Version"):
        v = system.get(key)
        if v is not None and key not in ev:
            ev[key] = _scalar(v)
    if eid.__class__ is dict:
        qualifiers = _attr(eid, "Qualifiers")
        if qualifiers is not None:
            ev["Qualifiers"] = qualifiers
    created = _attr(system.get("TimeCreated"), "SystemTime")
    ev["_ts"] = iso_to_epoch(created)
    ev["host.name"] = ev["Computer"]
    ev["event.code"] = event_id
    return _finish(ev, channel, event_id)


_NESTED = frozenset({dict, list})
_AT = repeat("@")


def _plain(data: dict) -> bool:
    """Whether EventData is the evtx crate's usual map (names to plain values: nothing to unwrap). Checked with
    ``map`` and ``any``, which iterate in C: the per-name loop of ``event_data`` cost 2 µs an event."""
    return (_SPECIAL.isdisjoint(data) and not any(map(_NESTED.__contains__, map(type, data.values())))
            and not any(map(str.startswith, data, _AT)))


def _scalar(v: Any) -> Any:
    return v if v.__class__ is str or v.__class__ is int or v is None else _text(v)


def from_winlogbeat(doc: dict[str, Any]) -> Event:
    wl = doc.get("winlog") or {}
    ev: Event = {}
    for k, v in (wl.get("event_data") or {}).items():
        ev[k] = v
    for k, v in (wl.get("user_data") or {}).items():
        ev.setdefault(k, v)
    event_id = _int(wl.get("event_id"))
    channel = wl.get("channel")
    ev.update({"EventID": event_id, "Channel": channel, "Computer": wl.get("computer_name"),
               "Provider_Name": wl.get("provider_name")})
    ev["@timestamp"] = doc.get("@timestamp")
    ev["host.name"] = wl.get("computer_name") or (doc.get("host") or {}).get("name")
    ev["event.code"] = event_id
    return _finish(ev, channel, event_id)


def from_flat(doc: dict[str, Any]) -> Event:
    """OTRF/Mordor style: a flat JSON of a Windows event (``EventID``, ``Channel``, ``Hostname`` …)."""
    ev: Event = dict(doc)
    ev["EventID"] = _int(doc.get("EventID"))
    channel = doc.get("Channel")
    ev["host.name"] = doc.get("Hostname") or doc.get("Computer")
    ev["Computer"] = ev["host.name"]
    ev["_ts"] = iso_to_epoch(doc.get("@timestamp") or doc.get("TimeCreated") or doc.get("EventTime"))
    ev["event.code"] = ev["EventID"]
    return _finish(ev, channel, ev["EventID"] if isinstance(ev["EventID"], int) else None)


def _finish(ev: Event, channel: Any, event_id: Any) -> Event:
    ls = logsource(channel, event_id if isinstance(event_id, int) else None,
                   ev.get("OperationType") if event_id == 4657 else ev.get("EventType"))
    if ls.get("service") == "security" and event_id in AUDIT_ALIASES:
        for alias, field in AUDIT_ALIASES[event_id].items():
            if ev.get(field) not in (None, "") and alias not in ev:
                ev[alias] = ev[field]
        if event_id == 4688:  # 4688's ProcessId is the creator's
            ev.setdefault("process.pid", ev.get("NewProcessId"))
            ev.setdefault("process.parent.pid", ev.get("ProcessId"))
    if ls.get("category") == "webserver":
        _iis(ev)
    _ecs(ev)
    ev["_logsource"] = ls
    return ev


def _iis(ev: Event) -> None:
    """IIS ETW logging (6200) spells two W3C fields its own way; webserver rules use the W3C names."""
    for w3c, iis in (("cs-user-agent", "csUser-Agent"), ("cs-referer", "csReferer"), ("cs-cookie", "csCookie")):
        if iis in ev and w3c not in ev:
            ev[w3c] = ev[iis]
    for dst, src in (("source.ip", "c-ip"), ("url.path", "cs-uri-stem"), ("url.query", "cs-uri-query"),
                     ("http.request.method", "cs-method"), ("user_agent.original", "cs-user-agent"),
                     ("user.name", "cs-username"), ("destination.ip", "s-ip")):
        if ev.get(src) not in (None, "", "-"):
            ev[dst] = ev[src]
    for dst, src in (("http.response.status_code", "sc-status"), ("destination.port", "s-port")):
        try:
            ev[dst] = int(ev[src])
        except (KeyError, TypeError, ValueError):
            pass
    ev["event.category"] = "web"


def _ecs(ev: Event) -> None:
    present = ev.keys() & _ECS_ORDER.keys()  # a few of the 16 names: no loop over all of them
    for src in sorted(present, key=_ECS_ORDER.__getitem__) if len(present) > 1 else present:
        v, dst = ev[src], ECS[src]
        if v not in (None, "", "-") and dst not in ev:
            ev[dst] = v
    for key in ("source.port", "destination.port"):
        if isinstance(ev.get(key), str):
            try:
                ev[key] = int(ev[key])
            except ValueError:
                del ev[key]
    exe = ev.get("process.executable")
    if isinstance(exe, str):
        ev["process.name"] = exe.replace("\\", "/").rsplit("/", 1)[-1]
    outcome = LOGON_OUTCOME.get(ev.get("EventID"))  # type: ignore[arg-type]
    if outcome and str(ev.get("Channel") or "").lower() == "security":
        if ev.get("EventID") == 4776 and str(ev.get("Status", "0x0")).lower() in ("0x0", "0"):
            outcome = "success"
        ev.setdefault("event.category", "authentication")
        ev.setdefault("event.outcome", outcome)
        ev.setdefault("event.action", f"windows_logon_{outcome}")


# Security-log logons: 4624 success; 4625 failed logon, 4771 Kerberos pre-auth failed, 4776 NTLM validation
# (failed unless Status is 0x0), 4648 explicit credentials (an attempt, judged by what follows).
LOGON_OUTCOME = {4624: "success", 4625: "failure", 4771: "failure", 4776: "failure"}
