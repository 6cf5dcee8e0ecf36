"""AWS VPC Flow Logs: the default v2 line, custom formats (the field-name header line AWS writes at the top of
each S3 object) and every v3-v8 field.

Space-separated values, ``-`` for a field that does not apply; no library is needed. NODATA / SKIPDATA records
(no traffic / records lost in the capture window) are kept as events with ``event.action``/``event.outcome``
absent and ``event.reason`` set, so a capture gap is visible. SigmaHQ has no VPC-flow logsource (only CloudTrail
rules about deleting flow logs); a flow record is a firewall decision, so ``category: firewall`` with Sigma's
generic firewall field names (``src_ip``, ``dst_port``, ``action`` ...) lets the firewall rules apply.
"""
from __future__ import annotations

from typing import Any

from .common import Event

V2 = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets",
      "bytes", "start", "end", "action", "log-status")
V5 = V2 + ("vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
           "region", "az-id", "sublocation-type", "sublocation-id",
           "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path")
LATER = ("ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
         "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
         "ecs-task-arn", "ecs-task-id", "reject-reason")
KNOWN = frozenset(V5 + LATER)
INTS = frozenset(("version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp-flags",
                  "traffic-path"))
PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 47: "gre", 50: "esp", 51: "ah", 132: "sctp"}
ECS = {"srcaddr": "source.ip", "dstaddr": "destination.ip", "srcport": "source.port", "dstport": "destination.port",
       "account-id": "cloud.account.id", "region": "cloud.region", "az-id": "cloud.availability_zone",
       "instance-id": "cloud.instance.id", "interface-id": "observer.ingress.interface.id", "packets": "source.packets",
       "bytes": "source.bytes", "reject-reason": "event.reason"}
SIGMA = {"srcaddr": "src_ip", "dstaddr": "dst_ip", "srcport": "src_port", "dstport": "dst_port"}


def _fields(text: str) -> list[str]:
    return [f[2:-1] if f.startswith("${") and f.endswith("}") else f for f in text.split()]


def header(text: str, ctx: dict) -> bool:
    """The first line of an S3 object names its fields (``version account-id ...``)."""
    names = _fields(text)
    if len(names) < 3 or not all(n in KNOWN for n in names):
        return False
    ctx["vpcflow_fields"] = names
    return True


def sniff(text: str) -> bool:
    parts = text.split(" ", 3)
    return (len(parts) == 4 and parts[0].isdigit() and len(parts[0]) == 1 and parts[1].isdigit()
            and (parts[2].startswith("eni-") or parts[2] == "-"))


def parse(text: str, ctx: dict | None = None) -> Event | None:
    values = text.split()
    fields = (ctx or {}).get("vpcflow_fields")
    if fields and len(values) != len(fields):
        return None
    if not fields:  # no header: the default v2 line, or a longer line in the documented field order
        if not sniff(text) or not len(V2) <= len(values) <= len(V5 + LATER):
            return None
        fields = V2 if len(values) == len(V2) else V5 + LATER
    rec: dict[str, Any] = {}
    for name, raw in zip(fields, values):
        if raw == "-":
            continue
        if name in INTS:
            try:
                rec[name] = int(raw)
            except ValueError:
                return None
        else:
            rec[name] = raw
    return _ecs(rec) if rec else None


def _ecs(rec: dict[str, Any]) -> Event:
    ev: Event = dict(rec)
    for src, dst in ECS.items():
        if src in rec:
            ev[dst] = rec[src]
    for src, dst in SIGMA.items():
        if src in rec:
            ev[dst] = rec[src]
    if "bytes" in rec:
        ev["network.bytes"] = rec["bytes"]
    if "packets" in rec:
        ev["network.packets"] = rec["packets"]
    proto = rec.get("protocol")
    if isinstance(proto, int):
        ev["network.iana_number"] = str(proto)
        ev["network.transport"] = PROTOCOLS.get(proto, str(proto))
    if isinstance(rec.get("start"), int):
        ev["_ts"] = float(rec["start"])
        ev["event.start"] = rec["start"]
    if isinstance(rec.get("end"), int):
        ev["event.end"] = rec["end"]
    action = str(rec.get("action", "")).upper()
    if action in ("ACCEPT", "REJECT"):
        ev["event.action"] = "allow" if action == "ACCEPT" else "deny"
        ev["event.outcome"] = "success" if action == "ACCEPT" else "failure"
        ev["event.type"] = "allowed" if action == "ACCEPT" else "denied"
    status = rec.get("log-status")
    if status in ("NODATA", "SKIPDATA"):
        ev["event.reason"] = ("no traffic in the capture window" if status == "NODATA"
                              else "records skipped during the capture window")
    if rec.get("flow-direction") in ("ingress", "egress"):
        ev["network.direction"] = rec["flow-direction"]
    if isinstance(rec.get("type"), str):
        ev["network.type"] = rec["type"].lower()
    ev.update({"event.category": "network", "event.kind": "event", "cloud.provider": "aws",
               "observer.vendor": "aws", "observer.product": "vpcflowlogs"})
    ev["_logsource"] = {"product": "aws", "service": "vpcflowlogs", "category": "firewall"}
    return ev
