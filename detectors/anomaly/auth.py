"""Authentication brute force: failures per source and per user in a window, and a success after them.

An attempt counts once: sshd and PAM lines of one connection (host + pid) carry separate tallies
(``auth.tally``), and the connection counts as its largest tally; ``auth.attempts`` says how many attempts a
line stands for (``message repeated 5 times``, ``PAM 4 more authentication failures``).
"""
from __future__ import annotations

from ..alerts import Alert
from ..state import StateStore
from .base import AnomalyDetector, window_add


class BruteForce(AnomalyDetector):
    id = "ci-anomaly-brute-force"
    title = "Authentication brute force"
    level = "high"
    attack = ["credential-access", "T1110"]
    defaults = {"window_s": 300, "per_source": 10, "per_user": 20, "success_window_s": 900, "burst": 5,
                "burst_window_s": 60}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        outcome = event.get("event.outcome")
        if event.get("event.category") != "authentication" and event.get("event.action") not in (
                "ssh_login", "ssh_invalid_user", "pam_auth", "ConsoleLogin", "su"):
            return []
        now, user = float(event.get("_ts") or 0), event.get("user.name")
        src = event.get("source.ip") or event.get("source.domain")
        out: list[Alert] = []
        if outcome == "failure":
            weight = self._weight(event, state, now)
            if weight <= 0:
                return []
            for kind, value, limit in (("source", src, self.per_source), ("user", user, self.per_user)):
                if not value:
                    continue
                key = f"bf:{kind}:{value}"
                win = window_add(state, key, now, self.window_s, user if kind == "source" else src, weight)
                burst = False
                if kind == "source" and self.burst:  # the times of the last few failures, kept in the window
                    recent = (win.get("recent") or [])[-(self.burst - 1):] + [now] * min(weight, self.burst)
                    win["recent"] = recent = recent[-self.burst:]
                    burst = len(recent) >= self.burst and now - recent[0] <= self.burst_window_s
                if (win["n"] >= limit or burst) and not win["alerted"]:
                    win["alerted"] = True
                    state.put(key, win, now, self.window_s)
                    field = ("source.ip" if event.get("source.ip") else "source.domain") if kind == "source" \
                        else "user.name"
                    targets = ", ".join(list(win["items"])[:5]) or "none named"
                    fired = limit if win["n"] >= limit else self.burst
                    rule = f"threshold {limit} in {self.window_s} s" if win["n"] >= limit else \
                        f"fast-guesser threshold {self.burst} in {self.burst_window_s} s"
                    out.append(self.alert(
                        event, {field: value},
                        f"{win['n']} failed logins from {kind} {value} in {int(now - win['start'])} s when raised "
                        f"({rule}); {'users' if kind == 'source' else 'sources'}: "
                        f"{targets}", observed=win["n"], baseline=0, threshold=fired, first_seen=win["start"]))
            if src:  # the burst is remembered for success_window_s, longer than its counting window
                win = state.get(f"bf:source:{src}", now) or {"n": 0, "alerted": False}
                prev = state.get(f"bf:recent:{src}", now) or {"n": 0}
                state.put(f"bf:recent:{src}", {"t": now, "n": max(win["n"], prev.get("n", 0)),
                                               "alerted": bool(win.get("alerted") or prev.get("alerted"))},
                          now, self.success_window_s)
        elif outcome == "success" and src:
            win = state.get(f"bf:recent:{src}", now)
            if win and (win.get("n", 0) >= self.per_source or win.get("alerted")):
                out.append(self.alert(
                    event, {"source.ip": src, "user.name": user},
                    f"Successful login as {user} from {src} after {win['n']} failures: the guessing may have worked",
                    observed=win["n"], baseline=0,
                    threshold=self.per_source if win.get("n", 0) >= self.per_source else self.burst, level="critical",
                    rule_id=self.id + "-success", title="Successful login after brute force"))
        return out

    def _weight(self, event: dict, state: StateStore, now: float) -> int:
        """Attempts this line adds: for a tallied line, how far it raises its connection's largest tally."""
        tally = event.get("auth.tally")
        attempts = event.get("auth.attempts")
        if tally is None:
            action = str(event.get("event.action") or "")
            if action.startswith("ssh_") and action not in ("ssh_login", "ssh_invalid_user"):
                return 0  # an sshd line that is no attempt of its own (a summary, a disconnect)
            return int(attempts or 1)
        pid = event.get("process.pid")
        if not pid:
            return int(attempts or 1)
        key = f"bf:conn:{event.get('host.name') or event.get('_device') or ''}:{pid}"
        conn = state.get(key, now) or {}
        before = max(conn.values(), default=0)
        conn[tally] = conn.get(tally, 0) + int(attempts or 1)
        state.put(key, conn, now, self.window_s)
        return max(conn.values()) - before

