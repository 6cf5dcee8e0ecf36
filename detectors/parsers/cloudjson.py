"""JSON document kinds of cloud and host sources: journald export, Kubernetes audit, Azure Activity / sign-in,
GCP audit, Microsoft 365 unified audit, AWS GuardDuty findings, AWS WAF v2, Caddy/Coraza WAF, Laurel auditd, Okta.

``kind(doc)`` names the kind (cheap key checks) or None; ``from_doc(doc, kind)`` gives the events. Every event keeps
the original fields flattened to dotted keys (SigmaHQ's cloud rules name vendor fields: ``operationName``,
``objectRef.resource``, ``eventType``) with ECS fields beside them. Each vendor's shape is a few dozen lines of
mapping, which no library does for this flat-event contract.
"""
from __future__ import annotations

from typing import Any, Callable

from .common import Event, iso_to_epoch
from .hostjson import _AUDIT_ID, _port, _set, coraza, journald, laurel
from .common import flatten


def _params(ev: Event, key: str, items: Any) -> None:
    """M365/Azure ``[{"Name": n, "Value": v}]`` lists: ``n=v`` strings (Sigma ``|contains`` sees both) + ``key.n``."""
    if not isinstance(items, list):
        return
    pairs = []
    for it in items:
        if isinstance(it, dict) and "Name" in it:
            pairs.append(f"{it['Name']}={it.get('Value', '')}")
            ev.setdefault(f"{key}.{it['Name']}", it.get("Value"))
    if pairs:
        ev[key] = pairs


# ---- Kubernetes audit -------------------------------------------------------------------------------------------
def k8s_audit(doc: dict[str, Any]) -> list[Event]:
    ev = flatten(doc)
    user = doc.get("user") or {}
    ips = doc.get("sourceIPs") or []
    ts = doc.get("stageTimestamp") or doc.get("requestReceivedTimestamp")
    ev.update({"_ts": iso_to_epoch(ts), "@timestamp": ts, "event.action": doc.get("verb"),
               "event.category": "configuration"})
    _set(ev, "user.name", user.get("username"))
    _set(ev, "source.ip", ips[0] if ips else None)
    _set(ev, "url.original", doc.get("requestURI"))
    _set(ev, "user_agent.original", doc.get("userAgent"))
    code = _port((doc.get("responseStatus") or {}).get("code"))
    if code is not None:
        ev["http.response.status_code"] = code
        ev["event.outcome"] = "success" if code < 400 else "failure"
    if "objectRef.apiGroup" in ev:
        ev.setdefault("apiGroup", ev["objectRef.apiGroup"])
    spec = ((doc.get("requestObject") or {}).get("spec") or {})
    if isinstance(spec.get("template"), dict):  # Deployment/DaemonSet/Job: the pod spec one level down
        spec = spec["template"].get("spec") or spec
    # fields SigmaHQ's pod rules test (hostPath, capabilities, privileged), lifted out of the pod spec
    paths = [v["hostPath"].get("path") for v in spec.get("volumes") or [] if isinstance(v, dict)
             and isinstance(v.get("hostPath"), dict)]
    _set(ev, "hostPath", paths)
    caps, priv = [], False
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        sc = (c or {}).get("securityContext") or {}
        caps += ((sc.get("capabilities") or {}).get("add") or [])
        priv = priv or bool(sc.get("privileged"))
    _set(ev, "capabilities", caps)
    if priv:
        ev["privileged"] = True
    ev["_logsource"] = {"product": "kubernetes", "service": "audit", "category": "application"}
    return [ev]


