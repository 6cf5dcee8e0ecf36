"""Linux authentication messages (sshd, PAM, sudo, su) into ECS fields, with how many attempts each line stands for.

sshd and PAM each write their own account of the same attempt (``Failed password`` and ``pam_unix … authentication
failure``; ``PAM 2 more authentication failures`` at the end). Every such line carries ``auth.attempts`` and the
tally it belongs to (``auth.tally``: ``sshd``, ``pam``, ``conn``), and the brute-force detector counts a connection
(host + pid) as the largest of its tallies, so an attempt is counted once whichever lines the host writes.
"""
from __future__ import annotations

import re

from .common import Event, is_ip as is_address

METHODS = r"(password|publickey|keyboard-interactive/pam|keyboard-interactive|none|hostbased|gssapi-with-mic)"
SSHD = [  # user names without spaces (what sshd accepts); patterns anchored, no lazy groups before an optional tail
    (re.compile(rf"^Failed {METHODS} for (invalid user |illegal user )?(\S*) from (\S+) port (\d+)"),
     "ssh_login", "failure", "sshd"),
    (re.compile(rf"^Accepted {METHODS} for (\S+) from (\S+) port (\d+)"), "ssh_login", "success", None),
    (re.compile(r"^(?:Invalid|Illegal) user (\S*) from (\S+?)(?: port (\d+))?(?: \[preauth\])?$"), "ssh_invalid_user",
     "failure", "conn"),
    (re.compile(r"^(?:Disconnected from|Connection (?:closed|reset) by) (authenticating|invalid) user (\S*) (\S+) "
                r"port (\d+)"), "ssh_preauth_close", "failure", "conn"),
    (re.compile(r"^error: maximum authentication attempts exceeded for (invalid user )?(\S*) from (\S+) port (\d+)"),
     "ssh_max_attempts", "failure", None),
    (re.compile(r"^error: PAM: Authentication failure for (?:illegal user |invalid user )?(\S*) from (\S+)"),
     "ssh_pam_failure", "failure", "pam_sshd"),
    (re.compile(r"^Unable to negotiate with (\S+) port (\d+): ([^\[]*)"), "ssh_negotiation_failed", "failure", None),
    (re.compile(r"^(?:Connection (?:closed|reset) by|Disconnected from|Received disconnect from) (\S+) port (\d+)"),
     "ssh_disconnect", None, None),
    (re.compile(r"^Connection from (\S+) port (\d+)"), "ssh_connection", None, None),
]
PAM_FAIL = re.compile(r"(?:^|: )(?:PAM )?(?:(\d+) more )?authentication failures?;(.*)$")
PAM_KV = re.compile(r"(\w+)=(\S*)")
SUDO = re.compile(r"^\s*(\S+) : (?:(.*?) ; )?TTY=(\S+) ; PWD=(\S+) ; USER=(\S+) ;(?: COMMAND=(.*))?")
SU = re.compile(r"^(?:\(to (\S+)\) (\S+) on (\S+)|(FAILED SU|Successful su) .*?for (\S+) by (\S+))")


IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")  # tells an address from a host name; not a validator


def is_ip(value: str) -> bool:
    """Fast for the dotted quads sshd writes; anything with a colon is checked as IPv6."""
    if value[:1].isdigit() and IPV4.match(value):
        return True
    return ":" in value and is_address(value)


def set_source(ev: Event, value: str | None) -> None:
    """An address goes to ``source.ip``, a host name to ``source.domain``."""
    if value and value not in ("-", "?", "UNKNOWN"):
        ev["source.ip" if is_ip(value) else "source.domain"] = value


def sudo(ev: Event, msg: str) -> None:
    m = SUDO.match(msg)
    if m:
        ev.update({"user.name": m.group(1), "event.action": "sudo", "process.working_directory": m.group(4),
                   "user.target.name": m.group(5), "process.command_line": m.group(6),
                   "event.outcome": "failure" if m.group(2) else "success"})
        if m.group(2):
            ev["error.message"] = m.group(2)


