"""Which parser recognises which record: the order of these tables is the order formats are tried.

- ``LINE_FORMATS``: a whole line of a device format (``sniff`` must be cheap: a prefix test or anchored regex);
- ``BODY_FORMATS``: formats devices wrap in syslog, tried on the message body (``prog: body`` first);
- ``HEADER_FORMATS``: formats whose ``#`` header lines say what the data lines hold (Zeek TSV, W3C);
- ``DOC_KINDS``: JSON document kinds (``match(doc)``, ``from_doc(doc) -> events``), tried before the generic ones.
"""
from __future__ import annotations

from typing import Any, Callable

LINE_FORMATS: list[tuple[str, Callable[[str], bool], Callable[[str], Any]]] = []
BODY_FORMATS: list[tuple[str, Callable[[str], bool], Callable[[str], Any]]] = []
HEADER_FORMATS: list[tuple[str, Callable[[str, dict], bool], Callable[[str, dict], Any], str]] = []
DOC_KINDS: list[tuple[str, Callable[[dict], bool], Callable[[dict], list]]] = []

# the modules below only fill the tables above
from . import (asa, awsweb, ciscoise, fortigate, leef, panos, pfsense, suricata, syslog,  # noqa: E402
               vpcflow, vsftpd, w3c, weberror, windows_xml, zeek)

DIGITS = "0123456789"
ASA_TAGS = ("%ASA-", "%FTD-", "%PIX-", "%FWSM-")


def _guard(test: Callable[[str], bool], sniff: Callable[[str], bool]) -> Callable[[str], bool]:
    """A cheap string test in front of a format's own sniff, so the usual line pays for one comparison."""
    return lambda t: test(t) and sniff(t)


def classic_elb(t: str) -> bool:
    """An ISO time, a name, then ``address:port``: a classic ELB line, not an ISO-stamped syslog line."""
    fields = t[:200].split(" ", 3)
    return len(fields) > 2 and ":" in fields[2] and fields[2][-1:].isdigit()  # not "prog:" of syslog


def _aws_guard(t: str) -> bool:
    """ALB lines start with their type word; a line that starts with a date must be CloudFront (a tab after the
    date) or classic ELB."""
    if not t[0].isdigit():
        return True
    if t[4:5] != "-":
        return False
    if t[10:11] == "\t":
        return True
    return t[10:11] == "T" and classic_elb(t)


# (name, first characters the format can start with or None for any, sniff, parse): a line meets only the
# formats its first character allows, each behind a cheap guard.
LINE_TABLE = [
    ("windows_xml", "<-", windows_xml.sniff, windows_xml.parse),
    ("suricata_fast", DIGITS, _guard(lambda t: "[**]" in t[:60], suricata.sniff), suricata.parse),
    ("weberror", "[" + DIGITS, _guard(lambda t: t[0] == "[" or t[4:5] == "/", weberror.sniff), weberror.parse),
    ("awsweb", "hgtuw" + DIGITS, _guard(_aws_guard, awsweb.sniff), awsweb.parse),
    ("vpcflow", DIGITS, _guard(lambda t: t[1:2] == " ", vpcflow.sniff), vpcflow.parse),
    ("w3c", DIGITS, _guard(lambda t: t[4:5] == "-" or t[2:3] == ":", w3c.sniff), w3c.parse),
    ("leef", None, _guard(lambda t: t.find("LEEF:", 0, 300) >= 0, leef.sniff), leef.parse),
    ("netfilter", None, syslog.sniff_netfilter, syslog.parse_netfilter),
]
LINE_FORMATS += [(name, sniff, parse) for name, _, sniff, parse in LINE_TABLE]
_BY_FIRST: dict[str, list] = {}


def line_formats(first: str) -> list[tuple[str, Callable[[str], bool], Callable[[str], Any]]]:
    """The line formats a line starting with ``first`` may be (cached per character)."""
    hit = _BY_FIRST.get(first)
    if hit is None:
        hit = _BY_FIRST[first] = [(n, sn, p) for n, chars, sn, p in LINE_TABLE if chars is None or first in chars]
    return hit


