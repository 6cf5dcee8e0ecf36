"""A Zeek TSV or IIS file shipped line by line still parses: its header travels with every record."""
from chalicelib.pipeline.shipper import records
from detectors.parsers import ParseError, Skipped, parse_record

ZEEK = b"""#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tssh
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tauth_success\tauth_attempts
#types\ttime\tstring\taddr\tport\taddr\tport\tbool\tcount
1795341600.1\tCa1\t203.0.113.9\t40000\t192.0.2.5\t22\tF\t3
1795341601.2\tCa2\t203.0.113.9\t40001\t192.0.2.5\t22\tT\t1
#close\t2026-11-22-10-00-00
""".splitlines(keepends=True)


def test_each_record_of_a_zeek_file_carries_its_header_and_parses():
    recs = list(records(ZEEK, "sensor-1", pack=1))
    assert len(recs) == 2  # header lines are not records of their own
    events = []
    for _, data in recs:
        parsed = parse_record(data, device="sensor-1")
        assert not [p for p in parsed if isinstance(p, ParseError)]
        assert sum(isinstance(p, Skipped) for p in parsed) == 7
        events += [p for p in parsed if isinstance(p, dict)]
    assert [(e["source.ip"], e["event.outcome"]) for e in events] == [("203.0.113.9", "failure"),
                                                                      ("203.0.113.9", "success")]
    assert events[0]["_logsource"]["product"] == "zeek" and events[0]["_logsource"]["service"] == "ssh"


def test_a_second_header_block_replaces_the_first():
    lines = [b"#Fields: date time c-ip cs-method cs-uri-stem sc-status\n", b"2026-11-22 10:00:00 203.0.113.9 GET /a 200\n",
             b"#Fields: date time cs-method cs-uri-stem c-ip sc-status\n", b"2026-11-22 10:00:01 GET /b 203.0.113.8 404\n"]
    recs = [data for _, data in records(lines, "iis-1", pack=10)]
    assert len(recs) == 2 and all(r.startswith(b"#Fields:") for r in recs)
    ips = [e["source.ip"] for r in recs for e in parse_record(r) if isinstance(e, dict)]
    assert ips == ["203.0.113.9", "203.0.113.8"]
