"""Suricata EVE JSON (every event_type) and the Suricata/Snort ``fast.log`` alert line.

EVE is plain JSON, so no library is needed beyond the flattening below; fast.log is one regex. There is no
Suricata logsource in SigmaHQ: alerts get ``category: ids``; protocol records get ``service: <event_type>``
plus the generic category whose SigmaHQ rules fit them (``dns`` for dns; ``proxy`` for http, because the proxy
rules look at client requests - user agents, hosts, URIs - which a sensor sees on the wire just as a proxy does;
their field names ``c-uri``, ``c-useragent``, ``cs-host`` ... are filled so those rules can match).
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

from .common import Event, flatten, iso_to_epoch, proxy_request


OBSERVER = {"observer.vendor": "OISF", "observer.product": "suricata"}


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None


def _epoch(value: Any) -> float | None:
    """EVE's ``2022-07-12T06:22:33.415742-0400``: fraction and colon-less offset."""
    return iso_to_epoch(value) if isinstance(value, str) else None


def match(doc: dict) -> bool:
    return "event_type" in doc and ("src_ip" in doc or "timestamp" in doc)


def from_doc(doc: dict) -> list[Event]:
    if not isinstance(doc, dict) or not isinstance(doc.get("event_type"), str):
        return []
    et = doc["event_type"].lower()
    ev: Event = flatten(doc)
    ev.update(OBSERVER)
    ts = _epoch(doc.get("timestamp"))
    if ts is not None:
        ev["_ts"] = ts
    for key, ecs in (("src_ip", "source.ip"), ("dest_ip", "destination.ip")):
        if isinstance(doc.get(key), str) and doc[key]:
            ev[ecs] = doc[key]
    for key, ecs in (("src_port", "source.port"), ("dest_port", "destination.port")):
        if (p := _int(doc.get(key))) is not None:
            ev[ecs] = p
    if isinstance(doc.get("proto"), str):
        ev["network.transport"] = doc["proto"].lower()
    app = doc.get("app_proto")
    if isinstance(app, str) and app not in ("failed", "unknown"):
        ev["network.protocol"] = app.lower()
    if isinstance(doc.get("host"), str):
        ev["observer.hostname"] = doc["host"]
    if doc.get("community_id"):
        ev["network.community_id"] = doc["community_id"]
    flow = doc.get("flow") if isinstance(doc.get("flow"), dict) else {}
    if (b := _int(flow.get("bytes_toserver"))) is not None:
        ev["source.bytes"] = b
    if (b := _int(flow.get("bytes_toclient"))) is not None:
        ev["destination.bytes"] = b
    ev["event.category"] = "network"
    ls: dict[str, Any] = {"product": "suricata", "service": et}
    alert = doc.get("alert")
    if et == "alert" and isinstance(alert, dict):
        ev.update({"rule.name": alert.get("signature"), "rule.category": alert.get("category"),
                   "event.severity": alert.get("severity"), "event.kind": "alert",
                   "event.category": "intrusion_detection"})
        if alert.get("signature_id") is not None:
            ev["rule.id"] = str(alert["signature_id"])
        if alert.get("action"):
            ev["event.action"] = alert["action"]  # allowed / blocked
        ls = {"product": "suricata", "category": "ids"}
    if et == "drop":
        ev["event.action"] = "drop"
    _dns(doc, ev, ls)
    _http(doc, ev, ls)
    tls = doc.get("tls")
    if isinstance(tls, dict):
        if tls.get("sni"):
            ev["tls.server_name"] = tls["sni"]
            ev.setdefault("destination.domain", tls["sni"])
        if tls.get("version"):
            ev["tls.version"] = tls["version"]
        if isinstance(tls.get("ja3"), dict) and tls["ja3"].get("hash"):
            ev["tls.client.ja3"] = tls["ja3"]["hash"]
        if isinstance(tls.get("ja3s"), dict) and tls["ja3s"].get("hash"):
            ev["tls.server.ja3s"] = tls["ja3s"]["hash"]
        if tls.get("subject"):
            ev["tls.server.subject"] = tls["subject"]
        if tls.get("issuerdn"):
            ev["tls.server.issuer"] = tls["issuerdn"]
    fi = doc.get("fileinfo")
    if isinstance(fi, dict):
        if fi.get("filename"):
            ev["file.name"] = str(fi["filename"]).rsplit("/", 1)[-1]
            ev["file.path"] = fi["filename"]
        for h in ("md5", "sha1", "sha256"):
            if fi.get(h):
                ev[f"file.hash.{h}"] = fi[h]
        if (n := _int(fi.get("size"))) is not None:
            ev["file.size"] = n
        if et == "fileinfo":
            ev["event.category"] = "file"
    ssh = doc.get("ssh")
    if isinstance(ssh, dict):
        for side in ("client", "server"):
            s = ssh.get(side)
            if isinstance(s, dict) and s.get("software_version"):
                ev[f"ssh.{side}.software"] = s["software_version"]
    smtp, email = doc.get("smtp"), doc.get("email")
    if isinstance(smtp, dict) and smtp.get("mail_from"):
        ev["email.from.address"] = str(smtp["mail_from"]).strip("<>")
    if isinstance(email, dict) and email.get("subject"):
        ev["email.subject"] = email["subject"]
    if et == "anomaly" and isinstance(doc.get("anomaly"), dict):
        ev["event.action"] = doc["anomaly"].get("event")
    if et == "stats":
        ev["event.kind"] = "metric"
    ev["_logsource"] = ls
    return [ev]


