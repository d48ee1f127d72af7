// Comment threads beside their text in the writer's editor: a gutter mark on each line a thread
// is anchored to (its passage found in the text as it is now, else the line the server gave;
// for an outdated thread, the line its words were on when it was made),
// the line and the passage highlighted, outdated threads marked apart. Clicking a mark opens
// its thread in the list under the editor (the threads are the page's [data-comment-thread]
// items, rendered by stories/templates/admin/stories/comments/_threads.html).

import { RangeSet, RangeSetBuilder } from "@codemirror/state";
import { Decoration, EditorView, gutter, GutterMarker, ViewPlugin } from "@codemirror/view";

const squash = (text) => text.replace(/[\s\u00a0]+/g, " ").trim();

function readThreads(root) {
  return [...root.querySelectorAll("[data-comment-thread]")]
    .filter((item) => !item.classList.contains("thread-resolved"))
    .map((item) => ({
      id: item.id,
      item,
      quote: item.dataset.quote || "",
      line: parseInt(item.dataset.line || item.dataset.wasLine || "", 10) || null,
      outdated: item.classList.contains("thread-outdated"),
      count: item.querySelectorAll(".comments > li").length,
    }));
}

// Where the passage is in `text`: exact first, then with runs of white space folded (the
// server folds them when it stores a quote).
function locate(text, quote) {
  if (!quote) return null;
  const exact = text.indexOf(quote);
  if (exact >= 0) return { from: exact, to: exact + quote.length };
  const words = squash(quote).split(" ").map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const found = new RegExp(words.join("[\\s\\u00a0]+")).exec(text);
  return found ? { from: found.index, to: found.index + found[0].length } : null;
}

class CommentMark extends GutterMarker {
  constructor(threads) { super(); this.threads = threads; }

  eq(other) { return other.threads.map((t) => t.id).join() === this.threads.map((t) => t.id).join(); }

  toDOM() {
    const outdated = this.threads.every((t) => t.outdated);
    const mark = document.createElement("span");
    mark.className = "nr-comment-mark" + (outdated ? " nr-comment-outdated" : "");
    mark.dataset.threads = this.threads.map((t) => t.id).join(" ");
    const n = this.threads.reduce((sum, t) => sum + t.count, 0);
    const what = this.threads.length === 1 ? "1 comment thread" : `${this.threads.length} comment threads`;
    mark.title = `${what}${outdated ? " (outdated: the text changed)" : ""}, ${n} comment${n === 1 ? "" : "s"}: click to open`;
    mark.textContent = outdated ? "!" : String(this.threads.length);
    return mark;
  }
}

const lineMark = Decoration.line({ class: "nr-commented-line" });
const outdatedLine = Decoration.line({ class: "nr-commented-line nr-commented-outdated" });
const passageMark = Decoration.mark({ class: "nr-comment-passage" });

// Where each thread sits now: its passage where it is found in the text, else where it sat
// before this change (mapped through the edit), else the line the page gave.
function anchors(doc, threads, previous, changes) {
  const text = doc.toString();
  const where = new Map();
  const passages = [];
  for (const thread of threads) {
    const at = thread.outdated ? null : locate(text, thread.quote);
    if (at) {
      where.set(thread.id, at.from);
      passages.push(at);
    } else if (previous.has(thread.id)) {
      where.set(thread.id, changes ? changes.mapPos(previous.get(thread.id)) : previous.get(thread.id));
    } else if (thread.line && thread.line <= doc.lines) {
      where.set(thread.id, doc.line(thread.line).from);
    }
  }
  return { where, passages };
}

function build(state, threads, previous = new Map(), changes = null) {
  const { doc } = state;
  const { where, passages } = anchors(doc, threads, previous, changes);
  const byLine = new Map();
  for (const thread of threads) {
    if (!where.has(thread.id)) continue;
    const line = doc.lineAt(where.get(thread.id)).number;
    if (!byLine.has(line)) byLine.set(line, []);
    byLine.get(line).push(thread);
  }
  const markers = new RangeSetBuilder();
  const decorations = [];
  for (const number of [...byLine.keys()].sort((a, b) => a - b)) {
    const group = byLine.get(number);
    const from = doc.line(number).from;
    markers.add(from, from, new CommentMark(group));
    decorations.push((group.every((t) => t.outdated) ? outdatedLine : lineMark).range(from));
  }
  for (const { from, to } of passages) if (to > from) decorations.push(passageMark.range(from, to));
  return { where, markers: markers.finish(), decorations: Decoration.set(decorations, true) };
}

function open(id) {
  const item = document.getElementById(id);
  if (!item) return;
  document.querySelectorAll(".thread-current").forEach((other) => other.classList.remove("thread-current"));
  item.classList.add("thread-current");
  item.scrollIntoView({ block: "center" });
  const reply = item.querySelector("textarea");
  if (reply) reply.focus({ preventScroll: true });
  else { item.tabIndex = -1; item.focus({ preventScroll: true }); }
}

// The extension, or none when the page has no threads.
export function commentMarks(root = document) {
  const threads = readThreads(root);
  if (!threads.length) return [];
  const plugin = ViewPlugin.fromClass(class {
    constructor(view) { Object.assign(this, build(view.state, threads)); }

    update(update) {
      if (update.docChanged) Object.assign(this, build(update.state, threads, this.where, update.changes));
    }
  }, { decorations: (value) => value.decorations });
  return [
    plugin,
    gutter({
      class: "nr-comment-gutter",
      markers: (view) => (view.plugin(plugin) ? view.plugin(plugin).markers : RangeSet.empty),
      domEventHandlers: {
        mousedown(view, block, event) {
          const mark = event.target.closest && event.target.closest(".nr-comment-mark");
          if (!mark) return false;
          event.preventDefault();
          open(mark.dataset.threads.split(" ")[0]);
          return true;
        },
      },
    }),
    EditorView.baseTheme({
      ".nr-comment-gutter": { minWidth: "1.6em" },
      ".nr-comment-mark": {
        display: "inline-block", minWidth: "1.2em", padding: "0 0.2em", borderRadius: "0.6em",
        background: "#fde68a", color: "#5c3b00", fontWeight: "700", textAlign: "center", cursor: "pointer",
      },
      ".nr-comment-mark.nr-comment-outdated": { background: "#e5e7eb", color: "#374151" },
      ".nr-commented-line": { boxShadow: "inset 3px 0 0 #f59e0b" },
      ".nr-commented-outdated": { boxShadow: "inset 3px 0 0 #9ca3af" },
      ".nr-comment-passage": { background: "rgba(253, 230, 138, 0.6)" },
    }),
  ];
}