def su(ev: Event, msg: str) -> None:
    m = SU.match(msg)
    if m:
        if m.group(1):
            ev.update({"user.target.name": m.group(1), "user.name": m.group(2), "event.outcome": "success"})
        else:
            ev.update({"user.target.name": m.group(5), "user.name": m.group(6),
                       "event.outcome": "failure" if m.group(4) == "FAILED SU" else "success"})
        ev["event.action"] = "su"


# the regexes a message may meet, by its first word (most sshd lines are none of them)
SSHD_BY_WORD = {"Failed": (0,), "Accepted": (1,), "Invalid": (2,), "Illegal": (2,), "Disconnected": (3, 7),
                "Connection": (3, 7, 8), "error:": (4, 5), "Unable": (6,), "Received": (7,)}


AUTH_ACTIONS = frozenset(("ssh_login", "ssh_invalid_user", "ssh_preauth_close", "ssh_max_attempts", "ssh_pam_failure"))


def sshd(ev: Event, msg: str) -> None:
    space = msg.find(" ")
    for i in SSHD_BY_WORD.get(msg[:space] if space > 0 else msg, ()):
        rx, action, outcome, tally = SSHD[i]
        m = rx.match(msg)
        if not m:
            continue
        g = m.groups()
        ev["event.action"] = action
        if outcome:
            ev["event.outcome"] = outcome
        if action in AUTH_ACTIONS:
            ev["event.category"] = "authentication"
        if tally:
            ev["auth.attempts"] = 1
            ev["auth.tally"] = tally
        if i == 0:  # Failed <method> for [invalid user] <user> from <address> port <port>: the commonest
            ev["user.name"], ev["auth.method"], ev["source.port"] = g[2], g[0], int(g[4])
            set_source(ev, g[3])
            if g[1]:
                ev["user.invalid"] = True
        elif action == "ssh_login":
            ev["user.name"], ev["auth.method"], ev["source.port"] = g[1], g[0], int(g[3])
            set_source(ev, g[2])
        elif action == "ssh_invalid_user":
            ev.update({"user.name": g[0], "user.invalid": True})
            set_source(ev, g[1])
            if g[2]:
                ev["source.port"] = int(g[2])
        elif action == "ssh_preauth_close":
            ev.update({"user.name": g[1], "source.port": int(g[3])})
            set_source(ev, g[2])
            if g[0] == "invalid":
                ev["user.invalid"] = True
        elif action == "ssh_max_attempts":
            ev.update({"user.name": g[1], "source.port": int(g[3])})
            set_source(ev, g[2])
            if g[0]:
                ev["user.invalid"] = True
        elif action == "ssh_pam_failure":
            ev["user.name"] = g[0]
            set_source(ev, g[1])
        elif action == "ssh_negotiation_failed":
            set_source(ev, g[0])
            ev["source.port"] = int(g[1])
            ev["error.message"] = g[2].strip()
        else:
            set_source(ev, g[0])
            ev["source.port"] = int(g[1])
        return


def pam(ev: Event, msg: str) -> None:
    """``pam_unix(svc:auth): authentication failure; … rhost= user=`` and ``PAM N more authentication failures``."""
    m = PAM_FAIL.search(msg)
    if not m:
        return
    kv = dict(PAM_KV.findall(m.group(2)))
    more = int(m.group(1)) if m.group(1) else 0
    ev.update({"event.action": "pam_auth", "event.outcome": "failure", "event.category": "authentication",
               "auth.attempts": more or 1, "auth.tally": "pam"})
    set_source(ev, kv.get("rhost"))
    if kv.get("user"):
        ev["user.name"] = kv["user"]
    elif kv.get("ruser"):
        ev["user.name"] = kv["ruser"]
    if kv.get("tty"):
        ev["process.tty"] = kv["tty"]
