"""Windows Event XML: one ``<Event xmlns=...>`` record a line, as Windows Event Forwarding, ``wevtutil qe /f:xml``
and ``Get-WinEvent | % ToXml()`` write it, and the Event Viewer copy-paste form (``- <Event``, ``- <System>``).

The XML is read with defusedxml (DTDs and entities refused: records arrive from the network) into the dict shape
the evtx crate writes, then handed to :func:`windows.from_evtx`, so XML, EVTX and EVTX-JSON events normalise alike.
No library maps Event XML to that shape (xmltodict would add a dependency and a different attribute spelling).
"""
from __future__ import annotations

import re
from typing import Any

from defusedxml import ElementTree as SafeET

from . import windows
from .common import Event

# Event Viewer's collapse marker: "- " before an opening tag (a "-" placeholder value is followed by "</")
_VIEWER_MARK = re.compile(r"(?:^|(?<=>))\s*-\s+(?=<[^/])")
_SNIFF = re.compile(r"\s*(?:-\s*)?<Event[\s>]")
MAX_XML = 1024 * 1024


def sniff(text: str) -> bool:
    return bool(_SNIFF.match(text[:64]))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _node(el: Any) -> Any:
    """An element as the evtx crate writes it: text, or ``{"#attributes": {...}, "#text": ...}``."""
    text = (el.text or "").strip() if len(el) == 0 else None
    if el.attrib:
        out: dict[str, Any] = {"#attributes": {_local(k): v for k, v in el.attrib.items()}}
        if text:
            out["#text"] = text
        return out
    return text if text is not None else {_local(c.tag): _node(c) for c in el}


def _event_dict(root: Any) -> dict[str, Any]:
    event: dict[str, Any] = {}
    for part in root:
        name = _local(part.tag)
        if name == "System":
            event["System"] = {_local(c.tag): _node(c) for c in part}
        elif name == "EventData":
            data: dict[str, Any] = {}
            items = []
            for c in part:
                if _local(c.tag) == "Data":
                    items.append(_node(c) if c.attrib else (c.text or ""))
                else:  # Binary, ComplexData …
                    data[_local(c.tag)] = _node(c)
            if items:
                data["Data"] = items
            event["EventData"] = data
        elif name == "UserData":
            event["UserData"] = {_local(c.tag): _node(c) for c in part}
        elif name == "RenderingInfo":
            event["RenderingInfo"] = {_local(c.tag): _node(c) for c in part if len(c) == 0}
    return {"Event": event}


def _from_root(root: Any) -> Event | None:
    if _local(root.tag) != "Event":
        return None
    doc = _event_dict(root)
    if "System" not in doc["Event"]:
        return None
    ev = windows.from_evtx(doc)
    rendered = doc["Event"].get("RenderingInfo") or {}
    if isinstance(rendered.get("Message"), str) and rendered["Message"]:
        ev.setdefault("message", rendered["Message"])
    return ev


def _root(text: str) -> Any:
    if len(text) > MAX_XML:
        return None
    text = _VIEWER_MARK.sub("", text.strip())
    if not text.startswith("<"):
        return None
    try:
        return SafeET.fromstring(text, forbid_dtd=True)
    except Exception:  # ParseError, defusedxml's DTD/entity refusals, a second root element
        return None


def parse(text: str) -> Event | None:
    try:
        root = _root(text)
        return _from_root(root) if root is not None else None
    except Exception:
        return None


def _roots(text: str) -> list:
    one = _root(text)
    if one is not None and _local(one.tag) == "Event":
        return [one]
    body = _VIEWER_MARK.sub("", text.strip())
    body = re.sub(r"^<\?xml[^>]*\?>", "", body).strip()
    if not body.startswith("<Events"):
        body = f"<Events>{body}</Events>"
    root = _root(body)
    return [] if root is None else list(root)


def parse_many(text: str) -> list[Event]:
    """Several events on one line (``wevtutil qe`` without ``/e``) or an ``<Events>`` wrapper: every record."""
    out = []
    for child in _roots(text):
        try:
            ev = _from_root(child)
        except Exception:
            ev = None
        if ev is not None:
            out.append(ev)
    return out


def documents(text: str) -> list[dict[str, Any]]:
    """The records of an Event XML text in the evtx crate's ``{"Event": …}`` shape (EVTX-JSON exports)."""
    return [d for d in (_event_dict(r) for r in _roots(text) if _local(r.tag) == "Event") if "System" in d["Event"]]
