// The notices page's live progress: every few seconds it asks notices.json for each listed
// notice's numbers and puts them in its row. Served by the bot; nothing loads from elsewhere.
(function () {
  "use strict";
  var marker = document.querySelector("[data-live]");
  if (!marker || !window.fetch) {
    return;
  }
  var url = marker.getAttribute("data-live") + window.location.search;
  var EVERY_MS = 5000;

  function show(data) {
    data.notices.forEach(function (notice) {
      var row = document.getElementById("notice-" + notice.id);
      if (!row) {
        return;
      }
      notice.cells.forEach(function (text, index) {
        var cell = row.cells[notice.first + index];
        if (cell && cell.textContent !== text) {
          cell.textContent = text;
        }
      });
    });
    marker.setAttribute("data-updated", String(data.at));
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the next poll tries again */ });
  }

  window.setInterval(poll, EVERY_MS);
})();
