"""The CloudFormation that ``chalice package --merge-template`` merges into Chalice's own template.

Written as Python because the same blocks repeat per function (environment, VPC, log permissions) and a
generator keeps them identical. ``make package`` writes it to ``dist/merge.json``; ``tests/integration/
test_infra.py`` reads the merged result and checks the security properties. Resource names Chalice generates
(``APIHandler``, ``StreamIngest``, ``Housekeeping``, ``EvidenceArrived``, ``Deploy``) are extended, never renamed.
"""
from __future__ import annotations

import json
import sys
from typing import Any

FUNCTIONS = ("APIHandler", "StreamIngest", "Housekeeping", "EvidenceArrived", "Deploy")
ASYNC = ("Housekeeping", "EvidenceArrived", "Deploy")  # invoked as events: a failed event goes to a queue
ENDPOINTS = ("kinesis-streams", "sns", "sqs", "ecs", "secretsmanager", "logs", "ecr.api", "ecr.dkr")
DB_USER = "cyberincident"
NO_EGRESS = [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "no egress"}]


def ref(name: str) -> dict:
    return {"Ref": name}


def att(name: str, attr: str) -> dict:
    return {"Fn::GetAtt": [name, attr]}


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def parameters() -> dict:
    return {
        "AlertEmail": {"Type": "String", "Default": "", "Description": "security team address subscribed to the SNS topic"},
        "MultiAZ": {"Type": "String", "Default": "false", "AllowedValues": ["true", "false"]},
        "DBInstanceClass": {"Type": "String", "Default": "db.t4g.micro"},
        "DBEngineVersion": {"Type": "String", "Default": "8.4.7", "Description": "MySQL 8.4 (LTS)"},
        "DBAllocatedStorage": {"Type": "Number", "Default": 20, "MinValue": 20},
        "KinesisMode": {"Type": "String", "Default": "PROVISIONED", "AllowedValues": ["ON_DEMAND", "PROVISIONED"]},
        "KinesisShards": {"Type": "Number", "Default": 1, "MinValue": 1},
        "AnalyzerImageTag": {"Type": "String", "Default": "v1", "Description": "tag pushed to the analyzer repository"},
        "AnalyzerCpu": {"Type": "String", "Default": "2048", "AllowedValues": ["1024", "2048", "4096", "8192"]},
        "AnalyzerMemory": {"Type": "String", "Default": "4096"},
        "EvidenceRetentionDays": {"Type": "Number", "Default": 365, "MinValue": 1,
                                  "Description": "Object Lock (governance) retention of every evidence version"},
        "LogArchiveDays": {"Type": "Number", "Default": 400, "MinValue": 30},
        "OneZoneEndpoints": {"Type": "String", "Default": "false", "AllowedValues": ["true", "false"],
                             "Description": "interface endpoints in one zone only: half their cost, no zone redundancy"},
        "AppOrigin": {"Type": "String", "Default": "",
                      "Description": "origin browsers upload evidence from (default: any execute-api of the region)"},
    }


def conditions() -> dict:
    return {"HasEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlertEmail"), ""]}]},
            "IsMultiAZ": {"Fn::Equals": [ref("MultiAZ"), "true"]},
            "OnDemand": {"Fn::Equals": [ref("KinesisMode"), "ON_DEMAND"]},
            "HasOrigin": {"Fn::Not": [{"Fn::Equals": [ref("AppOrigin"), ""]}]},
            "OneZoneEndpoints": {"Fn::Equals": [ref("OneZoneEndpoints"), "true"]}}


