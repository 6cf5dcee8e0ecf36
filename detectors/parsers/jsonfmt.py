"""JSON records: EVTX exports, Winlogbeat and ECS/Beats documents, CloudTrail records and files."""
from __future__ import annotations

from typing import Any

from . import windows
from .common import Event, iso_to_epoch


def flatten(doc: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None, depth: int = 0) -> dict[str, Any]:
    """Nested objects become dotted keys (``userIdentity.type``); lists stay as values."""
    out = {} if out is None else out
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and depth < 6:
            flatten(v, key + ".", out, depth + 1)
        else:
            out[key] = v
    return out


def kind(doc: dict[str, Any]) -> str:
    if "Event" in doc and isinstance(doc["Event"], dict) and "System" in doc["Event"]:
        return "evtx"
    if isinstance(doc.get("winlog"), dict):
        return "winlogbeat"
    if "eventSource" in doc and "eventName" in doc:
        return "cloudtrail"
    if "EventID" in doc and ("Channel" in doc or "SourceName" in doc):
        return "windows_flat"
    return "ecs"


def from_doc(doc: dict[str, Any]) -> tuple[str, list[Event]]:
    if isinstance(doc.get("Records"), list):  # a whole CloudTrail file
        return "cloudtrail", [cloudtrail(r) for r in doc["Records"] if isinstance(r, dict)]
    k = kind(doc)
    if k == "evtx":
        return k, [windows.from_evtx(doc)]
    if k == "winlogbeat":
        return k, [windows.from_winlogbeat(doc)]
    if k == "windows_flat":
        return "evtx", [windows.from_flat(doc)]
    if k == "cloudtrail":
        return k, [cloudtrail(doc)]
    return "ecs", [ecs(doc)]


def cloudtrail(rec: dict[str, Any]) -> Event:
    ev = flatten(rec)
    ident = rec.get("userIdentity") or {}
    user = ident.get("userName") or (ident.get("sessionContext") or {}).get("sessionIssuer", {}).get("userName") \
        or ident.get("arn") or ident.get("type")
    ev.update({"@timestamp": rec.get("eventTime"), "_ts": iso_to_epoch(rec.get("eventTime")),
               "event.action": rec.get("eventName"), "event.provider": rec.get("eventSource"),
               "source.ip": rec.get("sourceIPAddress"), "user.name": user, "cloud.account.id": rec.get("recipientAccountId"),
               "cloud.region": rec.get("awsRegion"), "user_agent.original": rec.get("userAgent"),
               "event.outcome": "failure" if rec.get("errorCode") or
               (rec.get("responseElements") or {}).get("ConsoleLogin") == "Failure" else "success"})
    ev["_logsource"] = {"product": "aws", "service": "cloudtrail"}
    return ev


def ecs(doc: dict[str, Any]) -> Event:
    ev = flatten(doc)
    ev["_ts"] = iso_to_epoch(doc.get("@timestamp") or doc.get("timestamp") or doc.get("time"))
    ds = ev.get("event.dataset") or ev.get("event.module")
    ls: dict[str, str] = {}
    if isinstance(ev.get("event.category"), str):
        ls["category"] = ev["event.category"]
    if ds:
        ls["service"] = str(ds).split(".")[0]
    if ev.get("os.type") or ev.get("host.os.type"):
        ls["product"] = str(ev.get("os.type") or ev.get("host.os.type")).lower()
    ev["_logsource"] = ls
    return ev
