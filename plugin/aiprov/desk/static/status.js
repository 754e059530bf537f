// Live daemon status over server-sent events (/status/stream): no framework, nothing from elsewhere.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!window.EventSource || !live) return;
  function text(id, value) { var el = document.getElementById(id); if (el) el.textContent = value; }
  function cell(tr, value, cls) { var td = document.createElement("td"); if (cls) td.className = cls; td.textContent = value; tr.appendChild(td); return td; }
  var source = new EventSource("/status/stream");
  source.addEventListener("open", function () { live.classList.add("on"); live.title = "live"; });
  source.addEventListener("error", function () { live.classList.remove("on"); live.title = "reconnecting"; });
  source.addEventListener("status", function (msg) {
    var s = JSON.parse(msg.data), d = s.daemon || {};
    text("d-running", d.running ? "running, pid " + d.pid : "not running on this host (start it with aiprov watch)");
    text("d-queue", d.queue_depth || 0);
    text("d-processed", d.processed || 0);
    text("d-findings", d.findings || 0);
    text("d-reconcile", d.reconciling ? "running" : (d.last_reconcile ? "last at " + d.last_reconcile : "—"));
    var body = document.getElementById("events");
    if (!body) return;
    body.textContent = "";
    (s.events || []).forEach(function (e) {
      var tr = document.createElement("tr");
      cell(tr, (e.at || "").slice(0, 19).replace("T", " "));
      cell(tr, e.kind);
      var td = cell(tr, "", "wrap");
      if (e.content_id) {
        var a = document.createElement("a"); a.className = "path"; a.href = "/assets/" + encodeURIComponent(e.content_id);
        a.textContent = e.path || e.content_id; td.appendChild(a);
      } else { td.textContent = e.path || ""; }
      body.appendChild(tr);
    });
  });
})();