# (name, program-name prefixes that carry it or None when it comes untagged, sniff, parse)
BODY_TABLE = [
    ("asa", ("%asa-", "%ftd-", "%pix-", "%fwsm-"), asa.sniff, asa.parse),
    ("pfsense", ("filterlog",), pfsense.sniff, pfsense.parse),
    ("vsftpd", ("vsftpd",), vsftpd.sniff, vsftpd.parse),
    ("suricata_fast", ("suricata", "snort"), suricata.sniff, suricata.parse),
    ("weberror", ("httpd", "apache", "nginx"), weberror.sniff, weberror.parse),
    ("fortigate", None, _guard(lambda t: "=" in t[:12], fortigate.sniff), fortigate.parse),
    ("panos", None, _guard(lambda t: t[1:2] == "," and t[:1].isdigit(), panos.sniff), panos.parse),
    ("leef", None, _guard(lambda t: t.find("LEEF:", 0, 300) >= 0, leef.sniff), leef.parse),
    ("ciscoise", None, _guard(lambda t: t.find("CISE_", 0, 300) >= 0, ciscoise.sniff), ciscoise.parse),
    ("asa", None, _guard(lambda t: t.find("%", 0, 300) >= 0 and any(t.find(p, 0, 300) >= 0 for p in ASA_TAGS),
                         asa.sniff), asa.parse),
    ("vsftpd", None, _guard(lambda t: "[pid " in t[:40] or " LOGIN: " in t[:80], vsftpd.sniff), vsftpd.parse),
]
BODY_FORMATS += [(name, sniff, parse) for name, _, sniff, parse in BODY_TABLE]
_UNTAGGED = [(n, sn, p) for n, progs, sn, p in BODY_TABLE if progs is None]


_BY_PROGRAM: dict[str, list] = {}


def body_formats(program: str | None) -> tuple[list, list]:
    """The formats a syslog message of ``program`` may carry: the program's own (read with its tag), and those
    that come untagged (read from the message alone)."""
    prog = (program or "").lower()
    own = _BY_PROGRAM.get(prog)
    if own is None:
        own = [(n, sn, p) for n, progs, sn, p in BODY_TABLE if progs and prog.startswith(progs)] if prog else []
        if len(_BY_PROGRAM) < 4096:
            _BY_PROGRAM[prog] = own
    return own, _UNTAGGED


def untagged_hint(body: str) -> bool:
    """Whether an untagged device format may hide in this message (a few bounded finds, no regex): a looser
    or-chain of the guards in BODY_TABLE, hand-written because calling those six guards costs twice as much on
    every syslog line of an unknown program; a guard still decides, so the two cannot disagree on a result."""
    return ("=" in body[:12] or (body[1:2] == "," and body[:1].isdigit()) or body.find("%", 0, 200) >= 0
            or body.find("LEEF:", 0, 300) >= 0 or body.find("CISE_", 0, 300) >= 0 or body.find("[pid ", 0, 60) >= 0
            or body.find(" LOGIN: ", 0, 160) >= 0)


HEADER_FORMATS += [("zeek", zeek.header, zeek.parse, "zeek"),
                   ("awsweb", awsweb.header, awsweb.parse, "cloudfront_fields"),
                   ("w3c", w3c.header, w3c.parse, "w3c"),
                   ("vpcflow", vpcflow.header, vpcflow.parse, "vpcflow_fields")]
DOC_KINDS += [("suricata", suricata.match, suricata.from_doc), ("zeek", zeek.match, zeek.from_doc)]


def forced(fmt: str) -> tuple[str, Any, str] | None:
    """``--format NAME``: the parser of that name, and its shape (``line`` or ``header``)."""
    for name, sniff, parse in LINE_FORMATS + BODY_FORMATS:
        if name == fmt:
            return name, parse, "line"
    for name, header, parse, _ in HEADER_FORMATS:
        if name == fmt:
            return name, (header, parse), "header"
    return None
