"""Deep-scan analyses: beaconing with jitter (and not for irregular traffic), indicator sweeps, and the archive
loop's overlap handling and retro-hunt with a rule that did not exist when the data streamed in."""
from __future__ import annotations

import random
import textwrap

from detectors.deepscan import ArchiveScan, Beaconing, IndicatorSweep

T0 = 1.76e9


def conn(ts: float, src: str = "10.0.2.44", dst: str = "185.199.0.9", port: int = 443) -> dict:
    return {"_ts": ts, "_device": "fw-edge-2", "source.ip": src, "destination.ip": dst, "destination.port": port}


def test_a_jittered_beacon_is_found_and_its_rhythm_explained():
    rnd, b, ts = random.Random(4), Beaconing(), T0
    for _ in range(40):
        ts += 300 * rnd.uniform(0.85, 1.15)  # every 5 minutes, ±15 % jitter
        b.observe(conn(ts))
    (alert,) = b.results()
    assert alert.entity == {"source.ip": "10.0.2.44", "destination": "185.199.0.9:443"}
    assert alert.count == 40 and alert.origin == "deep scan" and "T1071" in alert.attack
    assert 270 <= alert.explanation["observed"]["median_interval_s"] <= 330
    assert "about every" in alert.explanation["summary"]


def test_irregular_or_sparse_traffic_is_not_a_beacon():
    rnd, b, ts = random.Random(9), Beaconing(), T0
    for _ in range(200):
        ts += rnd.expovariate(1 / 300)  # a person browsing: Poisson arrivals with the same mean
        b.observe(conn(ts))
    for i in range(6):  # regular, but too few contacts to say
        b.observe(conn(T0 + 60 * i, dst="198.51.100.1"))
    assert b.results() == []


def test_indicator_sweep_matches_ips_subdomains_urls_and_hashes_case_insensitively():
    sweep = IndicatorSweep({"ips": ["203.0.113.66"], "domains": ["evil.example"],
                            "hashes": ["AABBCC" * 10 + "DDEE"], "users": ["mallory"]})
    events = [{"_ts": T0, "source.ip": "203.0.113.66"},
              {"_ts": T0 + 1, "url.original": "https://cdn.EVIL.example/payload.bin"},
              {"_ts": T0 + 2, "file.hash.sha256": ("aabbcc" * 10 + "ddee")},
              {"_ts": T0 + 3, "user.name": "Mallory"}, {"_ts": T0 + 4, "user.name": "mallory"},
              {"_ts": T0 + 5, "url.original": "https://notevil.example/", "source.ip": "203.0.113.67"}]
    for ev in events:
        sweep.observe(ev)
    hits = {a.entity["indicator"]: a for a in sweep.results()}
    assert set(hits) == {"203.0.113.66", "evil.example", "aabbcc" * 10 + "ddee", "mallory"}
    assert hits["mallory"].count == 2 and hits["evil.example"].entity["kind"] == "domains"


def test_unknown_indicator_kinds_are_refused():
    try:
        IndicatorSweep({"urls": ["x"]})
    except ValueError as exc:
        assert "urls" in str(exc)
    else:
        raise AssertionError("an unknown kind must be refused")


def lines(n: int, start_seq: int, shard: str = "shardId-000000000000") -> list[dict]:
    return [{"shard": shard, "seq": str(start_seq + i), "device": "srv-03", "arrival": T0 + i,
             "data": f"Jan 15 08:00:{i % 60:02d} srv-03 sshd[{i}]: Failed password for root from 203.0.113.66 "
                     f"port {4000 + i} ssh2"} for i in range(n)]


def test_overlapping_archive_objects_are_counted_once():
    scan = ArchiveScan()
    scan.feed(lines(20, 100))
    scan.feed(lines(20, 110))  # a partial retry archived records 110–119 again
    out = scan.finish()
    assert out["records"] == 30 and out["duplicates"] == 10 and out["events"] == 30
    bf = [a for a in out["alerts"] if a.rule_id == "ci-anomaly-brute-force" and a.entity == {"source.ip": "203.0.113.66"}]
    assert len(bf) == 1 and all(a.origin == "deep scan" for a in out["alerts"])


def test_retro_hunt_finds_old_data_with_a_rule_written_afterwards(tmp_path):
    from detectors.pipeline import Detector

    archived = [{"shard": "s", "seq": "1", "device": "web-1", "arrival": T0,
                 "data": '203.0.113.9 - - [15/Jan/2026:08:00:00 +0000] "GET /cgi-bin/.%2e/.%2e/bin/sh HTTP/1.1" 400 0 "-" "curl/8"'}]
    before = ArchiveScan(detector=Detector())
    before.feed(archived)
    assert not [a for a in before.finish()["alerts"] if "written after the fact" in a.title]
    rule = tmp_path / "rule.yml"
    rule.write_text(textwrap.dedent("""
        title: Apache path traversal to a shell (written after the fact)
        id: 5f7c1a0e-1111-4c2b-9d0e-000000000001
        status: experimental
        logsource: {category: webserver}
        detection:
            selection:
                url.original|contains: '/.%2e/'
            condition: selection
        level: critical
        tags: [attack.initial-access, attack.t1190]
    """))
    after = ArchiveScan(detector=Detector(rule_paths=[tmp_path]))
    after.feed(archived)
    (hit,) = [a for a in after.finish()["alerts"] if "traversal" in a.title.lower()]
    assert hit.severity == "Crítica" and hit.origin == "deep scan" and hit.attack == ["initial-access", "T1190"]


def test_long_window_first_seen_reports_a_late_new_source_for_a_known_user():
    from detectors.deepscan import LongFirstSeen

    fs, day = LongFirstSeen(learn_fraction=0.5), 86400
    for d in range(20):  # alice always from the office; bob only appears late (nothing to compare him with)
        fs.observe({"_ts": T0 + d * day, "user.name": "alice", "source.ip": "10.0.0.5"})
    fs.observe({"_ts": T0 + 15 * day, "user.name": "alice", "source.ip": "198.51.100.77"})
    fs.observe({"_ts": T0 + 16 * day, "user.name": "bob", "source.ip": "10.0.0.9"})
    fs.observe({"_ts": T0 + 3 * day, "user.name": "alice", "source.ip": "10.0.0.6"})  # new, but while learning
    for i in range(30):  # carol logs in from a new DHCP address every time: no habit to break
        fs.observe({"_ts": T0 + i * day * 0.6, "user.name": "carol", "source.ip": f"10.1.0.{i}"})
    (alert,) = fs.results()
    assert alert.entity == {"user.name": "alice"} and alert.explanation["observed"] == ["198.51.100.77"]
    assert "15.0 days into the range" in alert.explanation["summary"] and alert.explanation["baseline"] == 2
