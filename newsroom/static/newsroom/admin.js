/* Newsroom admin helpers: copy an image snippet; drag sources into order (renumbers them);
   go to the line a refusal names. */
"use strict";
(function () {
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function bindCopyButtons() {
    document.querySelectorAll("button.copy-snippet").forEach(function (button) {
      button.addEventListener("click", function () {
        var text = button.getAttribute("data-copy") || "";
        if (navigator.clipboard) {
          navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
        }
      });
    });
  }

  function renumber(tbody) {
    var n = 1;
    tbody.querySelectorAll("tr.form-row").forEach(function (row) {
      if (row.classList.contains("empty-form")) { return; }
      var number = row.querySelector("input.source-number");
      var source = row.querySelector("select");
      if (number && source && source.value) { number.value = n; n += 1; }
    });
  }

  function bindSourceList() {
    var group = document.querySelector(".source-list");
    if (!group) { return; }
    var tbody = group.querySelector("tbody");
    if (!tbody) { return; }
    var dragged = null;
    function decorate(row) {
      if (row.classList.contains("empty-form") || row.querySelector(".drag-handle")) { return; }
      var cell = row.querySelector("td.original") || row.querySelector("td");
      if (!cell) { return; }
      var handle = document.createElement("span");
      handle.className = "drag-handle";
      handle.title = "Drag to reorder; the numbers follow";
      handle.textContent = "\u2630";
      cell.insertBefore(handle, cell.firstChild);
      row.setAttribute("draggable", "true");
      row.addEventListener("dragstart", function () { dragged = row; row.classList.add("dragging"); });
      row.addEventListener("dragend", function () { row.classList.remove("dragging"); dragged = null; renumber(tbody); });
      row.addEventListener("dragover", function (event) {
        event.preventDefault();
        if (!dragged || dragged === row) { return; }
        var box = row.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        tbody.insertBefore(dragged, after ? row.nextSibling : row);
      });
    }
    tbody.querySelectorAll("tr.form-row").forEach(decorate);
    document.addEventListener("formset:added", function (event) {
      if (event.target && event.target.closest && event.target.closest(".source-list")) { decorate(event.target); }
    });
  }

  // ?line=N (from a refusal that names a line): put the cursor at the start of that line.
  function goToLine() {
    var line = parseInt(new URLSearchParams(window.location.search).get("line") || "", 10);
    var body = document.getElementById("id_body");
    if (!body || !(line > 0)) { return; }
    var lines = body.value.split("\n");
    var at = 0;
    for (var i = 0; i < Math.min(line - 1, lines.length); i += 1) { at += lines[i].length + 1; }
    body.focus();
    body.setSelectionRange(at, at + (lines[line - 1] || "").length);
    var height = body.scrollHeight / Math.max(lines.length, 1);
    body.scrollTop = Math.max(0, (line - 3) * height);
  }

  ready(function () { bindCopyButtons(); bindSourceList(); goToLine(); });
})();
