"""Every record of a hostile input is accounted for: records = events + errors + skipped, and the problem is named."""
import gzip
import io
import os
import tracemalloc
import zipfile
import zlib

import orjson
import pytest

from detectors.cli import main
from detectors.reader import read_input

SSHD = "Nov 22 10:00:{s:02d} bastion sshd[{p}]: Failed password for root from 203.0.113.{n} port {port} ssh2"


def totals(path, fmt=None):
    per = {}
    events = []
    for stats, item in read_input(path, fmt):
        per[stats.name] = stats
        if item is not None and isinstance(item, dict):
            events.append(item)
    for s in per.values():
        assert s.records == s.events + s.errors + sum(s.skipped.values())
    return per, events


def sshd_lines(n):
    return [SSHD.format(s=i % 60, p=1000 + i, n=i % 250, port=40000 + i) for i in range(n)]


def test_a_text_file_whose_first_line_ends_in_a_bracket_is_read_line_by_line(tmp_path):
    lines = ["Nov 22 10:00:00 bastion sshd[1]: Received disconnect from 203.0.113.1 port 22:11: bye {"] + sshd_lines(1999)
    f = tmp_path / "auth.log"
    f.write_text("\n".join(lines) + "\n")
    for fmt in (None, "syslog"):
        per, events = totals(f, fmt)
        (s,) = per.values()
        assert (s.records, s.events, s.errors) == (2000, 2000, 0)


def test_a_50_mb_single_line_cloudtrail_object_streams_every_record_in_flat_memory(tmp_path):
    rec = {"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::1:user/a"},
           "eventTime": "2026-11-22T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
           "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15",
           "requestParameters": {"bucketName": "logs", "key": "x" * 900}, "responseElements": None,
           "eventID": "", "readOnly": True, "recipientAccountId": "111122223333"}
    f = tmp_path / "111122223333_CloudTrail_eu-west-1_20261122T1000Z_abc.json.gz"
    n = 50_000  # records of 1.2 KB: the size of the document, not the count of records, is what is tested
    with gzip.open(f, "wb") as out:  # as AWS writes it: one line, {"Records":[…]}, gzipped
        out.write(b'{"Records":[')
        for i in range(n):
            rec["eventID"] = f"id-{i}"
            out.write((b"," if i else b"") + orjson.dumps(rec))
        out.write(b"]}")
    with gzip.open(f, "rb") as fh:
        assert len(fh.read()) > 50_000_000
    tracemalloc.start()
    count = 0
    for stats, item in read_input(f):
        if isinstance(item, dict):
            count += 1
            assert item["_logsource"] == {"product": "aws", "service": "cloudtrail"} and item["_ts"] == 1795341600.0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == n and stats.records == n and stats.errors == 0 and stats.problem is None
    assert peak < 20_000_000, f"peak {peak / 1e6:.1f} MB while streaming a 50 MB document"


def test_a_broken_document_among_pretty_printed_ones_loses_only_itself(tmp_path):
    good = [orjson.dumps({"@timestamp": "2026-11-22T10:00:00Z", "event": {"code": i}}, option=orjson.OPT_INDENT_2)
            for i in range(5)]
    broken = b'{\n  "@timestamp": "2026-11-22T10:00:00Z",\n  "event": {"code": 99,,\n}\n'
    f = tmp_path / "docs.json"
    f.write_bytes(b"\n".join(good[:2] + [broken] + good[2:]) + b"\n")
    (s,), events = totals(f)[0].values(), totals(f)[1]
    assert (s.records, s.events, s.errors) == (6, 5, 1)
    assert sorted(e["event.code"] for e in events) == [0, 1, 2, 3, 4]
    assert "invalid JSON" in s.error_samples[0].reason


def test_json_lines_then_syslog_lines_in_one_file_each_get_their_format(tmp_path):
    f = tmp_path / "mixed.log"
    f.write_text('{"@timestamp": "2026-11-22T10:00:00Z", "message": "hi"}\n' + "\n".join(sshd_lines(3)) + "\n[1, 2]\n")
    (s,), events = totals(f)[0].values(), totals(f)[1]
    assert (s.records, s.events, s.errors) == (6, 4, 2)
    assert [e["_format"] for e in events] == ["ecs", "syslog3164", "syslog3164", "syslog3164"]


