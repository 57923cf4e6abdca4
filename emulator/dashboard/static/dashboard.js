// The dashboard's few behaviours: copy buttons, confirmations, clickable rows, the live journal.
// Plain JavaScript served from /static: the Content-Security-Policy allows no inline script.
"use strict";

(function () {
  function flashButton(button, text) {
    var label = button.textContent;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 1200);
  }

  function copy(button) {
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flashButton(button, "copied"); });
      return;
    }
    var field = document.createElement("textarea");  // plain http off localhost: no Clipboard API
    field.value = text;
    document.body.appendChild(field);
    field.select();
    document.execCommand("copy");
    field.remove();
    flashButton(button, "copied");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) { copy(button); return; }
    var row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, form")) { window.location.href = row.getAttribute("data-href"); }
  });

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // poll the journal once a second: new rows go on top, the chart is replaced
  function live(table) {
    var body = table.tBodies[0];
    var url = table.getAttribute("data-live");
    var last = table.getAttribute("data-last");
    var chart = document.getElementById("traffic");
    var state = document.getElementById("journal-state");
    var empty = document.querySelector(".journal-empty");
    var busy = false;

    function show(data) {
      if (data.replace) { body.innerHTML = data.rows; } else if (data.rows.trim()) { body.insertAdjacentHTML("afterbegin", data.rows); }
      while (body.rows.length > 200) { body.deleteRow(-1); }
      if (empty && body.rows.length) { empty.textContent = ""; }
      last = data.last === null ? "" : String(data.last);
      if (chart) { chart.innerHTML = data.chart; }
      state.textContent = "live";
      state.className = "live-state";
    }

    function poll() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url + (last ? "?after=" + encodeURIComponent(last) : ""), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { if (!response.ok) { throw new Error("HTTP " + response.status); } return response.json(); })
        .then(show)
        .catch(function (error) { state.textContent = "paused: " + error.message; state.className = "live-state off"; })
        .then(function () { busy = false; });
    }
    window.setInterval(poll, 1000);
  }

  var table = document.querySelector("table[data-live]");
  if (table) { live(table); }
})();