# -- network ---------------------------------------------------------------------------------------------------
def network() -> dict:
    r: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16", "EnableDnsSupport": True,
                                                       "EnableDnsHostnames": True,
                                                       "Tags": [{"Key": "Name", "Value": sub("${AWS::StackName}")}]}},
        "PrivateRouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
        "VpcFlowLogs": {"Type": "AWS::EC2::FlowLog", "Properties": {
            "ResourceId": ref("Vpc"), "ResourceType": "VPC", "TrafficType": "REJECT", "LogDestinationType": "s3",
            "LogDestination": sub("${AccessLogsBucket.Arn}/vpc-flow-logs/")}},
        # gateway endpoint: S3 without NAT, free
        "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": ref("Vpc"), "VpcEndpointType": "Gateway", "ServiceName": sub("com.amazonaws.${AWS::Region}.s3"),
            "RouteTableIds": [ref("PrivateRouteTable")]}},
    }
    for i, cidr in enumerate(("10.20.1.0/24", "10.20.2.0/24")):
        name = f"PrivateSubnet{i + 1}"
        r[name] = {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": ref("Vpc"), "CidrBlock": cidr, "MapPublicIpOnLaunch": False,
            "AvailabilityZone": {"Fn::Select": [i, {"Fn::GetAZs": ""}]},
            "Tags": [{"Key": "Name", "Value": sub(f"${{AWS::StackName}}-private-{i + 1}")}]}}
        r[f"{name}Routes"] = {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                              "Properties": {"SubnetId": ref(name), "RouteTableId": ref("PrivateRouteTable")}}
    for service in ENDPOINTS:  # interface endpoints: the Lambdas and the analyzer reach AWS APIs without NAT
        name = "".join(p.capitalize() for p in service.replace("-", ".").split(".")) + "Endpoint"
        r[name] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": ref("Vpc"), "VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
            "ServiceName": sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
            "SubnetIds": {"Fn::If": ["OneZoneEndpoints", [ref("PrivateSubnet1")], subnets()]},
            "SecurityGroupIds": [ref("EndpointSecurityGroup")]}}
    sg = lambda desc, egress: {"Type": "AWS::EC2::SecurityGroup", "Properties": {  # noqa: E731
        "GroupDescription": desc, "VpcId": ref("Vpc"), "SecurityGroupEgress": egress}}
    to_aws = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": ref(
        "EndpointSecurityGroup"), "Description": "AWS APIs through the interface endpoints"},
              {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
               "Description": "S3 through the gateway endpoint (no route leaves the VPC: no IGW, no NAT)"}]
    to_proxy = {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
                "DestinationSecurityGroupId": ref("ProxySecurityGroup"), "Description": "RDS Proxy"}
    for name, who in (("Lambda", "Lambdas"), ("Analyzer", "analyzer tasks")):
        r[f"{name}SecurityGroup"] = sg(f"CyberIncident {who}: MySQL to the proxy, HTTPS to AWS endpoints",
                                       [to_proxy, *to_aws])
    r["EndpointSecurityGroup"] = sg("CyberIncident interface endpoints: HTTPS from the Lambdas and tasks", NO_EGRESS)
    r["ProxySecurityGroup"] = sg("CyberIncident RDS Proxy: MySQL from Lambdas and tasks, to the database only", [
        {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "DestinationSecurityGroupId": ref("DatabaseSecurityGroup"),
         "Description": "MySQL"},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": ref("EndpointSecurityGroup"),
         "Description": "the database secret, through the Secrets Manager endpoint"}])
    r["DatabaseSecurityGroup"] = sg("CyberIncident MySQL: from the proxy only", NO_EGRESS)
    rules = [("EndpointSecurityGroup", 443, "LambdaSecurityGroup"), ("EndpointSecurityGroup", 443, "AnalyzerSecurityGroup"),
             ("EndpointSecurityGroup", 443, "ProxySecurityGroup"),
             ("ProxySecurityGroup", 3306, "LambdaSecurityGroup"), ("ProxySecurityGroup", 3306, "AnalyzerSecurityGroup"),
             ("DatabaseSecurityGroup", 3306, "ProxySecurityGroup")]
    for target, port, source in rules:
        r[f"{target.removesuffix('SecurityGroup')}From{source.removesuffix('SecurityGroup')}"] = {
            "Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": ref(target), "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "SourceSecurityGroupId": ref(source), "Description": f"from {source}"}}
    return r


def subnets() -> list:
    return [ref("PrivateSubnet1"), ref("PrivateSubnet2")]


# -- database ------------------------------------------------------------------------------------------------------
def database() -> dict:
    secret = "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:%s}}"
    return {
        "DatabaseSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": ref("DataKey"),
            "Description": "CyberIncident MySQL master credentials (generated; read by RDS Proxy only)",
            "GenerateSecretString": {"SecretStringTemplate": json.dumps({"username": DB_USER}),
                                     "GenerateStringKey": "password", "PasswordLength": 40,
                                     "ExcludeCharacters": "\"@/\\'`"}}},
        "DatabaseSubnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {
            "DBSubnetGroupDescription": "CyberIncident private subnets", "SubnetIds": subnets()}},
        "Database": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
                     "Properties": {
            "Engine": "mysql", "EngineVersion": ref("DBEngineVersion"), "DBName": "cyberincident",
            "DBInstanceClass": ref("DBInstanceClass"), "AllocatedStorage": ref("DBAllocatedStorage"),
            "StorageType": "gp3", "StorageEncrypted": True, "MultiAZ": {"Fn::If": ["IsMultiAZ", True, False]},
            "MasterUsername": sub(secret % "username"), "MasterUserPassword": sub(secret % "password"),
            "BackupRetentionPeriod": 7, "DeletionProtection": True, "PubliclyAccessible": False,
            "AutoMinorVersionUpgrade": True, "CopyTagsToSnapshot": True, "EnableIAMDatabaseAuthentication": True,
            "EnableCloudwatchLogsExports": ["error", "slowquery"], "MonitoringInterval": 60,
            "MonitoringRoleArn": att("DatabaseMonitoringRole", "Arn"), "EnablePerformanceInsights": False,
            "DBSubnetGroupName": ref("DatabaseSubnets"), "VPCSecurityGroups": [ref("DatabaseSecurityGroup")]}},
        "DatabaseSecretAttachment": {"Type": "AWS::SecretsManager::SecretTargetAttachment", "Properties": {
            "SecretId": ref("DatabaseSecret"), "TargetId": ref("Database"), "TargetType": "AWS::RDS::DBInstance"}},
        "DatabaseMonitoringRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": trust("monitoring.rds.amazonaws.com"),
            "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")]}},
        "DatabaseProxyRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": trust("rds.amazonaws.com"),
            "Policies": [policy("read-db-secret", [allow(["secretsmanager:GetSecretValue"], ref("DatabaseSecret")),
                                                   allow(["kms:Decrypt"], att("DataKey", "Arn"), {"StringEquals": {
                                                       "kms:ViaService": sub("secretsmanager.${AWS::Region}.amazonaws.com")}})])]}},
        "DatabaseProxy": {"Type": "AWS::RDS::DBProxy", "Properties": {
            "DBProxyName": sub("${AWS::StackName}-db"), "EngineFamily": "MYSQL", "RequireTLS": True,
            "IdleClientTimeout": 1800, "RoleArn": att("DatabaseProxyRole", "Arn"),
            "Auth": [{"AuthScheme": "SECRETS", "SecretArn": ref("DatabaseSecret"), "IAMAuth": "REQUIRED"}],
            "VpcSubnetIds": subnets(), "VpcSecurityGroupIds": [ref("ProxySecurityGroup")]}},
        "DatabaseProxyTargets": {"Type": "AWS::RDS::DBProxyTargetGroup", "Properties": {
            "DBProxyName": ref("DatabaseProxy"), "TargetGroupName": "default", "DBInstanceIdentifiers": [ref("Database")],
            "ConnectionPoolConfigurationInfo": {"MaxConnectionsPercent": 90, "ConnectionBorrowTimeout": 30}},
            "DependsOn": "DatabaseSecretAttachment"},
        "AppSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": ref("DataKey"),
            "Description": "CyberIncident session and token signing key (generated)",
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True}}},
        "AdminSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"KmsKeyId": ref("DataKey"),
            "Description": "CyberIncident first admin password (generated; change it after the first login)",
            "GenerateSecretString": {"PasswordLength": 24, "ExcludePunctuation": True}}},
    }


