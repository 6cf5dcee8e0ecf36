"""Web sources seen from their access logs: login brute force and content discovery scans (Nikto, dirb, gobuster).

Both work on any event with an HTTP status or method (access logs, ALB, IIS, WAF), so they need no user agent:
a scanner that hides its name is still a source asking for dozens of paths that do not exist.
"""
from __future__ import annotations

from ..alerts import Alert
from ..state import StateStore
from .base import AnomalyDetector, window_add


LOGIN_PATHS = ("/wp-login.php", "/xmlrpc.php", "/administrator/index.php", "/user/login", "/login", "/signin",
               "/sign-in", "/auth", "/admin", "/account/login", "/owa/auth.owa", "/j_security_check", "/api/login")


class WebLogin(AnomalyDetector):
    """Web login brute force: many 401/403 answers, or login-form POSTs, from one source in a window.

    WordPress and Joomla answer a failed login with 200, so a POST to a known login path counts whatever the status.
    """
    id = "ci-anomaly-web-login"
    title = "Web login brute force"
    level = "high"
    attack = ["credential-access", "T1110"]
    defaults = {"window_s": 300, "per_source": 20, "paths": list(LOGIN_PATHS)}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        status = event.get("http.response.status_code")
        if status is None and event.get("http.request.method") is None:
            return []
        path = str(event.get("url.path") or event.get("cs-uri-stem") or "").lower()
        login_post = event.get("http.request.method") == "POST" and any(path.startswith(p) for p in self.paths)
        if status not in (401, 403, 407) and not login_post:
            return []
        src = event.get("source.ip")
        if not src:
            return []
        now = float(event.get("_ts") or 0)
        key = f"wl:{src}"
        win = window_add(state, key, now, self.window_s, path or "/")
        if win["n"] < self.per_source or win["alerted"]:
            return []
        win["alerted"] = True
        state.put(key, win, now, self.window_s)
        return [self.alert(event, {"source.ip": src},
                           f"{win['n']} failed or login-form requests from {src} in {int(now - win['start'])} s "
                           f"(threshold {self.per_source} in {self.window_s} s); paths: "
                           f"{', '.join(list(win['items'])[:5])}",
                           observed=win["n"], baseline=0, threshold=self.per_source, first_seen=win["start"])]



class WebScan(AnomalyDetector):
    """Content discovery: many distinct paths answered 404 for one source within a window."""
    id = "ci-anomaly-web-scan"
    title = "Web content scan"
    level = "medium"
    attack = ["reconnaissance", "T1595.003"]
    defaults = {"window_s": 60, "distinct_paths": 30}

    def observe(self, event: dict, state: StateStore) -> list[Alert]:
        if event.get("http.response.status_code") != 404:
            return []
        src = event.get("source.ip")
        path = event.get("url.path") or event.get("cs-uri-stem")
        if not src or not path:
            return []
        now = float(event.get("_ts") or 0)
        key = f"ws:{src}"
        win = window_add(state, key, now, self.window_s, str(path)[:200])
        if len(win["items"]) < self.distinct_paths or win["alerted"]:
            return []
        win["alerted"] = True
        state.put(key, win, now, self.window_s)
        return [self.alert(event, {"source.ip": src},
                           f"{src} asked for {len(win['items'])} paths that do not exist in {int(now - win['start'])} s "
                           f"(threshold {self.distinct_paths} in {self.window_s} s); e.g. "
                           f"{', '.join(list(win['items'])[:5])}",
                           observed=len(win["items"]), baseline=0, threshold=self.distinct_paths,
                           first_seen=win["start"])]