# ---- Azure ------------------------------------------------------------------------------------------------------
def _value(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v


def azure_activity(doc: dict[str, Any]) -> list[Event]:
    """Activity Log in the REST/Event-Hub camelCase, the Python SDK's snake_case, or wrapped in ``data``."""
    wrapper = {}
    if isinstance(doc.get("data"), dict) and not doc.get("operationName"):
        wrapper, doc = {k: v for k, v in doc.items() if k != "data"}, doc["data"]
    g = lambda *names: next((doc[n] for n in names if doc.get(n) not in (None, "")), None)  # noqa: E731
    ev = flatten(doc)
    ev.update({f"wrapper.{k}": v for k, v in wrapper.items() if not isinstance(v, (dict, list))})
    op = _value(g("operationName", "operation_name"))
    ts = g("eventTimestamp", "event_timestamp", "time") or wrapper.get("eventTime")
    req = g("httpRequest", "http_request") or {}
    status = _value(g("status", "resultType")) or ""
    for key, val in (("operationName", op), ("OperationNameValue", op),
                     ("CategoryValue", _value(g("category"))),
                     ("ResourceProviderValue", _value(g("resourceProviderName", "resource_provider_name"))),
                     ("ResourceId", g("resourceId", "resource_id", "resourceUri")), ("ActivityStatusValue", status)):
        _set(ev, key, val)
    ev.update({"_ts": iso_to_epoch(ts), "@timestamp": ts, "event.action": op})
    _set(ev, "user.name", g("caller"))
    _set(ev, "source.ip", req.get("clientIpAddress") or req.get("client_ip_address") or g("callerIpAddress"))
    _set(ev, "http.request.method", req.get("method"))
    _set(ev, "cloud.account.id", g("subscriptionId", "subscription_id"))
    if status:
        ev["event.outcome"] = "failure" if str(status).lower() in ("failed", "failure") else "success"
    ev["cloud.provider"] = "azure"
    ev["_logsource"] = {"product": "azure", "service": "activitylogs"}
    return [ev]


def azure_signin(doc: dict[str, Any]) -> list[Event]:
    """Entra ID sign-in log (diagnostic-settings shape: ``category: SignInLogs`` + ``properties``)."""
    props = doc.get("properties") if isinstance(doc.get("properties"), dict) else doc
    ev = flatten(doc)
    for k, v in flatten(props).items():  # the rules name the properties unprefixed (ResultType, DeviceDetail.…)
        ev.setdefault(k, v)
    ts = doc.get("time") or props.get("createdDateTime")
    rt = str(doc.get("resultType", (props.get("status") or {}).get("errorCode", "")) or "")
    ev.update({"_ts": iso_to_epoch(ts), "@timestamp": ts, "event.action": "sign-in",
               "event.category": "authentication", "event.outcome": "success" if rt in ("0", "") else "failure"})
    ev.setdefault("ResultType", rt)
    _set(ev, "user.name", props.get("userPrincipalName") or doc.get("identity"))
    _set(ev, "source.ip", props.get("ipAddress") or doc.get("callerIpAddress"))
    ev["_logsource"] = {"product": "azure", "service": "signinlogs"}
    return [ev]


# ---- GCP --------------------------------------------------------------------------------------------------------
def gcp_audit(doc: dict[str, Any]) -> list[Event]:
    pp = doc.get("protoPayload") or {}
    ev = flatten(doc)
    meta = pp.get("requestMetadata") or {}
    authz = [a for a in pp.get("authorizationInfo") or [] if isinstance(a, dict)]
    status = pp.get("status") or {}
    ev.update({"_ts": iso_to_epoch(doc.get("timestamp")), "@timestamp": doc.get("timestamp"),
               "event.action": pp.get("methodName"), "gcp.audit.method_name": pp.get("methodName"),
               "event.outcome": "failure" if status.get("code") else "success", "cloud.provider": "gcp"})
    # the data.protoPayload.* spelling a few SigmaHQ rules use (a Pub/Sub export's envelope)
    for k in ("methodName", "serviceName", "resourceName"):
        _set(ev, f"data.protoPayload.{k}", pp.get(k))
    _set(ev, "data.protoPayload.logName", doc.get("logName"))
    _set(ev, "data.protoPayload.resource.type", (doc.get("resource") or {}).get("type"))
    _set(ev, "data.protoPayload.authorizationInfo.permission", [a.get("permission") for a in authz])
    _set(ev, "data.protoPayload.authorizationInfo.granted", [a.get("granted") for a in authz])
    _set(ev, "user.name", (pp.get("authenticationInfo") or {}).get("principalEmail"))
    _set(ev, "source.ip", meta.get("callerIp"))
    _set(ev, "user_agent.original", meta.get("callerSuppliedUserAgent"))
    _set(ev, "cloud.account.id", ((doc.get("resource") or {}).get("labels") or {}).get("project_id"))
    ev["_logsource"] = {"product": "gcp", "service": "gcp.audit"}
    return [ev]


def gcp_log(doc: dict[str, Any]) -> list[Event]:
    """Any other Cloud Logging entry (jsonPayload / textPayload): product gcp, no SigmaHQ service."""
    ev = flatten(doc)
    ev.update({"_ts": iso_to_epoch(doc.get("timestamp") or doc.get("receiveTimestamp")), "cloud.provider": "gcp"})
    _set(ev, "message", doc.get("textPayload") or (doc.get("jsonPayload") or {}).get("message"))
    _set(ev, "cloud.account.id", ((doc.get("resource") or {}).get("labels") or {}).get("project_id"))
    ev["_logsource"] = {"product": "gcp"}
    return [ev]


# ---- Microsoft 365 ----------------------------------------------------------------------------------------------
def m365(doc: dict[str, Any]) -> list[Event]:
    ev = flatten(doc)
    for key in ("Parameters", "OperationProperties", "ExtendedProperties", "ModifiedProperties"):
        _params(ev, key, doc.get(key))
    created = doc.get("CreationTime")
    result = str(doc.get("ResultStatus") or "")
    ev.update({"_ts": iso_to_epoch(created), "event.action": doc.get("Operation"),  # no zone: UTC (iso_to_epoch)
               "event.provider": doc.get("Workload")})
    if result:
        ev["event.outcome"] = "failure" if result.lower() in ("failed", "false", "failure") else "success"
    _set(ev, "user.name", doc.get("UserId"))
    _set(ev, "source.ip", doc.get("ClientIP") or doc.get("ClientIPAddress"))
    ev["_logsource"] = {"product": "m365", "service": "audit"}
    return [ev]


# ---- AWS --------------------------------------------------------------------------------------------------------
def guardduty(doc: dict[str, Any]) -> list[Event]:
    if isinstance(doc.get("findings"), list):  # a GetFindings / EventBridge batch: each finding
        return [e for f in doc["findings"] if isinstance(f, dict) for e in guardduty(f)]
    ev = flatten(doc)
    action = ((doc.get("service") or {}).get("action") or {})
    ts = doc.get("updatedAt") or doc.get("createdAt")
    ev.update({"_ts": iso_to_epoch(ts), "@timestamp": ts, "event.category": "intrusion_detection",
               "event.kind": "alert", "rule.name": doc.get("type"), "rule.id": doc.get("type"),
               "event.severity": doc.get("severity"), "message": doc.get("title"),
               "cloud.account.id": doc.get("accountId"), "cloud.region": doc.get("region")})
    _set(ev, "event.action", action.get("actionType"))
    for sub in action.values():
        if not isinstance(sub, dict):
            continue
        probes = sub.get("portProbeDetails") or [{}]
        remote = sub.get("remoteIpDetails") or probes[0].get("remoteIpDetails") or {}
        _set(ev, "source.ip", remote.get("ipAddressV4") or remote.get("ipAddressV6"))
        _set(ev, "source.port", _port((sub.get("remotePortDetails") or {}).get("port")))
        local = sub.get("localPortDetails") or probes[0].get("localPortDetails") or {}
        _set(ev, "destination.port", _port(local.get("port")))
        _set(ev, "network.transport", str(sub.get("protocol") or "").lower())
        _set(ev, "dns.question.name", sub.get("domain"))
        _set(ev, "event.provider", sub.get("serviceName"))
        if sub.get("connectionDirection") == "OUTBOUND" and "source.ip" in ev:  # remote is the destination
            ev["destination.ip"] = ev.pop("source.ip")
            sp, dp = ev.pop("source.port", None), ev.pop("destination.port", None)
            _set(ev, "destination.port", sp)
            _set(ev, "source.port", dp)
    ev["_logsource"] = {"product": "aws", "service": "guardduty"}
    return [ev]


def aws_waf(doc: dict[str, Any]) -> list[Event]:
    req = doc.get("httpRequest") or {}
    ev = flatten(doc)
    headers = {str(h.get("name", "")).lower(): h.get("value") for h in req.get("headers") or [] if isinstance(h, dict)}
    action = str(doc.get("action") or "").upper()
    ev.update({"_ts": iso_to_epoch(doc.get("timestamp")), "event.action": action.lower(),
               "rule.id": doc.get("terminatingRuleId"), "rule.name": doc.get("terminatingRuleId"),
               "event.outcome": "failure" if action == "BLOCK" else "success",
               "event.category": "web", "observer.vendor": "AWS", "observer.product": "WAF"})
    for key, val in (("c-ip", req.get("clientIp")), ("cs-uri-stem", req.get("uri")), ("cs-uri-query", req.get("args")),
                     ("cs-method", req.get("httpMethod")), ("cs-user-agent", headers.get("user-agent")),
                     ("cs-referer", headers.get("referer")), ("cs-host", headers.get("host")),
                     ("source.ip", req.get("clientIp")), ("url.path", req.get("uri")), ("url.query", req.get("args")),
                     ("http.request.method", req.get("httpMethod")), ("user_agent.original", headers.get("user-agent")),
                     ("url.domain", headers.get("host")), ("source.geo.country_iso_code", req.get("country"))):
        _set(ev, key, val)
    ev["_logsource"] = {"product": "aws", "service": "waf", "category": "webserver"}
    return [ev]


def okta(doc: dict[str, Any]) -> list[Event]:
    ev = flatten(doc)
    client = doc.get("client") or {}
    outcome = str((doc.get("outcome") or {}).get("result") or "").upper()
    ev.update({"_ts": iso_to_epoch(doc.get("published")), "@timestamp": doc.get("published"),
               "event.action": doc.get("eventType"), "message": doc.get("displayMessage")})
    if outcome:
        ev["event.outcome"] = "success" if outcome in ("SUCCESS", "ALLOW") else "failure"
    _set(ev, "user.name", (doc.get("actor") or {}).get("alternateId"))
    _set(ev, "source.ip", client.get("ipAddress"))
    _set(ev, "user_agent.original", (client.get("userAgent") or {}).get("rawUserAgent"))
    ev["_logsource"] = {"product": "okta", "service": "okta"}
    return [ev]


KINDS: dict[str, Callable[[dict[str, Any]], list[Event]]] = {
    "journald": journald, "k8s_audit": k8s_audit, "azure_activity": azure_activity, "azure_signin": azure_signin,
    "gcp_audit": gcp_audit, "gcp_log": gcp_log, "m365": m365, "guardduty": guardduty, "aws_waf": aws_waf, "okta": okta,
    "coraza": coraza, "laurel": laurel}


def kind(doc: dict[str, Any]) -> str | None:
    if "__REALTIME_TIMESTAMP" in doc or ("MESSAGE" in doc and ("_HOSTNAME" in doc or "SYSLOG_IDENTIFIER" in doc)):
        return "journald"
    if doc.get("kind") == "Event" and str(doc.get("apiVersion", "")).startswith("audit.k8s.io"):
        return "k8s_audit"
    if str((doc.get("protoPayload") or {}).get("@type", "")).endswith("google.cloud.audit.AuditLog"):
        return "gcp_audit"
    if "logName" in doc and "insertId" in doc and ("resource" in doc or "receiveTimestamp" in doc):
        return "gcp_log"
    if "Workload" in doc and "Operation" in doc and "CreationTime" in doc:
        return "m365"
    if ("schemaVersion" in doc and "severity" in doc and str(doc.get("arn", "")).startswith("arn:aws:guardduty")) or \
            (isinstance(doc.get("findings"), list) and len(doc) == 1):
        return "guardduty"
    if "webaclId" in doc and isinstance(doc.get("httpRequest"), dict):
        return "aws_waf"
    if doc.get("logger") == "http.handlers.waf":
        return "coraza"
    if isinstance(doc.get("ID"), str) and _AUDIT_ID.match(doc["ID"]) and any(k.isupper() for k in doc if k != "ID"):
        return "laurel"
    if "eventType" in doc and "published" in doc and isinstance(doc.get("actor"), dict):
        return "okta"
    if str(doc.get("category", "")).lower() in ("signinlogs", "noninteractiveusersigninlogs") or \
            ("userPrincipalName" in doc and "appDisplayName" in doc and "createdDateTime" in doc):
        return "azure_signin"
    inner = doc.get("data") if isinstance(doc.get("data"), dict) else doc
    if ("operationName" in inner or "operation_name" in inner) and \
            any(k in inner for k in ("resourceId", "resource_id", "resourceUri", "eventDataId", "event_data_id")):
        return "azure_activity"
    return None


def from_doc(doc: dict[str, Any], kind_name: str | None = None) -> list[Event]:
    """Events of one document (``[]`` when it is none of these kinds or its shape is broken)."""
    name = kind_name or kind(doc)
    if name not in KINDS:
        return []
    try:
        events = KINDS[name](doc)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError):
        return []
    for ev in events:
        if ev.get("_ts") is None:  # no time of its own: the dispatcher fills the arrival time
            ev.pop("_ts", None)
            ev.pop("@timestamp", None)
    return events
