"""vsftpd's own log (``vsftpd.log``: ``Mon Jun  6 18:43:28 2016 [pid 2] [jean] OK LOGIN: Client "192.0.2.9"``).

With ``syslog_enable=YES`` the same text arrives as a syslog body after ``vsftpd[pid]:`` without the date, so the
date and ``[pid N]`` are optional. Lines that are not a client verb (vsftpd's error messages, which SigmaHQ's
``service: vsftpd`` keyword rule looks for) are kept as a message. Times carry no zone and are read as UTC.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone

from .common import Event

LINE = re.compile(r"^(?:(?P<ts>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}) )?"
                  r"(?:\[pid (?P<pid>\d+)\] ?)?(?P<rest>.*)$")
VERB = re.compile(r"^(?:\[(?P<user>[^\]]*)\] )?(?:(?P<status>OK|FAIL) )?(?P<verb>[A-Z][A-Z ]*?): "
                  r"Client \"(?P<client>[^\"]*)\"(?:, (?P<args>.*))?$")
TRANSFER = re.compile(r"^\"(?P<path>[^\"]*)\"(?:, \"(?P<path2>[^\"]*)\")?(?:, (?P<bytes>\d+) bytes)?"
                      r"(?:, (?P<rate>[\d.]+)Kbyte/sec)?")
ANON = re.compile(r"anon password \"(?P<pw>[^\"]*)\"")
VSFTPD_TAG = re.compile(r"^vsftpd(?:\[\d+\])?: ")
FILE_VERBS = {"UPLOAD": "upload", "DOWNLOAD": "download", "MKDIR": "mkdir", "RMDIR": "rmdir", "DELETE": "delete",
              "RENAME": "rename", "CHMOD": "chmod"}


def sniff(text: str) -> bool:
    m = LINE.match(VSFTPD_TAG.sub("", text, 1))
    return bool(m and (m.group("ts") and m.group("pid") or VERB.match(m.group("rest"))))


def _client(v: str) -> str | None:
    v = v.removeprefix("::ffff:")
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        return None


def parse(text: str) -> Event | None:
    m = LINE.match(VSFTPD_TAG.sub("", text.strip(), 1))
    if not m:
        return None
    ts, pid, rest = m.group("ts"), m.group("pid"), m.group("rest")
    v = VERB.match(rest)
    if not v and not (ts and pid):
        return None
    ev: Event = {"message": rest, "process.name": "vsftpd"}
    if pid:
        ev["process.pid"] = int(pid)
    if ts:
        try:
            ev["_ts"] = datetime.strptime(ts, "%a %b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            pass
    ev["_logsource"] = {"product": "linux", "service": "vsftpd"}
    if not v:
        return ev
    user, status, verb, client, args = v.group("user", "status", "verb", "client", "args")
    ev.update({"vsftpd.verb": verb, "event.action": verb.lower().replace(" ", "_"), "source.address": client})
    if ip := _client(client):
        ev["source.ip"] = ip
    if user:
        ev["user.name"] = user
    if status:
        ev["event.outcome"] = "success" if status == "OK" else "failure"
    if verb == "LOGIN":
        ev["event.category"] = "authentication"
        if args and (a := ANON.search(args)):
            ev["vsftpd.anon_password"] = a.group("pw")
    elif verb == "CONNECT":
        ev["event.category"] = "network"
    elif args and (t := TRANSFER.match(args)):
        ev["event.category"] = "file"
        ev["file.path"] = t.group("path")
        if t.group("path2"):
            ev["file.target_path"] = t.group("path2")
        if t.group("bytes"):
            ev["file.size"] = int(t.group("bytes"))
        if t.group("rate"):
            ev["vsftpd.rate_kbps"] = float(t.group("rate"))
    ev["event.action"] = FILE_VERBS.get(verb, ev["event.action"])
    return ev
