"""Windows events, as exported from EVTX (``Event.System``/``Event.EventData``) and as Winlogbeat documents."""
from __future__ import annotations

from typing import Any

from .common import Event, iso_to_epoch

SYSMON = "Microsoft-Windows-Sysmon/Operational"
SYSMON_CATEGORY = {1: "process_creation", 2: "file_change", 3: "network_connection", 5: "process_termination",
                   6: "driver_load", 7: "image_load", 8: "create_remote_thread", 9: "raw_access_thread",
                   10: "process_access", 11: "file_event", 12: "registry_add", 13: "registry_set",
                   14: "registry_rename", 15: "create_stream_hash", 17: "pipe_created", 18: "pipe_created",
                   19: "wmi_event", 20: "wmi_event", 21: "wmi_event", 22: "dns_query", 23: "file_delete",
                   24: "clipboard_capture", 25: "process_tampering", 26: "file_delete_detected"}
CHANNEL_SERVICE = {"Security": "security", "System": "system", "Application": "application",
                   "Microsoft-Windows-PowerShell/Operational": "powershell", "Windows PowerShell": "powershell-classic",
                   "Microsoft-Windows-TaskScheduler/Operational": "taskscheduler",
                   "Microsoft-Windows-Windows Defender/Operational": "windefend",
                   "Microsoft-Windows-WMI-Activity/Operational": "wmi",
                   "Microsoft-Windows-Bits-Client/Operational": "bits-client",
                   "Microsoft-Windows-DNS-Client/Operational": "dns-client",
                   "Microsoft-Windows-CodeIntegrity/Operational": "codeintegrity-operational",
                   "Microsoft-Windows-NTLM/Operational": "ntlm", "Microsoft-Windows-AppLocker/EXE and DLL": "applocker",
                   "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational": "terminalservices-localsessionmanager",
                   "Microsoft-Windows-Sysmon/Operational": "sysmon"}
PS_CATEGORY = {4104: "ps_script", 4103: "ps_module"}
ECS = {"Image": "process.executable", "CommandLine": "process.command_line", "ParentImage": "process.parent.executable",
       "ParentCommandLine": "process.parent.command_line", "ProcessId": "process.pid", "User": "user.name",
       "TargetUserName": "user.name", "SourceIp": "source.ip", "SourcePort": "source.port",
       "DestinationIp": "destination.ip", "DestinationPort": "destination.port", "IpAddress": "source.ip",
       "QueryName": "dns.question.name", "TargetFilename": "file.path", "Hashes": "file.hash"}


def logsource(channel: str | None, event_id: int | None, event_type: str | None = None) -> dict[str, Any]:
    """Sigma logsource of a Windows event; registry events belong to two categories (specific + registry_event)."""
    ls: dict[str, Any] = {"product": "windows"}
    if channel == SYSMON and event_id in SYSMON_CATEGORY:
        ls["category"] = SYSMON_CATEGORY[event_id]
        ls["service"] = "sysmon"
        if event_id in (12, 13, 14):
            specific = ls["category"]
            if event_id == 12 and str(event_type or "").startswith("Delete"):
                specific = "registry_delete"
            ls["category"] = [specific, "registry_event"]
    elif channel in CHANNEL_SERVICE:
        ls["service"] = CHANNEL_SERVICE[channel]
        if ls["service"] == "powershell" and event_id in PS_CATEGORY:
            ls["category"] = PS_CATEGORY[event_id]
    if channel == "Security" and event_id == 4688:
        ls["category"] = "process_creation"
    return ls


def _attr(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        attrs = node.get("#attributes")
        if isinstance(attrs, dict) and name in attrs:
            return attrs[name]
        return node.get(name)
    return node


def from_evtx(doc: dict[str, Any]) -> Event:
    root = doc["Event"]
    system = root.get("System") or {}
    ev: Event = {}
    data = root.get("EventData") or root.get("UserData") or {}
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "#attributes":
                continue
            if isinstance(v, dict) and "#attributes" not in v:  # UserData wraps its fields one level down
                ev.update({kk: vv for kk, vv in v.items() if not isinstance(vv, dict)})
            else:
                ev[k] = v
    event_id = _attr(system.get("EventID"), "EventID") if isinstance(system.get("EventID"), dict) else system.get("EventID")
    try:
        event_id = int(event_id) if event_id is not None else None
    except (TypeError, ValueError):
        pass
    channel = system.get("Channel")
    ev.update({"EventID": event_id, "Channel": channel, "Computer": system.get("Computer"),
               "Provider_Name": _attr(system.get("Provider"), "Name"), "Level": system.get("Level"),
               "EventRecordID": system.get("EventRecordID")})
    created = _attr(system.get("TimeCreated"), "SystemTime")
    ev["_ts"] = iso_to_epoch(created)
    ev["host.name"] = system.get("Computer")
    ev["event.code"] = event_id
    _ecs(ev)
    ev["_logsource"] = logsource(channel, event_id, ev.get("EventType"))
    return ev


def from_winlogbeat(doc: dict[str, Any]) -> Event:
    wl = doc.get("winlog") or {}
    ev: Event = {}
    for k, v in (wl.get("event_data") or {}).items():
        ev[k] = v
    event_id = wl.get("event_id")
    try:
        event_id = int(event_id)
    except (TypeError, ValueError):
        pass
    channel = wl.get("channel")
    ev.update({"EventID": event_id, "Channel": channel, "Computer": wl.get("computer_name"),
               "Provider_Name": wl.get("provider_name")})
    ev["@timestamp"] = doc.get("@timestamp")
    ev["host.name"] = wl.get("computer_name") or (doc.get("host") or {}).get("name")
    ev["event.code"] = event_id
    _ecs(ev)
    ev["_logsource"] = logsource(channel, event_id, ev.get("EventType"))
    return ev


def from_flat(doc: dict[str, Any]) -> Event:
    """OTRF/Mordor style: a flat JSON of a Windows event (``EventID``, ``Channel``, ``Hostname`` …)."""
    ev: Event = dict(doc)
    try:
        ev["EventID"] = int(doc.get("EventID"))
    except (TypeError, ValueError):
        pass
    channel = doc.get("Channel")
    ev["host.name"] = doc.get("Hostname") or doc.get("Computer")
    ev["Computer"] = ev["host.name"]
    ev["_ts"] = iso_to_epoch(doc.get("@timestamp") or doc.get("TimeCreated") or doc.get("EventTime"))
    ev["event.code"] = ev["EventID"]
    _ecs(ev)
    ev["_logsource"] = logsource(channel, ev["EventID"] if isinstance(ev["EventID"], int) else None, ev.get("EventType"))
    return ev


def _ecs(ev: Event) -> None:
    for src, dst in ECS.items():
        v = ev.get(src)
        if v not in (None, "", "-") and dst not in ev:
            ev[dst] = v
    exe = ev.get("process.executable")
    if isinstance(exe, str):
        ev["process.name"] = exe.replace("\\", "/").rsplit("/", 1)[-1]
