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

const rows = () => [...document.querySelectorAll(".source-list tr.form-row:not(.empty-form)")];
const chosenId = (row) => {
  const select = row.querySelector("select[name$='-source']");
  return select && select.value ? parseInt(select.value, 10) : null;
};
const removed = (row) => {
  const deleted = row.querySelector("input[name$='-DELETE']");
  return Boolean(deleted && deleted.checked);
};

// The source list rows as the admin form will save them: library ids by number, unnumbered
// ones last.
export function readSourceList() {
  return rows().map((row, index) => {
    const id = chosenId(row);
    if (!id || removed(row)) return null;
    const number = row.querySelector("input.source-number");
    const n = number && number.value ? parseInt(number.value, 10) : Infinity;
    return { id, n: Number.isNaN(n) ? Infinity : n, index };
  }).filter(Boolean).sort((a, b) => a.n - b.n || a.index - b.index).map((row) => row.id);
}

function choose(row, id, label) {
  const select = row.querySelector("select[name$='-source']");
  if (!select) return;
  if (id === null) {
    select.value = "";
  } else {
    if (![...select.options].some((option) => option.value === String(id))) select.append(new Option(label, String(id)));
    select.value = String(id);
  }
  if (window.django && window.django.jQuery) window.django.jQuery(select).trigger("change");
  else select.dispatchEvent(new Event("change", { bubbles: true }));
}

function newRow() {
  const link = document.querySelector(".source-list .add-row a");
  if (!link) return null;
  const before = new Set(rows());
  link.click();
  return rows().find((row) => !before.has(row)) || null;
}

// Writes a source list ([{id, label}] in number order) into the form's rows: rows already
// holding a source are renumbered or removed, the others take the sources still missing.
export function writeSourceList(entries) {
  const want = new Map(entries.map((entry, index) => [entry.id, { ...entry, number: index + 1 }]));
  const free = [];
  for (const row of rows()) {
    const id = chosenId(row);
    const number = row.querySelector("input.source-number");
    const deleted = row.querySelector("input[name$='-DELETE']");
    if (id && want.has(id) && !want.get(id).row) {
      want.get(id).row = row;
      if (number) number.value = String(want.get(id).number);
      if (deleted) deleted.checked = false;
    } else if (id && !removed(row)) {
      if (deleted) deleted.checked = true; else free.push(row);
    } else if (!id && !removed(row)) {
      free.push(row);
    }
  }
  for (const entry of want.values()) {
    if (entry.row) continue;
    const row = free.shift() || newRow();
    if (!row) continue;
    choose(row, entry.id, entry.label);
    const number = row.querySelector("input.source-number");
    if (number) number.value = String(entry.number);
  }
  for (const row of free) {
    choose(row, null);
    const number = row.querySelector("input.source-number");
    if (number) number.value = "";
  }
  const list = document.querySelector(".source-list");
  if (list) list.dispatchEvent(new Event("change", { bubbles: true }));
}

// Library id -> the name each chosen row shows ("key: title").
export function sourceLabels() {
  const labels = new Map();
  for (const row of rows()) {
    const select = row.querySelector("select[name$='-source']");
    const option = select && select.selectedOptions[0];
    if (option && option.value) labels.set(parseInt(option.value, 10), option.textContent.trim());
  }
  return labels;
}
