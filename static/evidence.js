// Evidence upload straight to S3 with a progress bar. Without JavaScript the same form posts to S3 itself.
(function () {
  "use strict";
  var form = document.getElementById("evidence-upload");
  if (!form || !window.fetch || !window.XMLHttpRequest) { return; }
  var bar = document.getElementById("upload-bar");
  var box = document.getElementById("upload-progress");
  var errorBox = document.getElementById("upload-error");
  var api = form.dataset.api;
  var headers = { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf };

  function progress(done, total) {
    var pct = total ? Math.floor((done / total) * 100) : 0;
    bar.style.width = pct + "%";
    bar.textContent = pct + "%";
    box.setAttribute("aria-valuenow", String(pct));
  }

  function send(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { onProgress(e.loaded); } };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { resolve(xhr); } else { reject(new Error("S3 " + xhr.status)); }
      };
      xhr.onerror = function () { reject(new Error("network error")); };
      xhr.send(body);
    });
  }

  function json(method, url, body) {
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
                        body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().then(function (data) {
          if (!r.ok) { throw new Error((data.error && data.error.message) || ("HTTP " + r.status)); }
          return data;
        });
      });
  }

  function uploadPost(plan, file) {
    var data = new FormData();
    Object.keys(plan.fields).forEach(function (k) { data.append(k, plan.fields[k]); });
    data.append("file", file);
    return send("POST", plan.url, data, function (n) { progress(n, file.size); });
  }

  function uploadMultipart(evidenceId, plan, file) {
    var done = [], sent = 0, parts = plan.parts.slice();
    function next() {
      var part = parts.shift();
      if (!part) {
        return json("POST", api + "/evidence/" + evidenceId + "/complete", { parts: done });
      }
      var start = (part.part_number - 1) * plan.part_size;
      var blob = file.slice(start, Math.min(start + plan.part_size, file.size));
      return send("PUT", part.url, blob, function (n) { progress(sent + n, file.size); })
        .then(function (xhr) {
          sent += blob.size;
          done.push({ part_number: part.part_number, etag: xhr.getResponseHeader("ETag") });
          return next();
        });
    }
    return next();
  }

  function waitProcessed(evidenceId, tries) {
    return json("GET", api + "/evidence/" + evidenceId).then(function (ev) {
      if (ev.state !== "pending" || tries <= 0) { return ev; }
      return new Promise(function (r) { setTimeout(r, 1000); }).then(function () {
        return waitProcessed(evidenceId, tries - 1);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    var file = document.getElementById("evidence-file").files[0];
    if (!file) { return; }
    event.preventDefault();
    errorBox.textContent = "";
    box.classList.remove("d-none");
    progress(0, file.size);
    var evidenceId;
    json("POST", api + "/incidents/" + form.dataset.incident + "/evidence",
         { file_name: file.name, declared_type: file.type, size: file.size })
      .then(function (res) {
        evidenceId = res.evidence_id;
        return res.upload.method === "multipart" ? uploadMultipart(evidenceId, res.upload, file)
                                                 : uploadPost(res.upload, file);
      })
      .then(function () { progress(file.size, file.size); return waitProcessed(evidenceId, 60); })
      .then(function () { window.location.reload(); })
      .catch(function (err) { errorBox.textContent = err.message; });
  });
}());
