// Merges: a save refused as stale opens theirs beside yours, where each change can be taken
// from their revision chunk by chunk (by mouse on the arrows, or by keyboard from the list);
// "Show the differences" of a kept draft uses the same view, read-only.

import { MergeView } from "@codemirror/merge";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { el, request } from "./util.js";

const PHRASES = EditorState.phrases.of({ "Revert this chunk": "Take their version of this change" });

let nonce = [];

export function useNonce(value) { nonce = value ? EditorView.cspNonce.of(value) : []; }

function side(doc, editable) {
  return { doc, extensions: [EditorView.lineWrapping, PHRASES, nonce, EditorView.editable.of(editable),
    EditorState.readOnly.of(!editable),
    EditorView.contentAttributes.of({ "aria-label": editable ? "Your text (editable)" : "Their saved text (read-only)" })] };
}

function takeTheirs(mv, chunk) {
  const insertEnd = Math.max(chunk.fromA, chunk.toA - 1);
  let insert = mv.a.state.sliceDoc(chunk.fromA, insertEnd);
  if (chunk.fromA !== chunk.toA && chunk.toB <= mv.b.state.doc.length) insert += mv.a.state.lineBreak;
  mv.b.dispatch({ changes: { from: chunk.fromB, to: Math.min(mv.b.state.doc.length, chunk.toB), insert },
                  userEvent: "revert" });
}

function lineOf(state, pos) { return state.doc.lineAt(Math.min(pos, state.doc.length)).number; }

export function showDifferences(saved, kept, after) {
  const existing = document.getElementById("nr-draft-diff");
  if (existing) { existing.remove(); return; }
  const box = el("section", { id: "nr-draft-diff", class: "nr-merge", "aria-label": "Differences between the form and the kept text" },
    el("div", { class: "nr-merge-labels" }, el("span", {}, "What the form shows"), el("span", {}, "The kept unsaved text")));
  after.after(box);
  new MergeView({ a: side(saved.body, false), b: side(kept.body, false), parent: box,
                  collapseUnchanged: { margin: 2, minSize: 4 }, gutter: true });
}

// Opens the merge of the writer's text with the current revision; resolves when done.
export async function openStaleMerge({ view, config, fields, status, mount }) {
  let theirs;
  try {
    theirs = await request(config.storyUrl);
  } catch (error) {
    status.keep(`The newer revision could not be loaded (${error.message}); your text is kept here.`, "error");
    return;
  }
  const yours = fields.read();
  const box = el("section", { class: "nr-merge nr-stale-merge", role: "region", "aria-labelledby": "nr-merge-title" });
  const title = el("h2", { id: "nr-merge-title" },
    `Merge your text with revision ${theirs.revision_number}, saved while you were editing`);
  const help = el("p", { class: "help" },
    "Their saved text is on the left, yours on the right (you can edit it). For each change, keep "
    + "yours, or take theirs with the arrow or the buttons below. Then use the merged text and save: "
    + "the save builds on their revision, so nothing of theirs is overwritten by accident.");
  const labels = el("div", { class: "nr-merge-labels" },
    el("span", {}, `Theirs: revision ${theirs.revision_number} (saved)`), el("span", {}, "Yours (not saved)"));
  const host = el("div", { class: "nr-merge-host" });
  const chunkList = el("ol", { class: "nr-merge-chunks", "aria-label": "Changes between theirs and yours" });
  const extra = [];
  for (const [name, label] of [["title", "Title"], ["dek", "Dek"]]) {
    if ((theirs[name] || "") !== (yours[name] || "")) {
      const row = el("p", { class: "nr-merge-field" }, el("strong", {}, `${label}: `),
        `theirs is “${theirs[name] || ""}”, yours is “${yours[name] || ""}”. `,
        el("button", { type: "button", class: "button", onclick: () => {
          fields.write({ ...fields.read(), [name]: theirs[name] || "" });
          row.replaceChildren(`${label}: theirs taken.`);
        } }, `Take their ${label.toLowerCase()}`));
      extra.push(row);
    }
  }
  const done = el("div", { class: "nr-dialog-buttons" });
  box.append(title, help, ...extra, labels, host, el("h3", {}, "Changes"), chunkList, done);
  mount.before(box);

  const mv = new MergeView({
    a: side(theirs.body || "", false), b: side(yours.body, true), parent: host,
    revertControls: "a-to-b", gutter: true, highlightChanges: true,
    renderRevertControl: () => el("button", { type: "button", class: "nr-revert", "aria-label": "Take their version of this change", title: "Take their version of this change" }, "⇝"),
  });
  // The library reverts on mousedown; a keyboard "click" on the arrow (detail 0) does it too.
  mv.dom.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-chunk]");
    if (button && event.detail === 0) takeTheirs(mv, mv.chunks[Number(button.dataset.chunk)]);
  });
  const drawChunks = () => {
    const chunks = mv.chunks;
    chunkList.replaceChildren(...chunks.map((chunk, index) => el("li", {},
      `Change ${index + 1}: their lines ${lineOf(mv.a.state, chunk.fromA)}–${lineOf(mv.a.state, chunk.toA)}, `
      + `your lines ${lineOf(mv.b.state, chunk.fromB)}–${lineOf(mv.b.state, chunk.toB)} `,
      el("button", { type: "button", class: "button nr-take-theirs", onclick: () => { takeTheirs(mv, mv.chunks[index]); setTimeout(drawChunks, 50); } },
        `Take theirs for change ${index + 1}`))));
    if (!chunks.length) chunkList.replaceChildren(el("li", {}, "No differences left in the body."));
  };
  setTimeout(drawChunks, 50);
  mv.b.dom.addEventListener("keyup", () => setTimeout(drawChunks, 50));
  mv.dom.addEventListener("mouseup", () => setTimeout(drawChunks, 50));

  const finish = (merged) => {
    if (merged) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: mv.b.state.doc.toString() },
                      userEvent: "merge" });
      if (fields.base) fields.base.value = theirs.revision;
      status.keep(`Merged with revision ${theirs.revision_number}. Save the story to keep the merged text.`, "ok");
    } else {
      status.keep("Merge closed. Saving will be refused again until you merge with the newer revision.", "warning");
    }
    mv.destroy();
    box.remove();
    view.focus();
  };
  done.append(
    el("button", { type: "button", class: "button default nr-use-merged", onclick: () => finish(true) }, "Use the merged text"),
    el("button", { type: "button", class: "button", onclick: () => finish(false) }, "Close without merging"));
  title.setAttribute("tabindex", "-1");
  title.focus();
}