def _dns(doc: dict, ev: Event, ls: dict) -> None:
    dns = doc.get("dns")
    if not isinstance(dns, dict):
        return
    names, types = [], []
    if dns.get("rrname"):
        names.append(dns["rrname"])
        types.append(dns.get("rrtype"))
    for key in ("query", "queries"):  # Suricata 7 alert metadata / Suricata 8 records
        for q in dns.get(key) or []:
            if isinstance(q, dict) and q.get("rrname"):
                names.append(q["rrname"])
                types.append(q.get("rrtype"))
    answers: list[Any] = []
    if dns.get("rdata"):
        answers.append(dns["rdata"])
    for a in dns.get("answers") or []:
        if isinstance(a, dict) and a.get("rdata") is not None:
            answers.append(a["rdata"])
    if isinstance(dns.get("grouped"), dict):
        for vals in dns["grouped"].values():
            answers += [v if not isinstance(v, dict) else v.get("rdata") for v in vals or []]
    if names:
        ev["dns.question.name"] = ev["query"] = names[0]  # `query`: SigmaHQ's dns category field
        if types[0]:
            ev["dns.question.type"] = ev["record_type"] = types[0]
    if answers:
        ev["dns.answers.data"] = ev["answer"] = [a for a in answers if a is not None]
    if dns.get("rcode"):
        ev["dns.response_code"] = dns["rcode"]
    if dns.get("type"):
        ev["dns.type"] = dns["type"]
    if doc.get("event_type") == "dns":
        ls["category"] = "dns"
        ev["event.category"] = "network"


def _http(doc: dict, ev: Event, ls: dict) -> None:
    http = doc.get("http")
    if not isinstance(http, dict):
        return
    url, host, method = http.get("url"), http.get("hostname"), http.get("http_method")
    ua, ref, status = http.get("http_user_agent"), http.get("http_refer"), _int(http.get("status"))
    proxy_request(ev, url if isinstance(url, str) else None, host)
    if method:
        ev["http.request.method"] = ev["cs-method"] = method
    if ua is not None:
        ev["user_agent.original"] = ev["c-useragent"] = ua
    if ref:
        ev["http.request.referrer"] = ev["cs-referrer"] = ref
    if status is not None:
        ev["http.response.status_code"] = ev["sc-status"] = status
    if http.get("protocol"):
        ev["http.version"] = str(http["protocol"]).replace("HTTP/", "")
    if (n := _int(http.get("length"))) is not None:
        ev["http.response.body.bytes"] = n
    if doc.get("event_type") == "http":
        ls["category"] = "proxy"
        ev["event.category"] = "web"


# --- fast.log -------------------------------------------------------------------------------------------------
FAST = re.compile(
    r"^(\d\d/\d\d(?:/\d{2,4})?-\d\d:\d\d:\d\d(?:\.\d+)?)\s+\[\*\*\]\s+\[(\d+):(\d+):(\d+)\]\s+(.*?)\s*\[\*\*\]"
    r"(?:\s*\[Classification:\s*([^\]]*)\])?(?:\s*\[Priority:\s*(\d+)\])?\s*(?:\{([^}]+)\})?\s*(\S+)\s+->\s+(\S+)")


