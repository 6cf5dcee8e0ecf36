"""AWS load balancer access logs (ALB, classic ELB, NLB TLS listeners) and CloudFront standard logs.

ALB/ELB/NLB lines are space-separated with double-quoted fields (request, user agent ...); CloudFront is
tab-separated, with a ``#Fields:`` header in S3 objects (read it) or without one (the documented 33-field order).
A regex tokenizer is all they need. HTTP records carry ECS fields and the Sigma webserver names ``access.py``
uses (``c-ip``, ``cs-method``, ``cs-uri-stem``, ``cs-uri-query`` = path and query as SigmaHQ rules expect it,
``sc-status``, ``cs-user-agent``, ``cs-referer``); the logsource keeps ``product: aws`` beside
``category: webserver`` (SigmaHQ webserver rules name only the category, so routing is unaffected).
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from .common import Event, is_ip, iso_to_epoch

TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
ALB_TYPES = frozenset(("http", "https", "h2", "grpcs", "ws", "wss"))
ALB = ("type", "time", "elb", "client:port", "target:port", "request_processing_time", "target_processing_time",
       "response_processing_time", "elb_status_code", "target_status_code", "received_bytes", "sent_bytes",
       "request", "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn", "trace_id", "domain_name",
       "chosen_cert_arn", "matched_rule_priority", "request_creation_time", "actions_executed", "redirect_url",
       "error_reason", "target:port_list", "target_status_code_list", "classification", "classification_reason",
       "conn_trace_id")
ELB = ("time", "elb", "client:port", "backend:port", "request_processing_time", "backend_processing_time",
       "response_processing_time", "elb_status_code", "backend_status_code", "received_bytes", "sent_bytes",
       "request", "user_agent", "ssl_cipher", "ssl_protocol")
NLB = ("type", "version", "time", "elb", "listener", "client:port", "destination:port", "connection_time",
       "tls_handshake_time", "received_bytes", "sent_bytes", "incoming_tls_alert", "chosen_cert_arn",
       "chosen_cert_serial", "tls_cipher", "tls_protocol_version", "tls_named_group", "domain_name",
       "alpn_fe_protocol", "alpn_be_protocol", "alpn_client_preference_list", "tls_connection_creation_time")
CLOUDFRONT = ("date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
              "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
              "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
              "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
              "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
              "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
CF_LINE = re.compile(r"^\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\t")


def _int(v: str | None) -> int | None:
    return int(v) if v and v.lstrip("-").isdigit() and v != "-1" else None


def _hostport(v: str | None) -> tuple[str | None, int | None]:
    if not v or v == "-":
        return None, None
    host, sep, port = v.rpartition(":")
    if not sep or not port.isdigit():
        return v, None
    return host.strip("[]"), int(port)


def sniff(text: str) -> bool:
    head = text[:40]
    first, _, rest = head.partition(" ")
    if first in ALB_TYPES or first in ("tls", "tcp", "udp"):
        return bool(ISO.match(rest) or ISO.match(rest.partition(" ")[2]))
    return bool(ISO.match(head) and " " in head) or bool(CF_LINE.match(text))


def header(text: str, ctx: dict) -> bool:
    """CloudFront's ``#Version:`` / ``#Fields:`` lines (a field list with ``x-edge-*`` names is CloudFront's)."""
    if text.startswith("#Version:"):
        return True
    if text.startswith("#Fields:") and "x-edge-" in text:
        ctx["cloudfront_fields"] = text[len("#Fields:"):].split()
        return True
    return False


def parse(text: str, ctx: dict | None = None) -> Event | None:
    if "\t" in text and (CF_LINE.match(text) or (ctx or {}).get("cloudfront_fields")):
        return _cloudfront(text, (ctx or {}).get("cloudfront_fields"))
    tokens = [m.group(1) if m.group(1) is not None else m.group(2) for m in TOKEN.finditer(text)]
    if len(tokens) < 12:
        return None
    if tokens[0] in ("tls", "tcp", "udp") and len(tokens) >= 12 and ISO.match(tokens[2]):
        return _nlb(dict(zip(NLB, tokens)))
    if tokens[0] in ALB_TYPES and ISO.match(tokens[1]):
        return _http(dict(zip(ALB, tokens)), "alb", "target")
    if ISO.match(tokens[0]):
        return _http(dict(zip(ELB, tokens)), "elb", "backend")
    return None


def _web(ev: Event, method: str | None, url: str | None, status: int | None, ua: str | None,
         referer: str | None) -> None:
    """ECS url/http fields and the Sigma webserver names, from the request line's parts."""
    if method:
        ev["http.request.method"] = ev["cs-method"] = method
    if url:
        ev["url.original"] = url
        parts = urlsplit(url) if "://" in url else None
        if parts:
            ev["url.scheme"] = parts.scheme
            if parts.hostname:
                ev["url.domain"] = parts.hostname
            try:
                if parts.port:
                    ev["url.port"] = parts.port
            except ValueError:
                pass
            path, query = parts.path or "/", parts.query
        else:
            path, _, query = url.partition("?")
        ev["url.path"] = ev["cs-uri-stem"] = path
        ev["cs-uri-query"] = f"{path}?{query}" if query else path
        if query:
            ev["url.query"] = query
    if status is not None:
        ev["http.response.status_code"] = ev["sc-status"] = status
        ev["event.outcome"] = "failure" if status >= 400 else "success"
    if ua not in (None, "-"):
        ev["user_agent.original"] = ev["cs-user-agent"] = ua
    if referer not in (None, "-"):
        ev["http.request.referrer"] = ev["cs-referer"] = referer
    ev["event.category"] = "web"



