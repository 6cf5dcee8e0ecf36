// Live progress of a running deep scan: polls the scan's JSON every 2 s; reloads once it has ended so the
// findings and the report links appear. Without JavaScript the page refreshes itself (noscript meta).
(function () {
  "use strict";
  var box = document.getElementById("scan-live");
  if (!box || box.dataset.active !== "1" || !window.fetch) { return; }
  var bar = document.getElementById("scan-bar");
  var wrap = document.getElementById("scan-progress");
  function show(s) {
    var p = s.progress;
    bar.style.width = p.percent + "%";
    bar.textContent = p.percent + " %";
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
        if (s.state !== "queued" && s.state !== "running") { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  bar.style.width = (bar.dataset.percent || "0") + "%";
  window.setTimeout(poll, 1000);
}());
