// The source picker: `[@` (or the toolbar button, or Ctrl/Cmd-Alt-C) opens completion over the
// library by key, title, outlet and URL, showing each source's number on this story and its
// link health; `;` continues the group; a key the library lacks offers "add to library".

import { acceptCompletion, autocompletion, completionStatus, startCompletion } from "@codemirror/autocomplete";
import { Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { el, request } from "./util.js";

const HEALTH = { ok: "link ok", redirected: "link redirected", broken: "link broken",
                 unreachable: "link unreachable", changed: "page changed", unknown: "link not checked yet" };

// The open citation group the cursor is in on its line, if any: the text since its "[@".
export function openGroup(state, pos) {
  const line = state.doc.lineAt(pos);
  const before = line.text.slice(0, pos - line.from);
  const match = /(^|[^\\])\[(@[^\]\[]*)$/.exec(before);
  return match ? { text: match[2], line } : null;
}

export class Picker {
  constructor({ sourcesUrl, keys, numbers, addSource }) {
    this.sourcesUrl = sourcesUrl;
    this.keys = keys; // keyRule(): the server's key grammar
    this.numbers = numbers; // () => Map key -> {number, listed}
    this.addSource = addSource; // (key, view, from, to) => void
    this.cache = new Map();
  }

  async search(query) {
    if (this.cache.has(query)) return this.cache.get(query);
    const url = `${this.sourcesUrl}?page_size=20&q=${encodeURIComponent(query)}`;
    const data = await request(url);
    const results = data.results || [];
    this.cache.set(query, results);
    if (this.cache.size > 100) this.cache.delete(this.cache.keys().next().value);
    return results;
  }

  completionSource() {
    return async (context) => {
      const group = openGroup(context.state, context.pos);
      if (!group) return null;
      const fragment = this.keys.typed.exec(group.text);
      if (!fragment) return null; // writing a locator after the comma
      const query = fragment[1];
      const from = context.pos - query.length;
      let results;
      try { results = await this.search(query); } catch (error) {
        return { from, options: [{ label: query || "@", displayLabel: `Sources not loaded: ${error.message}`, apply: () => {} }], filter: false };
      }
      if (context.aborted) return null;
      const numbers = this.numbers();
      const seen = new Set();
      const options = [];
      const option = (s) => {
        seen.add(s.key);
        const number = numbers.get(s.key);
        return {
          label: s.key, type: "source", boost: number ? 20 - Math.min(number.number, 19) : 0,
          detail: number ? `№ ${number.number} on this story` : "",
          source: s, apply: applyKey(s.key),
        };
      };
      // With nothing typed yet, the story's own sources come first, in number order.
      if (!query) {
        for (const [key, entry] of numbers) {
          if (entry.source) options.push(option({ ...entry.source, key }));
        }
      }
      for (const s of results) if (!seen.has(s.key)) options.push(option(s));
      if (query && !results.some((s) => s.key === query) && this.keys.isKey(query)) {
        options.push({
          label: query, displayLabel: `Add “${query}” to the library…`, type: "add", boost: -50,
          apply: (view, completion, f, t) => this.addSource(query, view, f, t),
        });
      }
      if (!options.length) {
        options.push({ label: "@", displayLabel: "No source in the library matches", apply: () => {} });
      }
      return { from, to: context.pos, options, filter: false };
    };
  }

  extensions() {
    return [
      autocompletion({
        override: [this.completionSource()],
        icons: false,
        activateOnTyping: true,
        addToOptions: [{ position: 80, render: (completion) => renderSource(completion) }],
        optionClass: (completion) => completion.type === "add" ? "nr-option-add" : "nr-option-source",
      }),
      Prec.highest(keymap.of([
        { key: ";", run: continueGroup },
        { key: "]", run: stepOverClose },
        { key: "Mod-Alt-c", run: cite, preventDefault: true },
      ])),
    ];
  }
}

function renderSource(completion) {
  const s = completion.source;
  if (!s) return null;
  const health = s.health || "unknown";
  return el("span", { class: "nr-option-info" },
    el("span", { class: "nr-option-title" }, s.title || "(no title)"),
    s.outlet ? el("span", { class: "nr-option-outlet" }, ` — ${s.outlet}`) : null,
    el("span", { class: `nr-health nr-health-${health}` }, ` · ${HEALTH[health] || health}`),
    s.url ? el("span", { class: "nr-option-url" }, ` · ${s.url}`) : null);
}

// Insert the key; close the group when nothing follows it yet.
function applyKey(key) {
  return (view, completion, from, to) => {
    const next = view.state.sliceDoc(to, to + 1);
    const closing = [";", "]", ","].includes(next) ? "" : "]";
    view.dispatch({ changes: { from, to, insert: key + closing },
                    selection: { anchor: from + key.length }, userEvent: "input.complete" });
  };
}

// `;` inside a group: accept what the picker shows, then start the next key of the group.
export function continueGroup(view) {
  const pos = view.state.selection.main.head;
  if (!openGroup(view.state, pos)) return false;
  if (completionStatus(view.state) === "active") acceptCompletion(view);
  const at = view.state.selection.main.head;
  view.dispatch({ changes: { from: at, insert: "; @" }, selection: { anchor: at + 3 },
                  userEvent: "input.type" });
  startCompletion(view);
  return true;
}

// `]` typed just before the `]` the picker or the toolbar closed the group with: step over it,
// as a writer who closes the group out of habit expects (a second `]` would be published).
export function stepOverClose(view) {
  const range = view.state.selection.main;
  if (!range.empty || view.state.sliceDoc(range.head, range.head + 1) !== "]") return false;
  if (!openGroup(view.state, range.head)) return false;
  // What was typed stays as typed: `]` never picks the highlighted option for the writer.
  view.dispatch({ selection: { anchor: range.head + 1 }, userEvent: "select" });
  return true;
}

// The toolbar button and Mod-Alt-C: start a group here (or the next key of the open one).
export function cite(view) {
  const range = view.state.selection.main;
  if (openGroup(view.state, range.head)) return continueGroup(view);
  const before = view.state.sliceDoc(Math.max(0, range.from - 1), range.from);
  const insert = (before && !/\s/.test(before) ? " " : "") + "[@]";
  view.dispatch({ changes: { from: range.from, to: range.to, insert },
                  selection: { anchor: range.from + insert.length - 1 }, userEvent: "input.type" });
  view.focus();
  startCompletion(view);
  return true;
}
