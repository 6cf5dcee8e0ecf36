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

LINE_FORMATS += [("windows_xml", windows_xml.sniff, windows_xml.parse),
                 ("suricata_fast", suricata.sniff, suricata.parse),
                 ("weberror", weberror.sniff, weberror.parse),
                 ("awsweb", awsweb.sniff, awsweb.parse),
                 ("vpcflow", vpcflow.sniff, vpcflow.parse),
                 ("w3c", w3c.sniff, w3c.parse),
                 ("leef", leef.sniff, leef.parse),
                 ("netfilter", syslog.sniff_netfilter, syslog.parse_netfilter)]
BODY_FORMATS += [("asa", asa.sniff, asa.parse), ("pfsense", pfsense.sniff, pfsense.parse),
                 ("fortigate", fortigate.sniff, fortigate.parse), ("panos", panos.sniff, panos.parse),
                 ("leef", leef.sniff, leef.parse), ("ciscoise", ciscoise.sniff, ciscoise.parse),
                 ("vsftpd", vsftpd.sniff, vsftpd.parse), ("suricata_fast", suricata.sniff, suricata.parse),
                 ("weberror", weberror.sniff, weberror.parse)]
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