def db_connect() -> dict:
    """IAM authentication to the proxy as the application user: ``rds-db:connect`` on the proxy's resource id."""
    proxy_id = {"Fn::Select": [6, {"Fn::Split": [":", att("DatabaseProxy", "DBProxyArn")]}]}
    return allow(["rds-db:connect"], {"Fn::Sub": ["arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:"
                                                  f"dbuser:${{ProxyId}}/{DB_USER}", {"ProxyId": proxy_id}]})


# -- IAM helpers ---------------------------------------------------------------------------------------------------
def trust(service: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                    "Action": "sts:AssumeRole"}]}


def allow(actions: list[str], resource: Any, condition: dict | None = None) -> dict:
    st = {"Effect": "Allow", "Action": sorted(actions), "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def policy(name: str, statements: list[dict]) -> dict:
    return {"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}


# -- storage -------------------------------------------------------------------------------------------------------
PRIVATE = {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
SSE = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                              "BucketKeyEnabled": True}]}


def bucket(logs_prefix: str | None, lifecycle: list[dict], **extra: Any) -> dict:
    props = {"PublicAccessBlockConfiguration": PRIVATE, "BucketEncryption": SSE,
             "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
             "VersioningConfiguration": {"Status": "Enabled"},
             "LifecycleConfiguration": {"Rules": [{"Id": "abort-uploads", "Status": "Enabled",
                                                   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
                                                  *lifecycle]}, **extra}
    if logs_prefix:
        props["LoggingConfiguration"] = {"DestinationBucketName": ref("AccessLogsBucket"), "LogFilePrefix": logs_prefix}
    return {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": props}


def tls_only(name: str, extra: list[dict] | None = None) -> dict:
    arn = att(name, "Arn")
    return {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": ref(name), "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [
            {"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [arn, {"Fn::Sub": "${%s.Arn}/*" % name}], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            *(extra or [])]}}}


def storage() -> dict:
    noncurrent = lambda days: {"Id": "old-versions", "Status": "Enabled",  # noqa: E731
                               "NoncurrentVersionExpiration": {"NoncurrentDays": days}}
    return {
        "AccessLogsBucket": bucket(None, [{"Id": "expire", "Status": "Enabled", "ExpirationInDays": 365}, noncurrent(7)]),
        "AccessLogsBucketPolicy": tls_only("AccessLogsBucket", [{
            "Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": sub("${AccessLogsBucket.Arn}/*"),
            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}}, {
            "Sid": "VpcFlowLogs", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": sub("${AccessLogsBucket.Arn}/vpc-flow-logs/*"),
            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}}, {
            "Sid": "VpcFlowLogsAcl", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:GetBucketAcl", "Resource": att("AccessLogsBucket", "Arn"),
            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}}]),
        "EvidenceBucket": bucket("evidence/", [{"Id": "old-versions-to-glacier", "Status": "Enabled",
                                                "NoncurrentVersionTransitions": [{"StorageClass": "GLACIER",
                                                                                  "TransitionInDays": 90}]}],
                                 # Object Lock without a default rule: a default retention makes S3 demand a
                                 # Content-MD5 on every browser upload; evidence_arrived locks each stored version
                                 ObjectLockEnabled=True, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"},
                                 NotificationConfiguration={"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
                                 CorsConfiguration={"CorsRules": [{
                                     "AllowedMethods": ["GET", "PUT", "POST"], "AllowedHeaders": ["*"],
                                     "ExposedHeaders": ["ETag"], "MaxAge": 600, "AllowedOrigins": [{"Fn::If": [
                                         "HasOrigin", ref("AppOrigin"),
                                         sub("https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}")]}]}]}),
        "EvidenceBucketPolicy": tls_only("EvidenceBucket"),
        "LogsBucket": bucket("logs/", [{"Id": "archive-tiers", "Status": "Enabled", "Prefix": "logs/",
                                        "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                                                        {"StorageClass": "GLACIER_IR", "TransitionInDays": 90}],
                                        "ExpirationInDays": ref("LogArchiveDays")}, noncurrent(7)]),
        "LogsBucketPolicy": tls_only("LogsBucket"),
        "ReportsBucket": bucket("reports/", [{"Id": "expire-exports", "Status": "Enabled", "Prefix": "exports/",
                                              "ExpirationInDays": 30},  # scan reports and incident PDFs stay
                                             noncurrent(1)]),
        "ReportsBucketPolicy": tls_only("ReportsBucket"),
    }


# -- streaming and notifications ----------------------------------------------------------------------------------
def streaming(stage: str) -> dict:
    return {
        "EventStream": {"Type": "AWS::Kinesis::Stream", "Properties": {
            "Name": f"cyberincident-{stage}-events",  # the name Chalice's event source was packaged with
            "RetentionPeriodHours": 168,  # the pipeline's replay marks are kept 8 days
            "StreamModeDetails": {"StreamMode": ref("KinesisMode")},
            "ShardCount": {"Fn::If": ["OnDemand", ref("AWS::NoValue"), ref("KinesisShards")]},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}}},
        # one customer-managed key for the topic, secrets, queues, logs, image and Lambda environments
        # ($1 a month); CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key at all
        "DataKey": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {
            "Description": "CyberIncident data at rest", "EnableKeyRotation": True, "KeyPolicy": {
                "Version": "2012-10-17", "Statement": [
                    {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                     "Action": "kms:*", "Resource": "*"},
                    {"Sid": "AlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                     "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                     "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}},
                    {"Sid": "LogGroups", "Effect": "Allow", "Principal": {"Service": sub("logs.${AWS::Region}.amazonaws.com")},
                     "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:Describe*"],
                     "Resource": "*", "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sub(
                         "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")}}}]}}},
        "DataKeyAlias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": sub("alias/${AWS::StackName}-data"),
                                                                  "TargetKeyId": ref("DataKey")}},
        "AlertTopic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "CyberIncident alerts",
                                                                "KmsMasterKeyId": ref("DataKey")}},
        "AlertTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [ref("AlertTopic")], "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Sid": "AlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish", "Resource": ref("AlertTopic"),
                "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}}]}}},
        "AlertEmailSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasEmail", "Properties": {
            "TopicArn": ref("AlertTopic"), "Protocol": "email", "Endpoint": ref("AlertEmail")}},
        "DeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600,
                                                                     "KmsMasterKeyId": ref("DataKey")}},
        # events a function invoked asynchronously (EventBridge, the schedule, CloudFormation) could not handle
        "AsyncFailureQueue": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600,
                                                                       "KmsMasterKeyId": ref("DataKey")}},
    }


# -- the analyzer (ECS Fargate) -------------------------------------------------------------------------------------
def analyzer() -> dict:
    return {
        "AnalyzerRepository": {"Type": "AWS::ECR::Repository", "Properties": {
            "ImageTagMutability": "IMMUTABLE", "ImageScanningConfiguration": {"ScanOnPush": True},
            "EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": att("DataKey", "Arn")},
            "LifecyclePolicy": {"LifecyclePolicyText": json.dumps({"rules": [{
                "rulePriority": 1, "description": "keep the last 10 images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
                "action": {"type": "expire"}}]})}}},
        "AnalyzerCluster": {"Type": "AWS::ECS::Cluster", "Properties": {
            "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}},
        "AnalyzerLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 90,
                                                                          "KmsKeyId": att("DataKey", "Arn")}},
        "AnalyzerExecutionRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": trust("ecs-tasks.amazonaws.com"), "Policies": [policy("pull-and-log", [
                allow(["ecr:GetAuthorizationToken"], "*"),  # no resource-level permission exists for it
                allow(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                      att("AnalyzerRepository", "Arn")),
                allow(["kms:Decrypt"], att("DataKey", "Arn")),  # image layers are encrypted under it
                allow(["logs:CreateLogStream", "logs:PutLogEvents"], sub("${AnalyzerLogGroup.Arn}"))])]}},
        "AnalyzerTaskRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": trust("ecs-tasks.amazonaws.com"), "Policies": [policy("scan", [
                allow(["s3:ListBucket"], att("LogsBucket", "Arn")),
                allow(["s3:GetObject"], sub("${LogsBucket.Arn}/logs/*")),
                allow(["s3:PutObject"], sub("${ReportsBucket.Arn}/scans/*")),
                allow(["sns:Publish"], ref("AlertTopic")),
                allow(["kms:Decrypt", "kms:GenerateDataKey"], att("DataKey", "Arn")),
                db_connect()])]}},
        "AnalyzerTaskDefinition": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc", "Cpu": ref("AnalyzerCpu"),
            "Memory": ref("AnalyzerMemory"), "ExecutionRoleArn": att("AnalyzerExecutionRole", "Arn"),
            "TaskRoleArn": att("AnalyzerTaskRole", "Arn"),
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"},
            "Volumes": [{"Name": "tmp"}],
            "ContainerDefinitions": [{
                "Name": "analyzer", "Essential": True, "ReadonlyRootFilesystem": True,
                "Image": sub("${AnalyzerRepository.RepositoryUri}:${AnalyzerImageTag}"),
                "MountPoints": [{"SourceVolume": "tmp", "ContainerPath": "/tmp"}],
                "Environment": [{"Name": k, "Value": v} for k, v in app_environment().items()],
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                    "awslogs-group": ref("AnalyzerLogGroup"), "awslogs-region": ref("AWS::Region"),
                    "awslogs-stream-prefix": "scan"}}}]}},
    }


def app_environment() -> dict:
    """What every runtime reads (chalicelib/config.py). PUBLIC_URL is not here: the API's own URL would make a
    cycle (API → function → its environment → API); the launcher passes the address a scan was launched from."""
    return {
        "DATABASE_URL": sub(f"mysql://{DB_USER}@${{DatabaseProxy.Endpoint}}:3306/cyberincident"),
        "DB_IAM_AUTH": "1", "EVIDENCE_BUCKET": ref("EvidenceBucket"), "LOGS_BUCKET": ref("LogsBucket"),
        "REPORTS_BUCKET": ref("ReportsBucket"), "KINESIS_STREAM": ref("EventStream"),
        "SNS_TOPIC_ARN": ref("AlertTopic"), "DLQ_URL": ref("DeadLetterQueue"),
    }


def public_url(stage: str) -> dict:
    return {"Fn::If": ["HasPublicUrl", ref("PublicUrl"),
                       sub(f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}")]}


# -- the functions Chalice generates: environment, network, and where their events come from -----------------------
def functions(stage: str) -> dict:
    out: dict[str, Any] = {}
    for name in FUNCTIONS:
        env = {**app_environment(), "SECRET_KEY_ARN": ref("AppSecret")}
        if name != "APIHandler":  # the API cannot name its own URL (a cycle); the senders of links can
            env["PUBLIC_URL"] = public_url(stage)
        else:  # a custom domain when given; otherwise the API reads its address from each request's context
            env["PUBLIC_URL"] = {"Fn::If": ["HasPublicUrl", ref("PublicUrl"), ref("AWS::NoValue")]}
        if name in ("APIHandler", "Housekeeping"):
            env.update({"SCAN_LAUNCHER": "ecs", "ECS_CLUSTER": ref("AnalyzerCluster"),
                        "ECS_TASK_DEFINITION": ref("AnalyzerTaskDefinition"), "ECS_CONTAINER": "analyzer",
                        "ECS_SUBNETS": {"Fn::Join": [",", subnets()]},
                        "ECS_SECURITY_GROUPS": ref("AnalyzerSecurityGroup")})
        if name == "EvidenceArrived":
            env["EVIDENCE_RETENTION_DAYS"] = ref("EvidenceRetentionDays")
        if name == "Deploy":
            env["ADMIN_SECRET_ARN"] = ref("AdminSecret")
        out[name] = {"Properties": {
            "Environment": {"Variables": env}, "KmsKeyArn": att("DataKey", "Arn"),
            # X-Ray on the API only: traced once a second, the stream handler alone would cost about $13 a month
            "Tracing": "Active" if name == "APIHandler" else "PassThrough",
            "VpcConfig": {"SubnetIds": subnets(), "SecurityGroupIds": [ref("LambdaSecurityGroup")]}}}
        if name in ASYNC:
            out[name]["Properties"]["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": att("AsyncFailureQueue", "Arn")}
    # the stream's ARN comes from Chalice (packaged with KINESIS_STREAM=cyberincident-<stage>-events)
    out["StreamIngest"]["Properties"]["Events"] = {"StreamIngestKinesisEventSource": {"Properties": {
        "FunctionResponseTypes": ["ReportBatchItemFailures"], "BisectBatchOnFunctionError": True,
        # retried until a day old (a database outage of hours parks nothing); then the batch's range goes to the
        # queue and `manage redrive` reads it back from the stream (kept 7 days)
        "MaximumRetryAttempts": -1, "MaximumRecordAgeInSeconds": 86400,
        "DestinationConfig": {"OnFailure": {"Destination": att("DeadLetterQueue", "Arn")}}}}}
    out["EvidenceArrived"]["Properties"]["Events"] = {"EvidenceArrivedEvent": {"Properties": {"Pattern": {
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [ref("EvidenceBucket")]}, "object": {"key": [{"prefix": "evidencias/"}]}}}}}}
    out["RestAPI"] = {"Properties": {
        "TracingEnabled": True,
        "AccessLogSetting": {"DestinationArn": att("ApiAccessLogGroup", "Arn"), "Format": json.dumps({
            "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "time": "$context.requestTime",
            "method": "$context.httpMethod", "path": "$context.path", "status": "$context.status",
            "latencyMs": "$context.responseLatency", "userAgent": "$context.identity.userAgent"})},
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "ERROR", "MetricsEnabled": True,
                            "ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100}]},
        "DependsOn": ["ApiGatewayAccount"]}
    out["ApiAccessLogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 365,
                                                                             "KmsKeyId": att("DataKey", "Arn")}}
    # API Gateway writes logs through one role per account and region (this sets it; it is harmless if it was set)
    out["ApiGatewayLogsRole"] = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": trust("apigateway.amazonaws.com"), "ManagedPolicyArns": [
            sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")]}}
    out["ApiGatewayAccount"] = {"Type": "AWS::ApiGateway::Account",
                                "Properties": {"CloudWatchRoleArn": att("ApiGatewayLogsRole", "Arn")}}
    # every deploy runs the migrations and the first-admin bootstrap before the stack is complete
    out["DeployMigrations"] = {"Type": "Custom::Migrations", "DependsOn": ["DatabaseProxyTargets", "SecretsmanagerEndpoint"],
                               "Properties": {"ServiceToken": att("Deploy", "Arn"), "Build": build_id()}}
    return out


def build_id() -> str:
    import time

    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


# -- alarms and a dashboard --------------------------------------------------------------------------------------
def alarm(name: str, namespace: str, metric: str, dims: dict, threshold: float, stat: str = "Sum",
          period: int = 300, periods: int = 1, desc: str = "") -> dict:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": desc or name, "Namespace": namespace, "MetricName": metric, "Statistic": stat,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()], "Period": period,
        "EvaluationPeriods": periods, "Threshold": threshold, "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching", "AlarmActions": [ref("AlertTopic")], "OKActions": [ref("AlertTopic")]}}


def monitoring() -> dict:
    r = {
        "StreamIteratorAgeAlarm": alarm("stream behind", "AWS/Lambda", "IteratorAge", {"FunctionName": ref("StreamIngest")},
                                        60000, "Maximum", periods=3, desc="stream handler more than a minute behind"),
        "DeadLetterAlarm": alarm("DLQ", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                 {"QueueName": att("DeadLetterQueue", "QueueName")}, 0, "Maximum",
                                 desc="records parked in the dead-letter queue"),
        "DatabaseCpuAlarm": alarm("db cpu", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": ref("Database")},
                                  80, "Average", periods=3, desc="MySQL CPU above 80 % for 15 minutes"),
        "DatabaseConnectionsAlarm": alarm("db connections", "AWS/RDS", "DatabaseConnections",
                                          {"DBInstanceIdentifier": ref("Database")}, 60, "Maximum", periods=2,
                                          desc="MySQL connections near the t4g.micro limit"),
    }
    for fn in FUNCTIONS:
        r[f"{fn}ErrorsAlarm"] = alarm(f"{fn} errors", "AWS/Lambda", "Errors", {"FunctionName": ref(fn)}, 0,
                                      desc=f"{fn} raised errors")
        r[f"{fn}ThrottlesAlarm"] = alarm(f"{fn} throttles", "AWS/Lambda", "Throttles", {"FunctionName": ref(fn)}, 0,
                                         desc=f"{fn} was throttled")
    widgets = [
        ("Records in / to the DLQ", [["CyberIncident", "RecordsIn"], ["CyberIncident", "RecordsToDLQ"]]),
        ("Alerts by severity", [["CyberIncident", "Alerts"]]),
        ("Stream handler iterator age", [["AWS/Lambda", "IteratorAge", "FunctionName", "${StreamIngest}"]]),
        ("Lambda errors", [["AWS/Lambda", "Errors", "FunctionName", "${%s}" % fn] for fn in FUNCTIONS]),
        ("MySQL CPU and connections", [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "${Database}"],
                                       ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "${Database}"]]),
    ]
    body = {"widgets": [{"type": "metric", "x": (i % 2) * 12, "y": (i // 2) * 6, "width": 12, "height": 6,
                         "properties": {"title": title, "metrics": metrics, "region": "${AWS::Region}", "stat": "Sum",
                                        "period": 300}} for i, (title, metrics) in enumerate(widgets)]}
    r["Dashboard"] = {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": sub("${AWS::StackName}"), "DashboardBody": sub(json.dumps(body))}}
    return r


ENI_REASON = ("the ENI actions a VPC Lambda needs (as in AWSLambdaVPCAccessExecutionRole) and X-Ray's have no "
              "resource-level permissions; every other action names its resource")
# checkov findings we accept, each with its reason (written into the resource's Metadata, where checkov reads it)
SKIPS: dict[str, list[tuple[str, str]]] = {
    **{f"{fn}Role": [("CKV_AWS_111", ENI_REASON)] for fn in ("ApiHandler", "StreamIngest", "Housekeeping",
                                                              "EvidenceArrived", "Deploy")},
    "StreamIngest": [("CKV_AWS_116", "a stream function's failed records go to the event source mapping's on-failure "
                                     "destination (DeadLetterQueue), which a function DLQ would not receive")],
    "APIHandler": [("CKV_AWS_116", "invoked synchronously by API Gateway: the caller receives the error")],
    "RestAPI": [("CKV_AWS_120", "every response is per user and authenticated; caching one would leak it")],
    "Database": [("CKV_AWS_157", "Multi-AZ is the MultiAZ parameter, off by default to halve a small deployment's cost")],
    "AccessLogsBucket": [("CKV_AWS_18", "this is the access-log bucket; logging it into itself would loop")],
}


def template(stage: str = "dev") -> dict:
    params = parameters()
    params["PublicUrl"] = {"Type": "String", "Default": "", "Description": "the app's URL in e-mails (default: the API)"}
    conds = conditions()
    conds["HasPublicUrl"] = {"Fn::Not": [{"Fn::Equals": [ref("PublicUrl"), ""]}]}
    resources = {**network(), **database(), **storage(), **streaming(stage), **analyzer(), **monitoring(), **functions(stage)}
    for name, skips in SKIPS.items():
        resources.setdefault(name, {})["Metadata"] = {"checkov": {"skip": [{"id": i, "comment": c} for i, c in skips]}}
    return {"Description": "CyberIncident: serverless incident response and threat detection (Chalice + infra/stack.py)",
            "Parameters": params, "Conditions": conds, "Resources": resources,
            "Outputs": {"AnalyzerRepositoryUri": {"Value": att("AnalyzerRepository", "RepositoryUri")},
                        "AdminSecretArn": {"Value": ref("AdminSecret")},
                        "AlertTopicArn": {"Value": ref("AlertTopic")},
                        "EvidenceBucketName": {"Value": ref("EvidenceBucket")},
                        "LogsBucketName": {"Value": ref("LogsBucket")},
                        "EventStreamName": {"Value": ref("EventStream")},
                        "DatabaseProxyEndpoint": {"Value": att("DatabaseProxy", "Endpoint")},
                        "DashboardName": {"Value": ref("Dashboard")}}}


# -- least privilege, one policy per function (written to .chalice/policy-<function>.json) ----------------------------
def policies() -> dict[str, dict]:
    """Chalice's ``iam_policy_file`` per function. Only the ENI, X-Ray and ECR-token actions use ``*``: AWS offers
    no resource-level permission for them."""
    base = [
        allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
              sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${AWS::StackName}-*")),
        allow(["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
               "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses"], "*"),
        allow(["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*"),
        allow(["kms:Decrypt", "kms:GenerateDataKey"], att("DataKey", "Arn")),  # environment, secrets, queues, topic
        db_connect(),
    ]
    evidence_objects = sub("${EvidenceBucket.Arn}/*")
    publish = [allow(["sns:Publish"], ref("AlertTopic"))]
    async_failures = allow(["sqs:SendMessage"], att("AsyncFailureQueue", "Arn"))
    tasks = sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${AnalyzerCluster}/*")
    on_cluster = {"ArnEquals": {"ecs:cluster": att("AnalyzerCluster", "Arn")}}
    docs = {
        "api_handler": [
            allow(["s3:ListBucket"], att("EvidenceBucket", "Arn")),  # /status, and a 404 (not 403) for a missing key
            allow(["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion",
                   "s3:ListMultipartUploadParts", "s3:PutObject"], evidence_objects),
            allow(["s3:GetObject", "s3:PutObject"], sub("${ReportsBucket.Arn}/*")),
            allow(["secretsmanager:GetSecretValue"], ref("AppSecret")),
            allow(["ecs:RunTask"], ref("AnalyzerTaskDefinition"), on_cluster),
            allow(["ecs:DescribeTasks", "ecs:StopTask"], tasks, on_cluster),
            allow(["iam:PassRole"], [att("AnalyzerTaskRole", "Arn"), att("AnalyzerExecutionRole", "Arn")],
                  {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        ],
        "stream_ingest": [
            allow(["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                   "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"], att("EventStream", "Arn")),
            allow(["kinesis:ListStreams"], sub("arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/*")),
            allow(["sqs:SendMessage"], att("DeadLetterQueue", "Arn")),
            allow(["s3:PutObject"], sub("${LogsBucket.Arn}/logs/*")),
            *publish,
        ],
        "housekeeping": [*publish, allow(["ecs:DescribeTasks"], tasks, on_cluster), async_failures],
        "evidence_arrived": [
            allow(["s3:ListBucket"], att("EvidenceBucket", "Arn")),
            allow(["s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:PutObject",
                   "s3:PutObjectRetention", "s3:PutObjectTagging"], evidence_objects),
            async_failures,
        ],
        "deploy": [allow(["secretsmanager:GetSecretValue"], ref("AdminSecret")), async_failures],
    }
    return {name: {"Version": "2012-10-17", "Statement": base + extra} for name, extra in docs.items()}


def main(argv: list[str]) -> int:
    """``stack.py merge STAGE`` prints the merge template; ``stack.py policies DIR`` writes the policy files."""
    if argv[:1] == ["merge"]:
        print(json.dumps(template(argv[1] if len(argv) > 1 else "dev"), indent=1))
        return 0
    if argv[:1] == ["policies"]:
        from pathlib import Path

        for name, doc in policies().items():
            Path(argv[1], f"policy-{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
        return 0
    print(main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
