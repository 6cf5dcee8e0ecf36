"""``make package`` builds the Lambda zip and one CloudFormation template; this reads them and checks what the
deployment promises: private encrypted buckets, no ingress from the internet, TLS and IAM at the database proxy,
partial batch responses on the stream, least-privilege roles, and cfn-lint clean. (checkov runs in ``make test``.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAR_OK = {"ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
           "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses", "xray:PutTelemetryRecords",
           "xray:PutTraceSegments", "ecr:GetAuthorizationToken"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")}
    r = subprocess.run(["make", "-s", "package", f"DIST={out}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return out, json.loads((out / "sam.json").read_text())


def of_type(t: dict, kind: str) -> dict:
    return {k: v for k, v in t["Resources"].items() if v["Type"] == kind}


def test_the_lambda_zip_holds_the_engine_and_the_pages(built):
    out, _ = built
    names = set(zipfile.ZipFile(out / "deployment.zip").namelist())
    for required in ("app.py", "chalicelib/incidents.py", "chalicelib/deploy.py", "detectors/__init__.py",
                     "detectors/sigma/engine.py", "detectors/rules/sigma/ssh_root_login/rule.yml",
                     "detectors/rules/compiled.rules.pickle", "templates/base.html", "templates/scan_report.html",
                     "static/bootstrap.min.css"):
        assert required in names, required
    assert not any(n.startswith(("tests/", ".local/", ".venv/", "infra/")) for n in names)


def test_cfn_lint_passes(built):
    out, _ = built
    r = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(out / "sam.json")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_nothing_is_open_to_the_internet(built):
    _, t = built
    rules = [r for sg in of_type(t, "AWS::EC2::SecurityGroup").values()
             for r in sg["Properties"].get("SecurityGroupIngress", [])]
    rules += [r["Properties"] for r in of_type(t, "AWS::EC2::SecurityGroupIngress").values()]
    assert rules, "the template declares ingress rules"
    for r in rules:
        assert r.get("CidrIp") is None and r.get("CidrIpv6") is None, r  # only from other security groups
        assert r.get("FromPort") in (443, 3306), r  # HTTPS to endpoints, MySQL to the proxy and database; no SSH
    assert not of_type(t, "AWS::EC2::InternetGateway") and not of_type(t, "AWS::EC2::NatGateway")
    db = t["Resources"]["Database"]["Properties"]
    assert db["PubliclyAccessible"] is False
    ingress = {(r["Properties"]["GroupId"]["Ref"], r["Properties"]["SourceSecurityGroupId"]["Ref"], r["Properties"]["FromPort"])
               for r in of_type(t, "AWS::EC2::SecurityGroupIngress").values()}
    assert ("DatabaseSecurityGroup", "ProxySecurityGroup", 3306) in ingress
    assert ("EndpointSecurityGroup", "ProxySecurityGroup", 443) in ingress  # the proxy reads its secret
    assert not [i for i in ingress if i[0] == "DatabaseSecurityGroup" and i[1] != "ProxySecurityGroup"]


def test_every_bucket_is_private_encrypted_and_tls_only(built):
    _, t = built
    buckets = of_type(t, "AWS::S3::Bucket")
    assert set(buckets) >= {"EvidenceBucket", "LogsBucket", "ReportsBucket"}
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
                for p in of_type(t, "AWS::S3::BucketPolicy").values()}
    for name, b in buckets.items():
        p = b["Properties"]
        assert all(p["PublicAccessBlockConfiguration"].values()) and len(p["PublicAccessBlockConfiguration"]) == 4, name
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        deny = [s for s in policies[name]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny), name
    ev = buckets["EvidenceBucket"]["Properties"]
    assert ev["ObjectLockEnabled"] is True and ev["VersioningConfiguration"]["Status"] == "Enabled"
    assert ev["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}  # each stored version is locked by code
    env = t["Resources"]["EvidenceArrived"]["Properties"]["Environment"]["Variables"]
    assert env["EVIDENCE_RETENTION_DAYS"] == {"Ref": "EvidenceRetentionDays"}
    assert ev["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    tiers = buckets["LogsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Transitions") for r in tiers)
    expiring = [r for r in buckets["ReportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
                if r.get("ExpirationInDays")]
    assert [r["Prefix"] for r in expiring] == ["exports/"]  # scan reports and incident PDFs are kept


def test_database_proxy_requires_tls_and_iam_and_the_database_is_protected(built):
    _, t = built
    proxy = t["Resources"]["DatabaseProxy"]["Properties"]
    assert proxy["RequireTLS"] is True and proxy["Auth"][0]["IAMAuth"] == "REQUIRED"
    db = t["Resources"]["Database"]["Properties"]
    assert db["StorageEncrypted"] and db["DeletionProtection"] and db["BackupRetentionPeriod"] >= 7
    assert "{{resolve:secretsmanager:" in db["MasterUserPassword"]["Fn::Sub"]  # generated, never in the template
    env = t["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["DB_IAM_AUTH"] == "1" and "DatabaseProxy.Endpoint" in env["DATABASE_URL"]["Fn::Sub"]


def test_the_stream_mapping_reports_partial_batch_failures(built):
    _, t = built
    fn = t["Resources"]["StreamIngest"]["Properties"]
    mapping = fn["Events"]["StreamIngestKinesisEventSource"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    # an outage of hours parks nothing: retried until a day old, and the stream keeps records longer than that
    assert mapping["MaximumRetryAttempts"] == -1 and mapping["MaximumRecordAgeInSeconds"] == 86400
    assert t["Resources"]["EventStream"]["Properties"]["RetentionPeriodHours"] * 3600 > 86400 * 2
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    stream = t["Resources"]["EventStream"]["Properties"]
    assert mapping["Stream"]["Fn::Sub"].endswith("stream/" + stream["Name"])  # the mapping reads the stack's stream
    assert stream["StreamEncryption"]["EncryptionType"] == "KMS"
    assert fn["Environment"]["Variables"]["DLQ_URL"] == {"Ref": "DeadLetterQueue"} and \
        "DEFAULT_LANGUAGE" in fn["Environment"]["Variables"]  # merged into Chalice's, not replacing them


def test_every_function_has_its_own_least_privilege_role_in_the_vpc(built):
    import importlib.util

    spec = importlib.util.spec_from_file_location("infra_stack", ROOT / "infra" / "stack.py")
    stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack)  # type: ignore[union-attr]
    policies = stack.policies
    _, t = built
    functions = of_type(t, "AWS::Serverless::Function")
    assert set(functions) == {"APIHandler", "StreamIngest", "Housekeeping", "EvidenceArrived", "Deploy"}
    roles = set()
    for name, fn in functions.items():
        p = fn["Properties"]
        assert p["VpcConfig"]["SecurityGroupIds"] == [{"Ref": "LambdaSecurityGroup"}], name
        roles.add(p["Role"]["Fn::GetAtt"][0])
    assert len(roles) == len(functions)  # one role each
    for role, r in of_type(t, "AWS::IAM::Role").items():
        for pol in r["Properties"].get("Policies", []):
            for st in pol["PolicyDocument"]["Statement"]:
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if st["Resource"] == "*":
                    assert set(actions) <= STAR_OK, (role, actions)
                if "iam:PassRole" in actions:
                    assert {x["Fn::GetAtt"][0] for x in st["Resource"]} == {"AnalyzerTaskRole", "AnalyzerExecutionRole"}
                    assert st["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs-tasks.amazonaws.com"
    for name, doc in policies().items():  # the committed policy files are what the generator writes
        assert json.loads((ROOT / ".chalice" / f"policy-{name}.json").read_text()) == doc, name


def test_deploy_runs_migrations_and_alarms_reach_the_team(built):
    _, t = built
    assert t["Resources"]["DeployMigrations"]["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["Deploy", "Arn"]}
    alarms = of_type(t, "AWS::CloudWatch::Alarm")
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {"IteratorAge", "ApproximateNumberOfMessagesVisible", "Errors", "Throttles", "CPUUtilization",
            "DatabaseConnections"} <= metrics
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}] for a in alarms.values())
    task = t["Resources"]["AnalyzerTaskDefinition"]["Properties"]
    assert task["RequiresCompatibilities"] == ["FARGATE"] and task["ContainerDefinitions"][0]["ReadonlyRootFilesystem"]
    assert t["Resources"]["AnalyzerRepository"]["Properties"]["ImageScanningConfiguration"]["ScanOnPush"] is True
