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

  // Whether staff have typed into the page's form: a reload would lose it.
  function typing() {
    return Array.prototype.some.call(document.querySelectorAll("textarea"), function (field) {
      return field.value !== "";
    });
  }

  function show(data) {
    var moved = false;
    data.notices.forEach(function (notice) {
      var row = document.getElementById("notice-" + notice.id);
      if (!row) {
        return;
      }
      notice.cells.forEach(function (text, index) {
        var cell = row.cells[notice.first + index];
        if (cell && cell.textContent !== text) {
          cell.textContent = text;
          moved = moved || index === 0;
        }
      });
    });
    marker.setAttribute("data-updated", String(data.at));
    // A notice's state changed (all sent, say): its buttons change too, so the page is
    // drawn again, unless staff are writing a notice.
    if (moved && !typing()) {
      window.location.reload();
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the next poll tries again */ });
  }

  window.setInterval(poll, EVERY_MS);
})();
