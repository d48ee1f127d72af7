// Merges. A save refused as stale opens a three-way merge: base (the revision the writer
// started from), theirs (the revision saved since) and yours (the unsaved text). Changes that
// touch different lines are combined at once; each passage both sides changed is a conflict,
// shown on its own, where the writer keeps theirs or yours. The merged text is editable beside
// theirs. The source list merges the same way (threeWayList). "Show the differences" of a kept
// draft uses the same two-pane view, read-only.

import { diff, MergeView } from "@codemirror/merge";
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView } from "@codemirror/view";
import { el, request } from "./util.js";

const PHRASES = EditorState.phrases.of({ "Revert this chunk": "Take their version of this change" });

let nonce = [];

export function useNonce(value) { nonce = value ? EditorView.cspNonce.of(value) : []; }

function side(doc, editable, label, extra = []) {
  return { doc, extensions: [EditorView.lineWrapping, PHRASES, nonce, EditorView.editable.of(editable),
    EditorState.readOnly.of(!editable), extra,
    EditorView.contentAttributes.of({ "aria-label": label || (editable ? "Your text (editable)" : "Their saved text (read-only)") })] };
}

function takeTheirs(mv, chunk) {
  const insertEnd = Math.max(chunk.fromA, chunk.toA - 1);
  let insert = mv.a.state.sliceDoc(chunk.fromA, insertEnd);
  if (chunk.fromA !== chunk.toA && chunk.toB <= mv.b.state.doc.length) insert += mv.a.state.lineBreak;
  mv.b.dispatch({ changes: { from: chunk.fromB, to: Math.min(mv.b.state.doc.length, chunk.toB), insert },
                  userEvent: "revert" });
}


export function showDifferences(saved, kept, after) {
  const existing = document.getElementById("nr-draft-diff");
  if (existing) { existing.remove(); return; }
  const box = el("section", { id: "nr-draft-diff", class: "nr-merge", "aria-label": "Differences between the form and the kept text" },
    el("div", { class: "nr-merge-labels" }, el("span", {}, "What the form shows"), el("span", {}, "The kept unsaved text")));
  after.after(box);
  new MergeView({ a: side(saved.body, false), b: side(kept.body, false), parent: box,
                  collapseUnchanged: { margin: 2, minSize: 4 }, gutter: true });
}

// ---- the three-way merge (pure) ------------------------------------------------------------

function normalise(text) { return (text || "").replace(/\r\n?/g, "\n"); }

// Lines with their line ends, so every passage is a plain substring of the text.
function lines(text) {
  const t = normalise(text);
  return (t.endsWith("\n") || !t ? t : `${t}\n`).split(/(?<=\n)/).filter((l) => l !== "");
}

const sameLines = (x, y) => x.length === y.length && x.every((line, i) => line === y[i]);

// Each distinct line as one character, so CodeMirror's character diff (Myers) diffs lines.
function encoder() {
  const codes = new Map();
  let next = 0x100;
  return (list) => list.map((line) => {
    let code = codes.get(line);
    if (code === undefined) {
      if (next === 0xd800) next = 0xe000; // no lone surrogates
      if (next > 0xffff) throw new RangeError("too many distinct lines");
      code = String.fromCharCode(next++);
      codes.set(line, code);
    }
    return code;
  }).join("");
}

// The regions of a three-way merge of line lists (diff3, after Khanna, Kunal and Pierce, as
// node-diff3 builds them): { stable: lines } where at most one side changed the base, and
// { conflict: { a, o, b } } where both did. Hunks that overlap or touch are one region.
export function diff3Regions(a, o, b) {
  const encode = encoder();
  const [ea, eo, eb] = [encode(a), encode(o), encode(b)];
  const hunks = [
    ...diff(eo, ea).map((c) => ({ side: "a", oStart: c.fromA, oEnd: c.toA, start: c.fromB, end: c.toB })),
    ...diff(eo, eb).map((c) => ({ side: "b", oStart: c.fromA, oEnd: c.toA, start: c.fromB, end: c.toB })),
  ].sort((x, y) => x.oStart - y.oStart || x.oEnd - y.oEnd);
  const regions = [];
  let at = 0;
  for (let i = 0; i < hunks.length;) {
    const group = [hunks[i++]];
    const start = group[0].oStart;
    let end = group[0].oEnd;
    while (i < hunks.length && hunks[i].oStart <= end) {
      end = Math.max(end, hunks[i].oEnd);
      group.push(hunks[i++]);
    }
    if (start > at) regions.push({ stable: o.slice(at, start) });
    if (group.length === 1) {
      const h = group[0];
      regions.push({ stable: (h.side === "a" ? a : b).slice(h.start, h.end) });
    } else {
      // Each side's text over the whole region: before its first hunk and after its last, a
      // side reads as the base, so the skew is the same at both ends.
      const span = (name, lines) => {
        const own = group.filter((h) => h.side === name);
        if (!own.length) return o.slice(start, end);
        const from = Math.min(...own.map((h) => h.start)) + start - Math.min(...own.map((h) => h.oStart));
        const to = Math.max(...own.map((h) => h.end)) + end - Math.max(...own.map((h) => h.oEnd));
        return lines.slice(from, to);
      };
      regions.push({ conflict: { a: span("a", a), o: o.slice(start, end), b: span("b", b) } });
    }
    at = end;
  }
  if (at < o.length) regions.push({ stable: o.slice(at) });
  return regions;
}