def test_a_truncated_gzip_keeps_what_was_read_and_says_so(tmp_path):
    whole = gzip.compress(("\n".join(sshd_lines(5000)) + "\n").encode())
    f = tmp_path / "auth.log.gz"
    f.write_bytes(whole[: len(whole) // 2])
    (s,) = totals(f)[0].values()
    assert 0 < s.events < 5000 and s.problem and "truncated" in s.problem
    rc = main(["scan", "--input", str(f), "--output", str(tmp_path / "a.jsonl"), "--quiet"])
    assert rc == 1
    small = tmp_path / "small.log.gz"  # cut inside the first compressed block: what zcat recovers is kept
    small.write_bytes(whole[:700])
    recovered = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(whole[:700]).count(b"\n")
    (s,) = totals(small)[0].values()
    assert recovered > 10 and s.events >= recovered and "truncated" in s.problem


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (s,) = totals(fifo)[0].values()
    assert s.records == 0 and "FIFO" in s.problem
    assert main(["scan", "--input", str(fifo), "--output", str(tmp_path / "a.jsonl"), "--quiet"]) == 1


def test_invalid_utf8_and_crlf_lines_are_still_events(tmp_path):
    f = tmp_path / "win.log"
    body = "\r\n".join(sshd_lines(3)).encode() + b"\r\nNov 22 10:00:09 bastion sshd[9]: Invalid user \xff\xfeadm from 203.0.113.9\r\n"
    f.write_bytes(body)
    (s,), events = totals(f)[0].values(), totals(f)[1]
    assert (s.records, s.events, s.errors) == (4, 4, 0)
    assert all(not e["_raw"].endswith("\r") for e in events) and events[-1]["source.ip"] == "203.0.113.9"
    assert "\ufffd" in events[-1]["user.name"]


def test_an_oversize_record_is_an_error_and_reading_goes_on(tmp_path):
    f = tmp_path / "big.log"
    f.write_text(sshd_lines(1)[0] + "\n" + "x" * (1024 * 1024 + 10) + "\n" + sshd_lines(1)[0] + "\n")
    (s,) = totals(f)[0].values()
    assert (s.records, s.events, s.errors) == (3, 2, 1) and "1048576" in s.error_samples[0].reason


def test_zip_members_are_accounted_one_by_one_and_a_corrupt_member_is_named(tmp_path):
    z = tmp_path / "set.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/auth.log", "\n".join(sshd_lines(10)))
        zf.writestr("b/events.json.gz", gzip.compress(b'{"@timestamp": "2026-11-22T10:00:00Z", "x": 1}\n'))
    per, events = totals(z)
    assert {k.split(":", 1)[1]: (v.records, v.events) for k, v in per.items()} == {"a/auth.log": (10, 10),
                                                                                  "b/events.json.gz": (1, 1)}
    data = bytearray(z.read_bytes())
    i = data.find(b"auth.log") + 200  # damage the first member's compressed bytes
    data[i:i + 40] = b"\x00" * 40
    z.write_bytes(bytes(data))
    per, _ = totals(z)
    assert any(s.problem for s in per.values())


def test_header_lines_are_skipped_with_a_reason_not_lost(tmp_path):
    f = tmp_path / "a.log"
    f.write_text("# written by a tool\n" + "\n".join(sshd_lines(2)) + "\n")
    (s,) = totals(f)[0].values()
    assert (s.records, s.events, s.skipped["comment line"]) == (3, 2, 1)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_an_empty_input_is_clean(tmp_path, data):
    f = tmp_path / "empty.log"
    f.write_bytes(data)
    (s,) = totals(f)[0].values()
    assert s.records == 0 and s.clean


def test_the_scan_summary_and_exit_codes(tmp_path, capsys):
    ok = tmp_path / "auth.log"
    ok.write_text("\n".join(sshd_lines(30)) + "\n")
    assert main(["scan", "--input", str(ok), "--output", str(tmp_path / "a.jsonl"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "30" in err and "anomaly detectors: brute-force" in err
    bad = tmp_path / "bad.log"
    bad.write_text("\n".join(sshd_lines(2)) + "\nthis is no log line at all\n")
    assert main(["scan", "--input", str(bad), "--output", str(tmp_path / "b.jsonl"), "--quiet"]) == 1
    assert "no parser recognises this line" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["scan", "--input", str(tmp_path / "missing.log")])
    assert exc.value.code == 2


def test_pretty_printed_documents_read_at_once_give_what_the_streaming_parser_gives(tmp_path):
    """Small documents ending at a column-0 bracket are decoded whole; odd layouts fall back to the stream."""
    docs = [orjson.dumps({"@timestamp": "2026-11-22T10:00:00Z", "n": i, "nested": {"a": [1, {"b": i}]}},
                         option=orjson.OPT_INDENT_2) for i in range(4)]
    odd = b'{"n": 4, "nested": {\n"a": 1\n}\n, "@timestamp": "2026-11-22T10:00:00Z"\n}'  # an inner "}" at column 0
    records = b'{\n  "Records": [\n    {"eventName": "A", "eventTime": "2026-11-22T10:00:00Z"},\n' \
              b'    {"eventName": "B", "eventTime": "2026-11-22T10:00:01Z"}\n  ]\n}'
    empty = b"[\n]"
    f = tmp_path / "docs.json"
    f.write_bytes(b"\n".join(docs[:2] + [odd, records, empty] + docs[2:]) + b"\n")
    (s,), events = totals(f)[0].values(), totals(f)[1]
    assert (s.records, s.events, s.errors) == (8, 7, 0) and sum(s.skipped.values()) == 1
    assert sorted(e["n"] for e in events if "n" in e) == [0, 1, 2, 3, 4]
    assert [e["eventName"] for e in events if "eventName" in e] == ["A", "B"]
    assert [e["nested.a"] for e in events if e.get("n") == 4] == [1]
