"""Zeek (Bro) logs: the ASCII/TSV writer (header-driven) and the JSON writers (``_path`` lines from
json-streaming-logs, plain ``LogAscii::use_json`` lines, and the Kafka plugin's ``{"dns": {...}}`` wrapping).

The TSV header names and types every column, so a few lines of code beat a dependency (zat, parsezeeklogs need
pandas or read whole files). Originals keep Zeek's names (``id.orig_h``, ``query``, ``qtype_name``) because the
SigmaHQ zeek rules use them; ECS fields are added beside them. Values are kept as Zeek writes them (``\\xHH``
escapes stay literal, as in Zeek's JSON output and the SigmaHQ rules); only the TSV ``\\\\`` becomes ``\\``.
"""
from __future__ import annotations

import re
from typing import Any

from .common import Event, iso_to_epoch, proxy_request

DIRECTIVES = ("separator", "set_separator", "empty_field", "unset_field", "path", "open", "close", "fields", "types")
NUMERIC_INT = ("count", "int", "port")
NUMERIC_FLOAT = ("time", "interval", "double")
CATEGORY = {"conn": "network", "dns": "network", "http": "web", "ssl": "network", "x509": "network",
            "files": "file", "smb_files": "file", "ftp": "network", "ssh": "authentication",
            "kerberos": "authentication", "ntlm": "authentication", "rdp": "network", "smtp": "email",
            "notice": "intrusion_detection", "weird": "network", "dpd": "network", "dce_rpc": "network",
            "smb_mapping": "network", "syslog": "network", "snmp": "network", "modbus": "network"}
# path guessed from a column only that log has, for JSON lines written without `_path`
PATH_HINTS = (("qtype_name", "dns"), ("query", "dns"), ("status_code", "http"), ("method", "http"),
              ("conn_state", "conn"), ("server_name", "ssl"), ("certificate.serial", "x509"),
              ("request_type", "kerberos"), ("mailfrom", "smtp"), ("auth_success", "ssh"), ("cookie", "rdp"),
              ("named_pipe", "dce_rpc"), ("note", "notice"), ("share_type", "smb_mapping"), ("reply_code", "ftp"),
              ("domainname", "ntlm"), ("fuid", "files"))
BACKSLASH = re.compile(r"\\\\")


def _unhex(value: str) -> str:
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)


def header(text: str, ctx: dict) -> bool:
    if not text.startswith("#"):
        return False
    z = ctx.get("zeek") or {"sep": "\t", "set_sep": ",", "empty": "(empty)", "unset": "-"}
    if text.startswith("#separator"):
        z["sep"] = _unhex(text[len("#separator"):].strip()) or "\t"
        ctx["zeek"] = z
        return True
    key, _, value = text[1:].partition(z["sep"])
    if key not in DIRECTIVES:
        return False
    ctx["zeek"] = z
    if key in ("fields", "types"):
        z[key] = value.split(z["sep"])
        if key == "fields":
            z.pop("types", None)
    elif key == "set_separator":
        z["set_sep"] = value
    elif key == "empty_field":
        z["empty"] = value
    elif key == "unset_field":
        z["unset"] = value
    else:
        z[key] = value
    return True


def _convert(raw: str, typ: str, z: dict) -> Any:
    if "\\\\" in raw:
        raw = BACKSLASH.sub(lambda m: "\\", raw)
    if typ.startswith(("set[", "vector[")):
        if raw == z["empty"]:
            return []
        inner = typ[typ.index("[") + 1:-1]
        return [_convert(v, inner, z) if v != z["unset"] else None for v in raw.split(z["set_sep"])]
    if raw == z["empty"] and typ == "string":
        return ""
    try:
        if typ in NUMERIC_INT:
            return int(raw)
        if typ in NUMERIC_FLOAT:
            return float(raw)
    except ValueError:
        return raw
    if typ == "bool":
        return raw == "T" if raw in ("T", "F") else raw
    return raw