// base, theirs, yours -> { text, conflicts: [{ from, to, base, theirs, yours }] }: passages only
// one side changed take that side's text; passages both changed the same way take it once;
// the rest are conflicts, holding your text until the writer chooses.
export function threeWay(base, theirs, yours) {
  const mine = lines(yours);
  let regions;
  try {
    regions = diff3Regions(mine, lines(base), lines(theirs));
  } catch (_) { // more distinct lines than characters to stand for them: one conflict
    regions = [{ conflict: { a: mine, o: lines(base), b: lines(theirs) } }];
  }
  let text = "";
  const conflicts = [];
  for (const region of regions) {
    if (region.stable) {
      text += region.stable.join("");
    } else if (sameLines(region.conflict.a, region.conflict.b)) {
      text += region.conflict.a.join("");
    } else {
      const { a, o, b } = region.conflict;
      const passage = a.join("");
      conflicts.push({ from: text.length, to: text.length + passage.length, base: o.join(""),
                       theirs: b.join(""), yours: passage });
      text += passage;
    }
  }
  // Without a final line end in yours, the merge has none either (lines() added one).
  if (!normalise(yours).endsWith("\n") && text.endsWith("\n")) {
    text = text.slice(0, -1);
    for (const c of conflicts) { c.to = Math.min(c.to, text.length); c.from = Math.min(c.from, c.to); }
  }
  return { text, conflicts };
}

// A title or dek: one side's change is taken; both changed differently is a conflict.
export function threeWayField(base, theirs, yours) {
  if (theirs === yours || theirs === base) return { value: yours, conflict: false };
  if (yours === base) return { value: theirs, conflict: false };
  return { value: yours, conflict: true };
}

// The source list (library ids in number order): a source either side removed is removed, one
// either side added is added: after the source it follows on that side, or, added at the end,
// at the end (theirs before yours: they were saved first); the order is yours, or theirs when
// only they reordered the sources all three have. Both reordering them differently is a
// conflict: { order: null, yours: [...], theirs: [...] }, each order with every change combined.
export function threeWayList(base, theirs, yours) {
  const [inBase, inTheirs, inYours] = [new Set(base), new Set(theirs), new Set(yours)];
  const kept = (id) => !inBase.has(id) || (inTheirs.has(id) && inYours.has(id));
  const shared = (list) => list.filter((id) => inBase.has(id) && inTheirs.has(id) && inYours.has(id));
  const same = (x, y) => x.length === y.length && x.every((id, i) => id === y[i]);
  // What a side added after its last source from the base: added at the end.
  const tail = (list) => { let i = list.length; while (i > 0 && !inBase.has(list[i - 1])) i -= 1; return list.slice(i); };
  const ends = { theirs: tail(theirs), yours: tail(yours) };
  const added = { theirs: new Set(theirs.filter((id) => !inBase.has(id))),
                  yours: new Set(yours.filter((id) => !inBase.has(id))) };
  // One side's list (kept sources, and what it added in the middle), the other side's additions
  // in the middle after the source they follow there, then both sides' additions at the end.
  const combine = (first, firstName, other, otherName) => {
    const list = [...new Set(first.slice(0, first.length - ends[firstName].length).filter(kept))];
    let after = -1;
    for (const id of other.slice(0, other.length - ends[otherName].length)) {
      if (list.includes(id)) { after = list.indexOf(id); continue; }
      if (!added[otherName].has(id)) continue;
      let at = after + 1;
      if (otherName === "yours") while (at < list.length && added.theirs.has(list[at]) && !added.yours.has(list[at])) at += 1;
      list.splice(at, 0, id);
      after = at;
    }
    for (const id of [...ends.theirs, ...ends.yours]) if (!list.includes(id)) list.push(id);
    return list;
  };
  const yoursFirst = combine(yours, "yours", theirs, "theirs");
  const theirsFirst = combine(theirs, "theirs", yours, "yours");
  const [b, t, y] = [shared(base), shared(theirs), shared(yours)];
  if (same(t, b) || same(t, y)) return { order: yoursFirst, conflict: false };
  if (same(y, b)) return { order: theirsFirst, conflict: false };
  return { order: null, conflict: true, yours: yoursFirst, theirs: theirsFirst };
}

