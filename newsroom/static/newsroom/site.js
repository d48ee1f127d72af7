/* Newsroom public site: citation hover cards (progressive enhancement).
 *
 * Without this script a citation link simply jumps to its numbered source. With it, hovering
 * or focusing a citation shows a card with the source's title, outlet and locator; the
 * title and outlet come from the #source-N list item, the locator from the link's title.
 */
(function () {
  "use strict";

  var card = null;
  var current = null;
  var hideTimer = null;

  function text(el) {
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function ensureCard() {
    if (card) return card;
    card = document.createElement("div");
    card.className = "cite-card";
    card.id = "cite-card";
    card.setAttribute("role", "tooltip");
    card.hidden = true;
    card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    card.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(card);
    return card;
  }

  function line(className, value) {
    var p = document.createElement("p");
    p.className = className;
    p.textContent = value;
    return p;
  }

  function fill(link) {
    var hash = link.getAttribute("href") || "";
    var item = hash.charAt(0) === "#" ? document.getElementById(hash.slice(1)) : null;
    var number = hash.replace(/^#source-/, "");
    var title = text(item && item.querySelector(".source-title"));
    var outlet = text(item && item.querySelector(".source-outlet"));
    // The link's title is the locator (e.g. "p. 2"), or the source title when there is none.
    var locator = link.dataset.locator !== undefined ? link.dataset.locator : (link.getAttribute("title") || "");
    if (link.hasAttribute("title")) {
      // Keep the locator but stop the browser's own tooltip from covering the card.
      link.dataset.locator = locator;
      link.removeAttribute("title");
    }
    if (!title) title = locator;
    var box = ensureCard();
    box.textContent = "";
    box.appendChild(line("cite-card-number", "Source " + number));
    box.appendChild(line("cite-card-title", title));
    if (outlet) box.appendChild(line("cite-card-outlet", outlet));
    if (locator && locator !== title) box.appendChild(line("cite-card-locator", locator));
  }

  function place(link) {
    var rect = link.getBoundingClientRect();
    var box = card;
    box.style.left = "0px";
    box.style.top = "0px";
    var width = box.offsetWidth;
    var left = window.scrollX + rect.left + rect.width / 2 - width / 2;
    var maxLeft = window.scrollX + document.documentElement.clientWidth - width - 12;
    left = Math.max(window.scrollX + 12, Math.min(left, maxLeft));
    var top = window.scrollY + rect.bottom + 8;
    if (rect.bottom + box.offsetHeight + 16 > window.innerHeight && rect.top > box.offsetHeight + 16) {
      top = window.scrollY + rect.top - box.offsetHeight - 8;
    }
    box.style.left = Math.round(left) + "px";
    box.style.top = Math.round(top) + "px";
  }

  function show(link) {
    clearTimeout(hideTimer);
    if (current && current !== link) current.removeAttribute("aria-describedby");
    current = link;
    fill(link);
    card.hidden = false;
    place(link);
    link.setAttribute("aria-describedby", "cite-card");
  }

  function hide() {
    clearTimeout(hideTimer);
    if (card) card.hidden = true;
    if (current) current.removeAttribute("aria-describedby");
    current = null;
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 150);
  }

  function citation(target) {
    return target && target.closest ? target.closest("sup.cite a") : null;
  }

  function init() {
    if (!document.querySelector("sup.cite a")) return;
    document.addEventListener("mouseover", function (event) {
      var link = citation(event.target);
      if (link) show(link);
    });
    document.addEventListener("mouseout", function (event) {
      var link = citation(event.target);
      if (link && !link.contains(event.relatedTarget)) scheduleHide();
    });
    document.addEventListener("focusin", function (event) {
      var link = citation(event.target);
      if (link) show(link); else if (current) hide();
    });
    document.addEventListener("focusout", function (event) {
      if (citation(event.target)) scheduleHide();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && current) hide();
    });
    document.addEventListener("click", function (event) {
      if (citation(event.target)) hide();
    });
    window.addEventListener("resize", function () { if (current) place(current); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
