// The source list's autocomplete boxes (select2) take their accessible name from the selected
// source, which an empty row does not have: name each box after its column and its choice.

function label(root) {
  const table = root.querySelector(".source-list table");
  if (!table) return;
  const heading = [...table.querySelectorAll("thead th")].find((th) => /source/i.test(th.textContent));
  if (heading && !heading.id) heading.id = "source-list-source-heading";
  root.querySelectorAll(".source-list .select2-selection[role=combobox]").forEach((box) => {
    const chosen = box.querySelector(".select2-selection__rendered");
    const ids = [heading && heading.id, chosen && chosen.id].filter(Boolean).join(" ");
    box.setAttribute("aria-label", "Source");
    const empty = !(chosen && chosen.textContent.trim());
    if (ids && !empty) box.setAttribute("aria-labelledby", ids);
    else box.removeAttribute("aria-labelledby");
    // select2 makes the shown choice a read-only textbox; an empty one needs a name too.
    if (chosen && empty) chosen.setAttribute("aria-label", "No source chosen");
    else if (chosen) chosen.removeAttribute("aria-label");
  });
}

export function labelSourceList() {
  const run = () => label(document);
  window.addEventListener("load", run);
  document.addEventListener("formset:added", () => setTimeout(run, 0));
  if (window.django && window.django.jQuery) {
    window.django.jQuery(document).on("select2:select select2:clear change", ".source-list select", () => setTimeout(run, 0));
  }
  setTimeout(run, 0);
}
