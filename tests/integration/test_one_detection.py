"""One detection everywhere (issue 13): the same log file through ``python -m detectors scan``, the Kinesis handler
and a deep scan of what the handler archived gives the same alerts, with the same counts."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone

from tests.conftest import ROOT
from tests.integration.test_deepscan_archive import archive_batch, window
from tests.integration.test_pipeline import ship, stream  # noqa: F401
from tests.integration.test_scans import logs  # noqa: F401  (a logs bucket of this test's own)

BRUTE, SWEEP, SCANNER, OFFICE = "203.0.113.66", "198.51.100.9", "203.0.113.80", "192.0.2.10"
DEVICE = "bastion-1"  # the shipper tails one file as one device
INVALID_USER, ROOT_LOGIN = "9f0c6c7e-6d0b-4b8f-9a57-1f1a0b6b2a01", "9f0c6c7e-6d0b-4b8f-9a57-1f1a0b6b2a02"  # rule ids
SQLI, SCANNER_UA = "5a2d7e14-0c9b-4f7a-8e33-6b1f2c9d0a21", "3c1f6a52-8b0e-4c3e-9f61-2d7c0e5a9b11"


def bsd(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%b %e %H:%M:%S")


def clf(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")


def log_lines(t0: float) -> list[str]:
    """Seven minutes of a bastion that also fronts a web shop, oldest first, starting at ``t0``."""
    out: list[tuple[float, str]] = []
    sshd = lambda t, pid, msg: out.append((t, f"{bsd(t)} {DEVICE} sshd[{pid}]: {msg}"))  # noqa: E731
    sshd(t0, 2101, f"Accepted publickey for alice from {OFFICE} port 51022 ssh2: ED25519 SHA256:Zm9vYmFyYmF6")
    out.append((t0 + 5, f"{bsd(t0 + 5)} {DEVICE} CRON[2110]: (root) CMD (run-parts /etc/cron.hourly)"))
    for c in range(6):  # six connections of three password guesses each: PAM and sshd tell each attempt once
        t, pid, port = t0 + 60 + c * 12, 3000 + c, 40100 + c
        sshd(t, pid, f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                     f"rhost={BRUTE}  user=root")
        for k in range(3):
            sshd(t + 1 + 3 * k, pid, f"Failed password for root from {BRUTE} port {port} ssh2")
        sshd(t + 10, pid, f"PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
                          f"rhost={BRUTE}  user=root")
        sshd(t + 10, pid, f"Connection closed by authenticating user root {BRUTE} port {port} [preauth]")
    for i, user in enumerate(("oracle", "admin", "test", "ubuntu", "postgres")):  # one source, five accounts
        t, pid, port = t0 + 200 + i * 7, 3500 + i, 52000 + i
        sshd(t, pid, f"Invalid user {user} from {SWEEP} port {port}")
        sshd(t + 2, pid, f"Failed password for invalid user {user} from {SWEEP} port {port} ssh2")
    web = [("GET", "/", 200, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", OFFICE),
           ("GET", "/products.php?id=7", 200, "sqlmap/1.7.2#stable (https://sqlmap.org)", SCANNER),
           ("GET", "/products.php?id=7%27%20UNION%20ALL%20SELECT%20NULL%2CNULL%2CNULL--%20-", 500,
            "sqlmap/1.7.2#stable (https://sqlmap.org)", SCANNER),
           ("GET", "/products.php?id=7%2527%2520or%25201%253D1--", 200, "sqlmap/1.7.2#stable (https://sqlmap.org)",
            SCANNER),
           ("GET", "/static/app.css", 200, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            OFFICE)]
    for i, (method, path, status, agent, src) in enumerate(web):
        t = t0 + 400 + i * 3
        out.append((t, f'{src} - - [{clf(t)}] "{method} {path} HTTP/1.1" {status} {512 + i} "-" "{agent}"'))
    sshd(t0 + 150, 3010, f"Accepted password for root from {BRUTE} port 40999 ssh2")  # the guessing worked
    return [line for _, line in sorted(out, key=lambda p: p[0])]


def summary(alerts) -> dict[tuple[str, str], tuple[int, object]]:
    """(rule id, entity key) → (count, observed): the stream's rows and the detectors' Alert objects alike."""
    from chalicelib.alerts import entity_key

    out: dict[tuple[str, str], tuple[int, object]] = {}
    for a in alerts:
        if isinstance(a, dict) and "regla_id" in a:
            rid, ent, n, expl = a["regla_id"], a["entidad_clave"], int(a["conteo"]), json.loads(a["explicacion"])
        else:
            a = a if isinstance(a, dict) else a.to_dict()
            rid, ent, n, expl = a["rule_id"], entity_key(a["entity"]), int(a["count"]), a["explanation"]
        if rid.startswith("ci-deepscan-"):
            continue  # the range-wide analyses only a deep scan makes (beacons, first sightings, indicators)
        prev = out.get((rid, ent), (0, None))
        out[(rid, ent)] = (prev[0] + n, expl.get("observed") if rid.startswith("ci-anomaly-") else None)
    return out


def test_the_cli_the_stream_and_a_deep_scan_raise_the_same_alerts(logs, db, tmp_path, monkeypatch):  # noqa: F811
    from chalicelib import config, detector_state
    from chalicelib.deepscan.archive_reader import scan_range
    from chalicelib.deepscan.parallel import scanner_factory
    from chalicelib.pipeline import ingest

    lines = log_lines(time.time() - 30 * 60)
    path = tmp_path / "bastion.log"
    path.write_text("\n".join(lines) + "\n")

    out = tmp_path / "alerts.jsonl"
    r = subprocess.run([sys.executable, "-m", "detectors", "scan", "--input", str(path), "--output", str(out),
                        "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    stream_det = ingest.detector()  # the stream's own engine: the CLI ran the same rules and detectors
    assert f"rules: {stream_det.sigma.rules_loaded} Sigma (deployed set), {len(stream_det.sigma.correlations)} " \
           "correlations" in r.stderr, r.stderr
    assert ", ".join(d.id.removeprefix("ci-anomaly-") for d in stream_det.anomalies) in r.stderr
    cli = summary(json.loads(line) for line in out.read_text().splitlines())

    monkeypatch.setenv("PIPELINE_CHUNK_RECORDS", "7")  # windows must carry across chunks, as across batches
    config.reset()
    detector_state.reset()
    ship([(DEVICE, line.encode()) for line in lines])
    start, end = window(archive_batch(logs["name"]))
    streamed = summary(db.query("SELECT regla_id, entidad_clave, conteo, explicacion FROM alertas"))

    deep = scan_range(start, end, scanner_factory({})())  # what a scan job builds for "all rules"
    assert deep["records"] == len(lines) and deep["parse_errors"] == 0 and not deep["corrupt"]
    scanned = summary(deep["alerts"])

    assert cli == {  # (count, observed): 18 guesses in 36 sshd + PAM lines count 18; 5 invalid users, 10 lines
        ("ci-anomaly-brute-force", f"source.ip={BRUTE}"): (1, 5),  # the fast-guesser tier: 5 tries in 60 s
        ("ci-anomaly-brute-force", f"source.ip={SWEEP}"): (1, 5),  # 5 invalid users tried, once each
        ("ci-anomaly-brute-force-success", f"source.ip={BRUTE}|user.name=root"): (1, 18),
        (ROOT_LOGIN, f"host.name={DEVICE}|source.ip={BRUTE}|user.name=root"): (1, None),
        (INVALID_USER, f"host.name={DEVICE}|source.ip={SWEEP}"): (10, None),
        (SQLI, f"source.ip={SCANNER}"): (2, None), (SCANNER_UA, f"source.ip={SCANNER}"): (3, None)}
    assert streamed == cli, "stream differs from the CLI"
    assert scanned == cli, "deep scan differs from the CLI"