# the same alert as a syslog body (Suricata `syslog` output, Snort `alert_syslog`): no date, no [**]
SYSLOG_ALERT = re.compile(
    r"^\[(\d+):(\d+):(\d+)\]\s+(.*?)\s*(?:\[Classification:\s*([^\]]*)\])?\s*(?:\[Priority:\s*(\d+)\])?:?\s*"
    r"(?:<[^>]*>\s*)?(?:\{([^}]+)\})?\s*(\S+)\s+->\s+(\S+)")


def sniff(text: str) -> bool:
    if text.startswith("["):
        return SYSLOG_ALERT.match(text) is not None
    return "[**]" in text[:40] and FAST.match(text) is not None


def _fast_time(stamp: str) -> float | None:
    date, _, clock = stamp.partition("-")
    parts = date.split("/")
    try:
        if len(parts) == 3 and len(parts[2]) == 4:  # Suricata: mm/dd/yyyy
            mo, d, y = int(parts[0]), int(parts[1]), int(parts[2])
        elif len(parts) == 3:  # Snort 3 -y: yy/mm/dd; Snort 2 -y wrote mm/dd/yy (recognisable when dd > 12)
            a, b, c = (int(p) for p in parts)
            y, mo, d = (2000 + c, a, b) if b > 12 and a <= 12 else (2000 + a, b, c)
        else:
            mo, d = int(parts[0]), int(parts[1])
            y = None
        hh, mm, ss = clock.split(":")
        sec, _, frac = ss.partition(".")
        micro = int((frac + "000000")[:6]) if frac else 0
        now = datetime.now(timezone.utc)
        dt = datetime(y or now.year, mo, d, int(hh), int(mm), int(sec), micro, tzinfo=timezone.utc)
        if y is None and dt.timestamp() > time.time() + 86400:  # no year: a December line read in January
            dt = dt.replace(year=now.year - 1)
        return dt.timestamp()
    except ValueError:
        return None


def _split_addr(value: str) -> tuple[str, int | None]:
    """``1.2.3.4:80``, ``2001:db8::1`` (no port) and ``2001:db8:0:0:0:0:0:1:80`` (8 groups + port)."""
    if value.count(":") == 1:
        ip, _, port = value.partition(":")
        return ip, int(port) if port.isdigit() else None
    if value.startswith("["):
        ip, _, port = value[1:].partition("]:")
        return ip.rstrip("]"), int(port) if port.isdigit() else None
    groups = value.split(":")
    if len(groups) == 9 and "" not in groups and groups[-1].isdigit():
        return ":".join(groups[:8]), int(groups[-1])
    return value, None


def parse(text: str) -> Event | None:
    text = text.strip()
    m = FAST.match(text)
    if m:
        stamp, gid, sid, rev, sig, cls, prio, proto, src, dst = m.groups()
    elif (m := SYSLOG_ALERT.match(text)) is not None:
        stamp, (gid, sid, rev, sig, cls, prio, proto, src, dst) = None, m.groups()
    else:
        return None
    if len(sig) >= 2 and sig[0] == sig[-1] == '"':
        sig = sig[1:-1]
    sip, sport = _split_addr(src)
    dip, dport = _split_addr(dst)
    ev: Event = {"rule.name": sig, "rule.id": sid, "rule.version": rev, "rule.gid": gid,
                 "rule.uuid": f"{gid}:{sid}:{rev}", "rule.category": cls, "event.kind": "alert",
                 "event.category": "intrusion_detection", "source.ip": sip, "destination.ip": dip,
                 "alert.signature": sig, "alert.signature_id": int(sid), "alert.gid": int(gid), "alert.rev": int(rev),
                 "alert.category": cls, "observer.type": "ids"}
    if prio:
        ev["event.severity"] = ev["alert.severity"] = int(prio)
    if proto:
        ev["network.transport"] = proto.lower()
        ev["proto"] = proto
    if sport is not None:
        ev["source.port"] = sport
    if dport is not None:
        ev["destination.port"] = dport
    if stamp:
        ts = _fast_time(stamp)
        if ts is None:
            return None  # an impossible date: not a fast.log line
        ev["_ts"] = ts
    # Suricata always writes the 4-digit year; Snort writes mm/dd or yy/mm/dd
    product = "suricata" if stamp is None or re.match(r"\d\d/\d\d/\d{4}-", stamp) else "snort"
    ev["observer.product"] = product
    ev["_logsource"] = {"product": product, "category": "ids"}
    return {k: v for k, v in ev.items() if v is not None}
