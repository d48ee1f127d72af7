// Evidence in place on the reviewer's screen: opening "Show claim N in source M" loads that
// source's text (marked by the server) into the claim's row and scrolls it to the first match.
(function () {
  "use strict";

  function showFirst(pane) {
    var first = pane.querySelector("mark");
    if (!first) return;
    var text = pane.querySelector(".source-text") || pane;
    var offset = first.getBoundingClientRect().top - text.getBoundingClientRect().top;
    text.scrollTop += offset - text.clientHeight / 3;
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("details.evidence-view") || !details.open) return;
    var pane = details.querySelector(".evidence-pane");
    if (details.dataset.loaded) { showFirst(pane); return; }
    fetch(details.dataset.src, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        pane.innerHTML = html;  // escaped by the server (stories.admin_evidence)
        details.dataset.loaded = "1";
        showFirst(pane);
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "evidence-none";
        note.textContent = "The source text could not be loaded; use the link above.";
        pane.appendChild(note);
      });
  }, true);
})();
