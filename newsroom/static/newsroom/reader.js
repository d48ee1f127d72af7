/* Newsroom public site, the reader's side (progressive enhancement; no third-party code).
 *
 * - Report an error: each claim's flag is a link to the plain report form. With this script,
 *   following it opens the same form in a modal dialog on the page (Escape or "Close" returns
 *   focus to the flag); if the form cannot be loaded, the link is simply followed.
 * - Share: the browser's own share sheet (Web Share API) where there is one, and a copy-link
 *   button; the plain share links work without script.
 * - One anonymous page-view ping per page load (sendBeacon), for "Today's top stories".
 */
(function () {
  "use strict";

  var dialog = null;
  var opener = null;

  function ensureDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "report-dialog";
    dialog.setAttribute("aria-labelledby", "report-dialog-title");
    dialog.addEventListener("close", function () {
      if (opener) opener.focus();
      opener = null;
    });
    document.body.appendChild(dialog);
    return dialog;
  }

  function openReport(link) {
    fetch(link.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var form = doc.querySelector("form.report-form");
        if (!form) throw new Error("no form");
        var box = ensureDialog();
        box.textContent = "";
        var title = document.createElement("h2");
        title.id = "report-dialog-title";
        title.textContent = "Report an error in this claim";
        var close = document.createElement("button");
        close.type = "button";
        close.className = "report-dialog-close";
        close.textContent = "Close";
        close.addEventListener("click", function () { box.close(); });
        box.appendChild(title);
        box.appendChild(document.importNode(form, true));
        box.appendChild(close);
        opener = link;
        box.showModal();
        var note = box.querySelector("textarea");
        if (note) note.focus();
      })
      .catch(function () { window.location.href = link.href; });
  }

  function initReports() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.claim-report") : null;
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey ||
          event.ctrlKey || event.shiftKey || event.altKey) return;
      if (typeof HTMLDialogElement !== "function" || !window.fetch || !window.DOMParser) return;
      event.preventDefault();
      openReport(link);
    });
  }

  function initShare() {
    var native = document.querySelector(".share-native");
    var copy = document.querySelector(".share-copy");
    var status = document.querySelector(".share-status");
    if (native && navigator.share) {
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator.share({ title: native.dataset.title, text: native.dataset.text,
                          url: native.dataset.url }).catch(function () {});
      });
    }
    if (copy && navigator.clipboard && navigator.clipboard.writeText) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(copy.dataset.url).then(function () {
          if (status) status.textContent = "Link copied.";
        }, function () {
          if (status) status.textContent = "Could not copy: select the link and copy it.";
        });
      });
    }
  }

  function pingView() {
    var extras = document.querySelector("[data-viewed-url]");
    // Automated browsers say so; they are not readers.
    if (!extras || navigator.webdriver || !navigator.sendBeacon) return;
    if (document.visibilityState === "prerender") return;
    navigator.sendBeacon(extras.dataset.viewedUrl);
  }

  function init() {
    initReports();
    initShare();
    pingView();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