def _http(rec: dict[str, str], service: str, target: str) -> Event | None:
    ev: Event = {k: v for k, v in rec.items() if v != "-"}
    ts = iso_to_epoch(rec.get("time"))
    if ts is None or not is_ip(_hostport(rec.get("client:port"))[0]) or "request" not in rec:
        return None  # an ISO-stamped line of some other log
    ev["_ts"] = ts
    ip, port = _hostport(rec.get("client:port"))
    if ip:
        ev["source.ip"] = ev["c-ip"] = ip
        if port is not None:
            ev["source.port"] = port
    ip, port = _hostport(rec.get(f"{target}:port"))
    if ip:
        ev["destination.ip"] = ip
        if port is not None:
            ev["destination.port"] = port
    method, url, version = (rec.get("request", "").split(" ") + [None, None, None])[:3]
    method = None if method in ("-", "") else method
    url = None if url in ("-", "") else url
    if version and version.startswith("HTTP/"):
        ev["http.version"] = version[5:]
    _web(ev, method, url, _int(rec.get("elb_status_code")), rec.get("user_agent"), None)
    if (n := _int(rec.get("received_bytes"))) is not None:
        ev["http.request.bytes"] = n
    if (n := _int(rec.get("sent_bytes"))) is not None:
        ev["http.response.bytes"] = n
    if (n := _int(rec.get(f"{target}_status_code"))) is not None:
        ev["http.response.target_status_code"] = n
    if rec.get("ssl_cipher", "-") != "-":
        ev["tls.cipher"] = rec["ssl_cipher"]
    if rec.get("ssl_protocol", "-") != "-":
        ev["tls.version"] = rec["ssl_protocol"]
    if rec.get("domain_name", "-") != "-":
        ev["tls.client.server_name"] = rec["domain_name"]
        ev.setdefault("url.domain", rec["domain_name"])
    if ev.get("url.domain"):
        ev["cs-host"] = ev["url.domain"]
    if rec.get("error_reason", "-") != "-":
        ev["error.message"] = rec["error_reason"]
    if rec.get("actions_executed", "-") != "-":
        ev["event.action"] = rec["actions_executed"]
    ev.update({"observer.vendor": "aws", "observer.product": service, "observer.name": rec.get("elb"),
               "cloud.provider": "aws"})
    ev["_logsource"] = {"category": "webserver", "product": "aws", "service": service}
    return ev