def parse(text: str, ctx: dict) -> Event | None:
    z = (ctx or {}).get("zeek")
    if not z or not z.get("fields") or text.startswith("#"):
        return None
    fields, types = z["fields"], z.get("types") or ["string"] * len(z["fields"])
    values = text.split(z["sep"])
    if len(values) > len(fields) or len(values) < max(2, len(fields) // 2):
        return None
    rec: dict[str, Any] = {}
    for name, typ, raw in zip(fields, types, values):
        if raw == z["unset"]:
            continue
        rec[name] = _convert(raw, typ, z)
    if "ts" in rec and not isinstance(rec["ts"], float):
        return None  # a Zeek `time` column always holds epoch seconds: this line is not the header's log
    return _ecs(rec, z.get("path") or _guess_path(rec))


def match(doc: dict) -> bool:
    if "_path" in doc and "ts" in doc:
        return True
    if len(doc) == 1:
        inner = next(iter(doc.values()))
        return isinstance(inner, dict) and "ts" in inner and ("uid" in inner or "id.orig_h" in inner)
    return "ts" in doc and "uid" in doc and ("id.orig_h" in doc or isinstance(doc.get("id"), dict))


def _flatten(doc: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    for k, v in doc.items():
        if isinstance(v, dict):
            _flatten(v, f"{prefix}{k}.", out)
        else:
            out[f"{prefix}{k}"] = v
    return out


def from_doc(doc: dict) -> list[Event]:
    if not isinstance(doc, dict):
        return []
    path = doc.get("_path")
    if path is None and len(doc) == 1 and isinstance(next(iter(doc.values())), dict):
        path, doc = next(iter(doc.items()))
    rec = _flatten(doc)
    return [_ecs(rec, str(path) if path else _guess_path(rec))]


def _guess_path(rec: dict) -> str | None:
    return next((p for key, p in PATH_HINTS if key in rec), None)


def _set(ev: Event, key: str, value: Any) -> None:
    if value not in (None, "", "-", []):
        ev[key] = value


def _ecs(rec: dict[str, Any], path: str | None) -> Event:
    ev: Event = dict(rec)
    ts = rec.get("ts")
    epoch = float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else iso_to_epoch(ts)
    if epoch is not None:
        ev["_ts"] = epoch
    ev["observer.product"] = "zeek"
    ev["observer.type"] = "ids"
    _set(ev, "source.ip", rec.get("id.orig_h"))
    _set(ev, "source.port", rec.get("id.orig_p"))
    _set(ev, "destination.ip", rec.get("id.resp_h"))
    _set(ev, "destination.port", rec.get("id.resp_p"))
    if isinstance(rec.get("proto"), str):
        ev["network.transport"] = rec["proto"].lower()
    if path:
        ev["event.dataset"] = f"zeek.{path}"
    ev["event.category"] = CATEGORY.get(path or "", "network")
    ls: dict[str, Any] = {"product": "zeek", "service": path} if path else {"product": "zeek"}
    p = path or ""
    if p == "conn":
        _set(ev, "source.bytes", rec.get("orig_bytes"))
        _set(ev, "destination.bytes", rec.get("resp_bytes"))
        _set(ev, "network.protocol", rec.get("service"))
        _set(ev, "event.action", rec.get("conn_state"))
    elif p == "dns":
        ls["category"] = "dns"
        _set(ev, "dns.question.name", rec.get("query"))
        _set(ev, "dns.question.type", rec.get("qtype_name"))
        _set(ev, "record_type", rec.get("qtype_name"))  # SigmaHQ dns-category names
        _set(ev, "answer", rec.get("answers"))
        _set(ev, "dns.answers.data", rec.get("answers"))
        _set(ev, "dns.response_code", rec.get("rcode_name"))
        _set(ev, "network.protocol", "dns")
    elif p == "http":
        _http(rec, ev, ls)
    elif p == "ftp":
        _set(ev, "user.name", rec.get("user"))
        _set(ev, "event.action", rec.get("command"))
        code = rec.get("reply_code")
        if isinstance(code, int):
            ev["event.outcome"] = "success" if code < 400 else "failure"
        _set(ev, "network.protocol", "ftp")
    elif p == "kerberos":
        client = rec.get("client")
        if isinstance(client, str) and client:
            user, _, realm = client.partition("/")
            _set(ev, "user.name", user)
            _set(ev, "user.domain", realm)
        _set(ev, "event.action", rec.get("request_type"))
        _set(ev, "network.protocol", "kerberos")
    elif p == "ntlm":
        _set(ev, "user.name", rec.get("username"))
        _set(ev, "user.domain", rec.get("domainname"))
        _set(ev, "source.domain", rec.get("hostname") if rec.get("hostname") != "NULL" else None)
        _set(ev, "network.protocol", "ntlm")
    elif p == "rdp":
        _set(ev, "user.name", rec.get("cookie"))
        _set(ev, "network.protocol", "rdp")
    elif p == "smtp":
        _set(ev, "email.from.address", rec.get("mailfrom"))
        _set(ev, "email.to.address", rec.get("rcptto"))
        _set(ev, "email.subject", rec.get("subject"))
        _set(ev, "user_agent.original", rec.get("user_agent"))
        _set(ev, "network.protocol", "smtp")
    elif p == "ssh":
        _set(ev, "network.protocol", "ssh")
        _set(ev, "event.action", "ssh_login" if "auth_success" in rec else None)
    elif p == "ssl":
        _set(ev, "tls.server_name", rec.get("server_name"))
        _set(ev, "destination.domain", rec.get("server_name"))
        _set(ev, "tls.version", rec.get("version"))
        _set(ev, "tls.cipher", rec.get("cipher"))
        _set(ev, "network.protocol", "tls")
    elif p == "x509":
        _set(ev, "x509.serial_number", rec.get("certificate.serial"))
        _set(ev, "x509.subject.distinguished_name", rec.get("certificate.subject"))
        _set(ev, "x509.issuer.distinguished_name", rec.get("certificate.issuer"))
    elif p in ("files", "smb_files", "pe"):
        _set(ev, "file.name", rec.get("filename") or rec.get("name"))
        _set(ev, "file.path", rec.get("path") if p == "smb_files" else None)
        _set(ev, "file.mime_type", rec.get("mime_type"))
        _set(ev, "file.size", rec.get("size") or rec.get("total_bytes"))
        for h in ("md5", "sha1", "sha256"):
            _set(ev, f"file.hash.{h}", rec.get(h))
        _set(ev, "event.action", rec.get("action"))
    elif p == "notice":
        _set(ev, "rule.name", rec.get("note"))
        _set(ev, "message", rec.get("msg"))
        _set(ev, "event.kind", "alert")
        if "source.ip" not in ev:
            _set(ev, "source.ip", rec.get("src"))
            _set(ev, "destination.ip", rec.get("dst"))
    elif p == "weird":
        _set(ev, "event.action", rec.get("name"))
    elif p == "dce_rpc":
        _set(ev, "event.action", rec.get("operation"))
    elif p == "syslog":
        _set(ev, "message", rec.get("message"))
    elif p == "software":
        _set(ev, "host.ip", rec.get("host"))
    success = rec.get("auth_success", rec.get("success"))
    if isinstance(success, bool):
        ev["event.outcome"] = "success" if success else "failure"
    ev["_logsource"] = ls
    return ev


def _http(rec: dict, ev: Event, ls: dict) -> None:
    # SigmaHQ proxy rules read client requests (user agent, host, URI); a sensor sees those as a proxy does
    ls["category"] = "proxy"
    uri, host = rec.get("uri"), rec.get("host")
    proxy_request(ev, uri if isinstance(uri, str) and uri else None, host)
    for src, ecs, alias in (("method", "http.request.method", "cs-method"),
                            ("user_agent", "user_agent.original", "c-useragent"),
                            ("referrer", "http.request.referrer", "cs-referrer"),
                            ("status_code", "http.response.status_code", "sc-status")):
        if rec.get(src) not in (None, ""):
            ev[ecs] = ev[alias] = rec[src]
    _set(ev, "user.name", rec.get("username"))
    _set(ev, "http.version", rec.get("version"))
    _set(ev, "http.request.body.bytes", rec.get("request_body_len"))
    _set(ev, "http.response.body.bytes", rec.get("response_body_len"))
    _set(ev, "network.protocol", "http")
