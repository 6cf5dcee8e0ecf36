"""A scan's report, HTML and JSON, in the private reports bucket; the app hands out short-lived links to it.

Both are downloads (``attachment``): the HTML quotes log lines an attacker may have written, so it is escaped
and carries no script, and it is never served inline from the bucket's origin.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from .. import aws, scans
from ..config import get_settings
from ..errors import NotFound, ValidationError

LINK_SECONDS = 300
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"  # the app's folder, here and in the image


def build(scan_id: int) -> dict[str, Any]:
    scan = scans.get(scan_id, limit=None)
    return {"report": "CyberIncident deep scan", "scan": {k: v for k, v in scan.items() if k != "alerts"},
            "findings": scan["alerts"]}


def html(report: dict[str, Any]) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    return env.get_template("scan_report.html").render(r=report, s=report["scan"])


def publish(scan_id: int) -> str:
    """Write both files; returns the key prefix stored on the scan."""
    report = build(scan_id)
    prefix = f"scans/{int(scan_id)}/report"
    s3, bucket = aws.client("s3"), get_settings().reports_bucket
    s3.put_object(Bucket=bucket, Key=f"{prefix}.json", ServerSideEncryption="AES256", ContentType="application/json",
                  Body=orjson.dumps(report, option=orjson.OPT_INDENT_2, default=str))
    s3.put_object(Bucket=bucket, Key=f"{prefix}.html", ServerSideEncryption="AES256",
                  ContentType="text/html; charset=utf-8", Body=html(report).encode())
    return prefix


def link(scan_id: int, fmt: str) -> str:
    if fmt not in ("html", "json"):
        raise ValidationError("Formato no válido / Invalid format", {"format": "html or json"})
    row = scans.get_row(scan_id)
    if not row["informe_clave"]:
        raise NotFound("Este escaneo aún no tiene informe / This scan has no report yet")
    name = f"cyberincident-scan-{int(scan_id)}.{fmt}"
    return aws.client("s3").generate_presigned_url("get_object", Params={
        "Bucket": get_settings().reports_bucket, "Key": f"{row['informe_clave']}.{fmt}",
        "ResponseContentDisposition": f'attachment; filename="{name}"'}, ExpiresIn=LINK_SECONDS)
