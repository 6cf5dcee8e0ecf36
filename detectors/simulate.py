"""A seeded fleet of devices sending realistic logs, with scripted attacks, for demos and benchmarks.

``stream(n)`` yields ``(device_id, raw_line)``: benign traffic from Linux servers, firewalls, web servers,
CloudTrail and Windows workstations; ``attacks`` inserts an SSH brute force that succeeds, a port scan,
an LSASS dump with comsvcs.dll, a CloudTrail root console login and a data-exfiltration burst.
"""
from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from typing import Iterator

USERS = ["alice", "bob", "carol", "dave", "erin", "deploy", "backup"]
SERVERS = [f"srv-{i:02d}" for i in range(1, 9)]
FIREWALLS = ["fw-edge-1", "fw-edge-2"]
WEB = ["web-1", "web-2"]
WINDOWS = [f"ws-{i:03d}" for i in range(1, 11)]
PATHS = ["/", "/index.html", "/login", "/api/orders", "/static/app.js", "/static/site.css", "/health"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1)", "curl/8.4.0"]
PROCS = [("C:\\Windows\\System32\\svchost.exe", "svchost.exe -k netsvcs"),
         ("C:\\Program Files\\Mozilla Firefox\\firefox.exe", "\"firefox.exe\""),
         ("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"),
         ("C:\\Windows\\System32\\notepad.exe", "notepad.exe C:\\Users\\bob\\notes.txt")]


def _bsd(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%b %d %H:%M:%S")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Fleet:
    def __init__(self, seed: int = 7, start: float | None = None) -> None:
        self.rnd = random.Random(seed)
        self.ts = start if start is not None else time.time()

    def _ip(self, internal: bool = False) -> str:
        r = self.rnd
        return f"10.0.{r.randint(0, 3)}.{r.randint(2, 250)}" if internal else \
            f"{r.choice([198, 203])}.{r.choice([51, 0])}.{r.choice([100, 113])}.{r.randint(2, 250)}"

    def benign(self) -> tuple[str, str]:
        r, ts = self.rnd, self.ts
        kind = r.random()
        if kind < 0.25:
            dev = r.choice(SERVERS)
            if r.random() < 0.8:
                return dev, (f"{_bsd(ts)} {dev} sshd[{r.randint(1000, 60000)}]: Accepted publickey for "
                             f"{r.choice(USERS)} from {self._ip(True)} port {r.randint(30000, 65000)} ssh2")
            return dev, (f"{_bsd(ts)} {dev} sudo:  {r.choice(USERS)} : TTY=pts/{r.randint(0, 4)} ; PWD=/home ; "
                         f"USER=root ; COMMAND=/usr/bin/systemctl status nginx")
        if kind < 0.55:
            dev = r.choice(FIREWALLS)
            action = "ALLOW" if r.random() < 0.9 else "BLOCK"
            return dev, (f"{_bsd(ts)} {dev} kernel: [UFW {action}] IN=eth0 OUT= SRC={self._ip()} DST={self._ip(True)} "
                         f"LEN={r.randint(40, 1500)} PROTO=TCP SPT={r.randint(1024, 65000)} DPT={r.choice([80, 443, 443, 53])}")
        if kind < 0.8:
            dev = r.choice(WEB)
            when = datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
            status = r.choice([200, 200, 200, 304, 404])
            return dev, (f'{self._ip()} - - [{when}] "GET {r.choice(PATHS)} HTTP/1.1" {status} {r.randint(200, 90000)} '
                         f'"-" "{r.choice(AGENTS)}"')
        if kind < 0.9:
            return "cloudtrail", json.dumps({"eventVersion": "1.08", "eventTime": _iso(ts),
                                             "eventSource": "s3.amazonaws.com", "eventName": r.choice(
                                                 ["GetObject", "ListBuckets", "DescribeInstances"]),
                                             "userIdentity": {"type": "IAMUser", "userName": r.choice(USERS)},
                                             "sourceIPAddress": self._ip(True), "awsRegion": "eu-west-1"})
        dev = r.choice(WINDOWS)
        image, cmd = r.choice(PROCS)
        return dev, json.dumps({"@timestamp": _iso(ts), "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer_name": dev,
            "event_data": {"Image": image, "CommandLine": cmd, "User": f"CORP\\{r.choice(USERS)}",
                           "ParentImage": "C:\\Windows\\explorer.exe"}}})

    def attacks(self) -> Iterator[tuple[str, str]]:
        ts = self.ts
        attacker = "203.0.113.66"
        for i in range(30):
            yield "srv-03", (f"{_bsd(ts + i)} srv-03 sshd[{7000 + i}]: Failed password for "
                             f"{'root' if i % 3 else 'invalid user oracle'} from {attacker} port {50000 + i} ssh2")
        yield "srv-03", f"{_bsd(ts + 31)} srv-03 sshd[7100]: Accepted password for root from {attacker} port 50100 ssh2"
        for i in range(40):
            yield "fw-edge-1", (f"{_bsd(ts + 40)} fw-edge-1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.99 "
                                f"DST=10.0.0.10 LEN=44 PROTO=TCP SPT=61000 DPT={[21, 22, 23, 25, 80, 110, 139, 443, 445, 3389][i % 10] + (i // 10) * 1000}")
        yield "ws-007", json.dumps({"@timestamp": _iso(ts + 50), "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer_name": "ws-007",
            "event_data": {"Image": "C:\\Windows\\System32\\rundll32.exe", "User": "CORP\\bob",
                           "CommandLine": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Temp\\l.dmp full",
                           "ParentImage": "C:\\Windows\\System32\\cmd.exe"}}})
        yield "cloudtrail", json.dumps({"eventVersion": "1.08", "eventTime": _iso(ts + 60),
                                        "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                                        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
                                        "sourceIPAddress": attacker, "responseElements": {"ConsoleLogin": "Success"}})
        for i in range(20):
            yield "fw-edge-2", (f"CEF:0|Fortinet|FortiGate|7.2|13|traffic accept|3|src=10.0.2.44 dst=185.199.0.9 "
                                f"spt={40000 + i} dpt=443 act=accept out=25000000 rt={int((ts + 70 + i) * 1000)}")

    def stream(self, n: int, attacks: bool = True, rate: float = 200.0) -> Iterator[tuple[str, str]]:
        """``n`` benign lines at ``rate`` lines/s of event time, the attack script in the middle."""
        for i in range(n):
            if attacks and i == n // 2:
                yield from self.attacks()
            self.ts += self.rnd.expovariate(rate)
            yield self.benign()


def lines(n: int, seed: int = 7, attacks: bool = True, start: float | None = None) -> list[tuple[str, str]]:
    return list(Fleet(seed, start).stream(n, attacks))
