"""JSON records: EVTX exports, Winlogbeat and ECS/Beats documents, CloudTrail records and files."""
from __future__ import annotations

from typing import Any

import orjson

from . import cloudjson, syslog, windows
from .common import Event, flatten, iso_to_epoch
from .registry import DOC_KINDS


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
    k = kind(doc)  # the commonest kinds first: Windows events and CloudTrail records
    if k == "evtx":
        return k, [windows.from_evtx(doc)]
    if k == "winlogbeat":
        return k, [windows.from_winlogbeat(doc)]
    if k == "windows_flat":
        return "evtx", [windows.from_flat(doc)]
    if k == "cloudtrail":
        return k, [cloudtrail(doc)]
    if isinstance(doc.get("CloudTrailEvent"), str):  # LookupEvents output: the record is a JSON string inside
        try:
            inner = orjson.loads(doc["CloudTrailEvent"])
        except orjson.JSONDecodeError:
            inner = None
        if isinstance(inner, dict):
            ev = cloudtrail(inner)
            ev.update({f"lookup.{k}": v for k, v in doc.items() if k != "CloudTrailEvent" and not isinstance(v, dict)})
            return "cloudtrail", [ev]
    for name, match, parse in DOC_KINDS:
        if match(doc):
            return name, parse(doc)
    ck = cloudjson.kind(doc)
    if ck is not None:
        events = cloudjson.from_doc(doc, ck)
        if ck == "journald":
            for ev in events:
                _journal_message(ev)
        return ck, events
    return "ecs", [ecs(doc)]


def _journal_message(ev: Event) -> None:
    """journald's message gets the program parsing a syslog line of the same program gets."""
    parsed, ls = syslog.program_fields(ev.get("process.name"), ev.get("message") or "")
    del parsed["message"]
    ev.update(parsed)
    if ls.get("service") and "service" not in ev.get("_logsource", {}):
        ev["_logsource"] = {**ev.get("_logsource", {}), **ls}


def cloudtrail(rec: dict[str, Any]) -> Event:
    ev = flatten(rec)
    ident = rec.get("userIdentity") or {}
    user = ident.get("userName") or (ident.get("sessionContext") or {}).get("sessionIssuer", {}).get("userName") \
        or ident.get("arn") or ident.get("type")
    when = rec.get("eventTime") or rec.get("@timestamp") or rec.get("EventTime")
    ev.update({"@timestamp": when, "_ts": iso_to_epoch(when),
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
