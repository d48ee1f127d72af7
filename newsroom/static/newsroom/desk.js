/* Every admin page. Django's autocomplete (select2) names its combobox by the selected text,
   which is empty before a choice: name it by the select it stands for (its label or
   aria-label) so a screen reader says what the box is for. */
(function () {
  "use strict";
  function labelFor(select) {
    if (!select) { return ""; }
    var own = select.getAttribute("aria-label");
    if (own) { return own; }
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    return label ? label.textContent.replace(/[:*]\s*$/, "").trim() : "";
  }
  function nameBoxes() {
    document.querySelectorAll('.select2-selection[role="combobox"]').forEach(function (box) {
      if (box.hasAttribute("data-named")) { return; }
      var container = box.closest(".select2-container");
      var select = container ? container.previousElementSibling : null;
      var name = labelFor(select);
      if (!name) { return; }
      var shown = box.getAttribute("aria-labelledby");
      var hidden = document.createElement("span");
      hidden.id = (select.id || "select") + "-a11y-name";
      hidden.className = "visually-hidden";
      hidden.textContent = name;
      container.appendChild(hidden);
      box.setAttribute("aria-labelledby", hidden.id + (shown ? " " + shown : ""));
      var rendered = box.querySelector('[role="textbox"]');
      if (rendered) { rendered.setAttribute("aria-label", name); }
      box.setAttribute("data-named", "1");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    nameBoxes();
    new MutationObserver(nameBoxes).observe(document.body, { childList: true, subtree: true });
  });
})();
