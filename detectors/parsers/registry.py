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
HEADER_FORMATS: list[tuple[str, Callable[[str, dict], bool], Callable[[str, dict], Any]]] = []
DOC_KINDS: list[tuple[str, Callable[[dict], bool], Callable[[dict], list]]] = []

from . import syslog, windows_xml  # noqa: E402  (the tables above are what the modules below fill)

LINE_FORMATS += [("windows_xml", windows_xml.sniff, windows_xml.parse),
                 ("netfilter", syslog.sniff_netfilter, syslog.parse_netfilter)]


def forced(fmt: str) -> tuple[str, Any, str] | None:
    """``--format NAME``: the parser of that name, and its shape (``line`` or ``header``)."""
    for name, sniff, parse in LINE_FORMATS + BODY_FORMATS:
        if name == fmt:
            return name, parse, "line"
    for name, header, parse in HEADER_FORMATS:
        if name == fmt:
            return name, (header, parse), "header"
    return None