def _nlb(rec: dict[str, str]) -> Event | None:
    ts = iso_to_epoch(rec.get("time"))
    if ts is None or not is_ip(_hostport(rec.get("client:port"))[0]):
        return None
    ev: Event = {k: v for k, v in rec.items() if v != "-"}
    ev["_ts"] = ts
    for key, side in (("client:port", "source"), ("destination:port", "destination")):
        ip, port = _hostport(rec.get(key))
        if ip:
            ev[f"{side}.ip"] = ip
            if port is not None:
                ev[f"{side}.port"] = port
    if (n := _int(rec.get("received_bytes"))) is not None:
        ev["source.bytes"] = n
    if (n := _int(rec.get("sent_bytes"))) is not None:
        ev["destination.bytes"] = n
    for key, ecs in (("tls_cipher", "tls.cipher"), ("tls_protocol_version", "tls.version"),
                     ("domain_name", "tls.client.server_name")):
        if rec.get(key, "-") != "-":
            ev[ecs] = rec[key]
    ev.update({"network.transport": "tcp", "network.protocol": rec.get("type"), "event.category": "network",
               "observer.vendor": "aws", "observer.product": "nlb", "observer.name": rec.get("elb"),
               "cloud.provider": "aws"})
    ev["_logsource"] = {"product": "aws", "service": "nlb"}
    return ev


def _cloudfront(text: str, fields: list[str] | None) -> Event | None:
    values = text.split("\t")
    fields = fields or list(CLOUDFRONT)
    if len(values) < 12 or len(values) > len(fields):
        return None
    rec = {k: v for k, v in zip(fields, values)}
    ts = iso_to_epoch(f"{rec.get('date')}T{rec.get('time')}+00:00")
    if ts is None:
        return None
    ev: Event = {k: v for k, v in rec.items() if v != "-"}
    ev["_ts"] = ts
    if rec.get("c-ip", "-") != "-":
        ev["source.ip"] = rec["c-ip"]
    if (p := _int(rec.get("c-port"))) is not None:
        ev["source.port"] = p
    stem, query = rec.get("cs-uri-stem", "-"), rec.get("cs-uri-query", "-")
    host = rec.get("x-host-header") if rec.get("x-host-header", "-") != "-" else rec.get("cs(Host)")
    url = stem if query in ("-", "") else f"{stem}?{query}"
    scheme = rec.get("cs-protocol", "-")
    full = f"{scheme}://{host}{url}" if host and host != "-" and scheme in ("http", "https", "ws", "wss") else url
    ua, ref = rec.get("cs(User-Agent)"), rec.get("cs(Referer)")
    _web(ev, rec.get("cs-method"), full if stem != "-" else None, _int(rec.get("sc-status")),
         unquote(unquote(ua)) if ua and ua != "-" else None, ref)
    if ua and ua != "-":
        ev["cs(User-Agent)"] = ua  # as logged (URL-encoded); the decoded form is in user_agent.original
    if host and host != "-":
        ev["url.domain"] = ev["cs-host"] = host
    if (n := _int(rec.get("cs-bytes"))) is not None:
        ev["http.request.bytes"] = n
    if (n := _int(rec.get("sc-bytes"))) is not None:
        ev["http.response.bytes"] = n
    if rec.get("cs-protocol-version", "-").startswith("HTTP/"):
        ev["http.version"] = rec["cs-protocol-version"][5:]
    if rec.get("ssl-protocol", "-") != "-":
        ev["tls.version"] = rec["ssl-protocol"]
    if rec.get("x-edge-result-type", "-") != "-":
        ev["event.action"] = rec["x-edge-result-type"]
    ev.update({"observer.vendor": "aws", "observer.product": "cloudfront", "cloud.provider": "aws",
               "observer.name": rec.get("x-edge-location")})
    ev["_logsource"] = {"category": "webserver", "product": "aws", "service": "cloudfront"}
    return ev
