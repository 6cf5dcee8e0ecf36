// A deep scan's progress bar (its width cannot be an inline style under the CSP) and, while the scan is queued or
// running, a poll of its JSON every 2 s; the page reloads when the state changes, so the badge, the findings and
// the report links are the server's. Without JavaScript the page refreshes itself (noscript meta).
(function () {
  "use strict";
  var box = document.getElementById("scan-live");
  if (!box) { return; }
  var bar = document.getElementById("scan-bar");
  var wrap = document.getElementById("scan-progress");
  var shown = box.dataset.state;
  bar.style.width = (bar.dataset.percent || "0") + "%";
  if (box.dataset.active !== "1" || !window.fetch) { return; }
  function show(s) {
    var p = s.progress;
    bar.style.width = p.percent + "%";
    bar.textContent = p.percent.toFixed(1) + " %";
    wrap.setAttribute("aria-valuenow", String(p.percent));
    document.getElementById("scan-objects").textContent = p.objects_done + "/" + p.objects_total;
    document.getElementById("scan-mb").textContent = (p.bytes_done / 1e6).toFixed(1);
    document.getElementById("scan-events").textContent = String(p.events);
  }
  function poll() {
    fetch(box.dataset.api, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        show(s);
        if (s.state !== shown) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