// ---- conflicts in the merged editor ---------------------------------------------------------

const chosen = StateEffect.define(); // { index, side }
const conflictMark = Decoration.mark({ class: "nr-conflict", attributes: { title: "Changed on both sides: choose below" } });
const resolvedMark = Decoration.mark({ class: "nr-conflict-resolved" });

// Where each conflict is in the merged text (mapped through every edit) and what was chosen.
const conflictRanges = StateField.define({
  create: () => [],
  update(ranges, tr) {
    let next = tr.docChanged ? ranges.map((r) => ({ ...r, from: tr.changes.mapPos(r.from, -1), to: tr.changes.mapPos(r.to, 1) })) : ranges;
    for (const effect of tr.effects) {
      if (effect.is(chosen)) next = next.map((r, i) => (i === effect.value.index ? { ...r, side: effect.value.side } : r));
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field, (ranges) => Decoration.set(
    ranges.filter((r) => r.to > r.from).map((r) => (r.side ? resolvedMark : conflictMark).range(r.from, r.to)), true)),
});

function lineSpan(state, from, to) {
  const first = state.doc.lineAt(Math.min(from, state.doc.length)).number;
  const last = state.doc.lineAt(Math.min(Math.max(from, to - 1), state.doc.length)).number;
  return first === last ? `line ${first}` : `lines ${first}–${last}`;
}

function passage(text) {
  return text.trim() ? el("pre", { class: "nr-conflict-text" }, text.replace(/\n$/, "")) : el("p", { class: "nr-conflict-none" }, "(removed)");
}

// Opens the merge of the writer's text with the current revision.
export async function openStaleMerge({ view, config, fields, status, mount }) {
  const yours = fields.read();
  let theirs;
  try {
    theirs = await request(config.storyUrl);
  } catch (error) {
    status.keep(`The newer revision could not be loaded (${error.message}); your text is kept here.`, "error");
    return;
  }
  // The revision the writer started from; without it every difference is a conflict.
  let base = null;
  if (yours.base_revision && /^[0-9a-f]{64}$/.test(yours.base_revision)) {
    try { base = await request(`${config.storyUrl}revisions/${yours.base_revision}/`); } catch (_) { base = null; }
  }
  const baseText = base ? base.body : "";
  const merged = threeWay(baseText, theirs.body || "", yours.body);
  const choices = {};
  // Their source list, with library ids, from their revision (the story's own answer has keys).
  let theirList = null;
  try { theirList = (await request(`${config.storyUrl}revisions/${theirs.revision}/`)).sources; } catch (_) { theirList = null; }
  const labels = new Map([...(base ? base.sources : []), ...(theirList || [])]
    .filter((s) => s.id).map((s) => [s.id, s.label]));
  for (const [id, label] of fields.sources.labels()) labels.set(id, label);
  const yourList = fields.sources.read();
  const ids = (list) => list.filter((s) => s.id).map((s) => s.id);
  let lists = null; // null: their list could not be read, and the form keeps yours
  if (theirList) {
    lists = base ? threeWayList(ids(base.sources), ids(theirList), yourList)
      : { order: null, conflict: true, yours: yourList, theirs: ids(theirList) };
    if (lists.conflict && lists.yours.join() === lists.theirs.join()) lists = { order: lists.yours, conflict: false };
  }
  choices.sources = lists ? lists.order : yourList;

  const box = el("section", { class: "nr-merge nr-stale-merge", role: "region", "aria-labelledby": "nr-merge-title" });
  const title = el("h2", { id: "nr-merge-title" },
    `Merge your text with revision ${theirs.revision_number}, saved while you were editing`);
  const summary = el("p", { class: "nr-merge-summary" });
  const help = el("p", { class: "help" },
    (base ? `Starting from revision ${base.number}, which you were editing: their changes and yours that touch `
      + "different passages are already combined in the merged text. "
      : "The revision you started from could not be loaded, so every difference is a conflict. ")
    + "Where both of you changed the same passage, choose whose version to keep. You can also edit "
    + "the merged text, or take one of their changes with the arrow. Then use the merged text and "
    + "save: the save builds on their revision.");
  const fieldRows = [];
  for (const [name, label] of [["title", "Title"], ["dek", "Dek"]]) {
    const b = base ? (base[name] || "") : null;
    const t = theirs[name] || "", y = yours[name] || "";
    const result = b === null ? { value: y, conflict: t !== y } : threeWayField(b, t, y);
    choices[name] = result.conflict ? null : result.value;
    if (!result.conflict) continue;
    const state = el("span", { class: "nr-conflict-state", "aria-live": "polite" }, "Not chosen yet.");
    const pick = (value, said) => { choices[name] = value; state.textContent = said; refresh(); };
    fieldRows.push(el("li", { class: "nr-conflict-item nr-field-conflict" },
      el("p", {}, el("strong", {}, `${label} changed on both sides. `),
        `Theirs: “${t}”. Yours: “${y}”. `),
      el("button", { type: "button", class: "button nr-keep-yours", onclick: () => pick(y, `Your ${label.toLowerCase()} kept.`) }, `Keep your ${label.toLowerCase()}`), " ",
      el("button", { type: "button", class: "button nr-take-theirs", onclick: () => pick(t, `Their ${label.toLowerCase()} taken.`) }, `Take their ${label.toLowerCase()}`), " ",
      state));
  }
  const named = (list) => list.map((id, i) => `${i + 1}. ${labels.get(id) || `source ${id}`}`).join("; ");
  if (lists && lists.conflict) {
    const state = el("span", { class: "nr-conflict-state", "aria-live": "polite" }, "Not chosen yet.");
    const pick = (list, said) => { choices.sources = list; state.textContent = said; refresh(); };
    fieldRows.push(el("li", { class: "nr-conflict-item nr-list-conflict" },
      el("p", {}, el("strong", {}, "Source order changed on both sides. "),
        "Sources either of you added or removed are combined in both orders. "),
      el("div", { class: "nr-conflict-sides" },
        el("div", {}, el("strong", {}, `Their order (revision ${theirs.revision_number})`), el("p", {}, named(lists.theirs))),
        el("div", {}, el("strong", {}, "Your order"), el("p", {}, named(lists.yours)))),
      el("button", { type: "button", class: "button nr-keep-yours", onclick: () => pick(lists.yours, "Your order kept.") }, "Keep your source order"), " ",
      el("button", { type: "button", class: "button nr-take-theirs", onclick: () => pick(lists.theirs, "Their order taken.") }, "Take their source order"), " ",
      state));
  }
  const listNote = el("p", { class: "nr-merge-sources" }, !lists
    ? "Their source list could not be loaded: the form keeps yours."
    : lists.conflict ? "The source list: both of you reordered it; choose an order below."
      : lists.order.join() === yourList.join() ? "The source list: no changes of theirs to combine."
        : `The source list, with their changes and yours: ${named(lists.order)}.`);
  const sideLabels = el("div", { class: "nr-merge-labels" },
    el("span", {}, `Theirs: revision ${theirs.revision_number} (saved)`), el("span", {}, "Merged (yours with theirs; you can edit it)"));
  const host = el("div", { class: "nr-merge-host" });
  const conflictList = el("ol", { class: "nr-merge-conflicts", "aria-label": "Passages both of you changed" });
  const done = el("div", { class: "nr-dialog-buttons" });
  const pending = el("p", { class: "nr-merge-pending", "aria-live": "polite" });
  box.append(title, summary, help, listNote, sideLabels, host, el("h3", {}, "Changed on both sides"), conflictList, pending, done);
  mount.before(box);

  const mv = new MergeView({
    a: side(theirs.body || "", false, "Their saved text (read-only)"),
    b: side(merged.text, true, "Merged text (editable)", [conflictRanges.init(() => merged.conflicts.map((c) => ({ from: c.from, to: c.to, side: null })))]),
    parent: host, revertControls: "a-to-b", gutter: true, highlightChanges: true,
    collapseUnchanged: { margin: 3, minSize: 8 },
    renderRevertControl: () => el("button", { type: "button", class: "nr-revert", "aria-label": "Take their version of this change", title: "Take their version of this change" }, "⇝"),
  });
  // The library reverts on mousedown; a keyboard "click" on the arrow (detail 0) does it too.
  mv.dom.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-chunk]");
    if (button && event.detail === 0) takeTheirs(mv, mv.chunks[Number(button.dataset.chunk)]);
  });
  box.mergeView = mv; // for the browser tests

  const states = [];
  const choose = (index, which) => {
    const range = mv.b.state.field(conflictRanges)[index];
    const conflict = merged.conflicts[index];
    let insert = which === "theirs" ? conflict.theirs : conflict.yours;
    if (range.to === mv.b.state.doc.length && !mv.b.state.doc.sliceString(range.from, range.to).endsWith("\n")) insert = insert.replace(/\n$/, "");
    mv.b.dispatch({ changes: { from: range.from, to: range.to, insert }, effects: chosen.of({ index, side: which }),
                    selection: { anchor: range.from }, scrollIntoView: true, userEvent: "input.merge" });
    states[index].textContent = which === "theirs" ? "Their version taken." : "Your version kept.";
    refresh();
  };
  conflictList.append(...fieldRows, ...merged.conflicts.map((conflict, index) => {
    const state = el("span", { class: "nr-conflict-state", "aria-live": "polite" }, "Not chosen yet.");
    states.push(state);
    return el("li", { class: "nr-conflict-item" },
      el("p", {}, el("strong", {}, `Conflict ${index + 1}`), `, merged ${lineSpan(mv.b.state, conflict.from, conflict.to)}: both of you changed this passage.`),
      el("div", { class: "nr-conflict-sides" },
        el("div", {}, el("strong", {}, `Theirs (revision ${theirs.revision_number})`), passage(conflict.theirs)),
        el("div", {}, el("strong", {}, "Yours"), passage(conflict.yours))),
      el("button", { type: "button", class: "button nr-keep-yours", onclick: () => choose(index, "yours") }, `Keep yours for conflict ${index + 1}`), " ",
      el("button", { type: "button", class: "button nr-take-theirs", onclick: () => choose(index, "theirs") }, `Take theirs for conflict ${index + 1}`), " ",
      state);
  }));
  const total = merged.conflicts.length + fieldRows.length;
  if (!total) conflictList.replaceChildren(el("li", {}, "Nothing: every change was combined."));

  const use = el("button", { type: "button", class: "button default nr-use-merged", onclick: () => finish(true) }, "Use the merged text");
  function refresh() {
    const open = mv.b.state.field(conflictRanges).filter((r) => !r.side).length
      + ["title", "dek", "sources"].filter((name) => choices[name] === null).length;
    use.disabled = open > 0;
    pending.textContent = open ? `Choose a side for ${open === 1 ? "the last conflict" : `each of the ${open} conflicts`} to use the merged text.` : "";
    summary.textContent = !total
      ? "No conflicts: their changes and yours touch different passages and are all in the merged text."
      : `${total} passage${total === 1 ? " was" : "s were"} changed on both sides; everything else is combined.`;
  }

  const finish = (accepted) => {
    if (accepted) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: mv.b.state.doc.toString() },
                      userEvent: "merge" });
      fields.write({ ...fields.read(), title: choices.title ?? yours.title, dek: choices.dek ?? yours.dek });
      if (choices.sources.join() !== yourList.join()) {
        fields.sources.write(choices.sources.map((id) => ({ id, label: labels.get(id) || String(id) })));
      }
      if (fields.base) fields.base.value = theirs.revision;
      status.keep(`Merged with revision ${theirs.revision_number}. Save the story to keep the merged text.`, "ok");
    } else {
      status.keep("Merge closed. Saving will be refused again until you merge with the newer revision.", "warning");
    }
    mv.destroy();
    box.remove();
    view.focus();
  };
  done.append(use, el("button", { type: "button", class: "button", onclick: () => finish(false) }, "Close without merging"));
  refresh();
  title.setAttribute("tabindex", "-1");
  title.focus();
}
