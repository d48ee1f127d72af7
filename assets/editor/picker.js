// The source picker: `[@` (or the toolbar button, or Ctrl/Cmd-Alt-C) opens completion over the
// library by key, title, outlet and URL, showing each source's number on this story and its
// link health; `;` continues the group; a key the library lacks offers "add to library".
//
// A pick closes the group and leaves the cursor after its `]`, so the sentence goes on after
// the citation (". Next" is prose, not part of the group). The key typed right after a pick,
// there, decides: `;` (another key) and `,` (a locator) go back into the group, each as an
// undo step of its own after the key as typed (Ctrl-Z leaves a prose `;` or `,` after the
// group); `]` is swallowed (the picker closed the group). Any other edit or move forgets it.

import { acceptCompletion, autocompletion, completionStatus, startCompletion } from "@codemirror/autocomplete";
import { isolateHistory } from "@codemirror/commands";
import { Prec, StateEffect, StateField } from "@codemirror/state";
import { EditorView, keymap, ViewPlugin } from "@codemirror/view";
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

const setPicked = StateEffect.define();

// The position just after the `]` of the group the last pick closed, until the next edit or
// cursor move.
const picked = StateField.define({
  create: () => null,
  update(value, tr) {
    for (const effect of tr.effects) if (effect.is(setPicked)) return effect.value;
    return value === null || tr.docChanged || tr.selection ? null : value;
  },
});

// Where the cursor is right after a pick's `]`, with nothing done since: that position.
function afterPick(view) {
  const at = view.state.field(picked, false);
  const range = view.state.selection.main;
  if (at === null || at === undefined || !range.empty || range.head !== at) return null;
  return view.state.sliceDoc(at - 1, at) === "]" ? at : null;
}

// Put `text` into the picked group, before its `]` (at - 1), the cursor after it.
function intoGroup(view, at, text, extra = {}) {
  view.dispatch({ changes: { from: at - 1, insert: text }, selection: { anchor: at - 1 + text.length },
                  userEvent: "input.complete", ...extra });
}

// `;` or `,` typed right after a pick: first as typed, after the group, then (its own undo
// step) moved into the group.
function reenter(view, typed, text) {
  const at = afterPick(view);
  if (at === null) return false;
  view.dispatch({ changes: { from: at, insert: typed }, selection: { anchor: at + typed.length },
                  userEvent: "input.type" });
  view.dispatch({ changes: [{ from: at - 1, insert: text }, { from: at, to: at + typed.length }],
                  selection: { anchor: at - 1 + text.length }, userEvent: "input.complete",
                  annotations: isolateHistory.of("before") });
  return true;
}

// Insert a picked (or just created) key at from..to, closing the group unless it goes on.
export function insertPicked(view, from, to, key, userEvent = "input.complete") {
  const next = view.state.sliceDoc(to, to + 1);
  if (next === ";" || next === ",") {
    // Inside a group that goes on (another key, a locator): stay in it.
    view.dispatch({ changes: { from, to, insert: key }, selection: { anchor: from + key.length }, userEvent });
    return;
  }
  const after = from + key.length + 1;
  view.dispatch({ changes: { from, to, insert: next === "]" ? key : key + "]" },
                  selection: { anchor: after }, effects: setPicked.of(after), userEvent });
}

// Enter pressed while the list is still catching up with fast typing (the query for what was
// typed is on its way, so the list shown is an older one and CodeMirror will not pick from it):
// the writer means the pick, never a newline in the middle of a citation group. The pick is made
// as soon as the list has caught up; what is typed meanwhile is held and typed after it (so
// `;` and `,` still go back into the group). Moving the cursor, or the list closing, forgets it.
const waitingPick = ViewPlugin.fromClass(class {
  constructor(view) { this.view = view; this.held = null; this.timer = null; }
  update(update) {
    if (this.held && update.transactions.some((tr) => tr.isUserEvent("select"))) this.stop();
  }
  start() {
    this.held = [];
    this.tries = 0;
    this.retry();
  }
  hold(text) {
    if (!this.held) return false;
    this.held.push(text);
    return true;
  }
  retry() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tryPick(), 15);
  }
  tryPick() {
    if (!this.held) return;
    // A list that never catches up (about 5 s) gives the writer their keys back unpicked.
    if (acceptCompletion(this.view) || completionStatus(this.view.state) === null
        || ++this.tries > 300) {
      const held = this.held;
      this.stop();
      for (const text of held) typeHeld(this.view, text);
    } else {
      this.retry();
    }
  }
  stop() {
    this.held = null;
    clearTimeout(this.timer);
  }
  destroy() { this.stop(); }
});

// Enter in a citation group: pick what the list shows, or wait for it (waitingPick).
function pickWhenReady(view) {
  if (!openGroup(view.state, view.state.selection.main.head)) return false;
  if (acceptCompletion(view)) return true;
  if (completionStatus(view.state) === null) return false;
  view.plugin(waitingPick).start();
  return true;
}

// Text typed while a pick waits, typed after it as the writer's keys would have been.
function typeHeld(view, text) {
  if (text === ";" && continueGroup(view)) return;
  if (text === "," && reenter(view, ",", ",")) return;
  if (text === "]" && (closeAfterPick(view) || stepOverClose(view))) return;
  const range = view.state.selection.main;
  if (swallowTypedAt(view, range.from, range.to, text)) return;
  view.dispatch({ changes: { from: range.from, to: range.to, insert: text },
                  selection: { anchor: range.from + text.length }, userEvent: "input.type" });
}

// While a pick waits, keys are held, not typed before it.
function holdWhileWaiting(key) {
  return (view) => {
    const waiting = view.plugin(waitingPick);
    return waiting ? waiting.hold(key) : false;
  };
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
      picked,
      waitingPick,
      EditorView.inputHandler.of((view, from, to, text) => {
        const waiting = view.plugin(waitingPick);
        return (waiting && waiting.hold(text)) || swallowTypedAt(view, from, to, text);
      }),
      Prec.highest(keymap.of([
        { key: "Enter", run: (view) => holdWhileWaiting("\n")(view) || pickWhenReady(view) },
        { key: ";", run: (view) => holdWhileWaiting(";")(view) || continueGroup(view) },
        { key: ",", run: (view) => holdWhileWaiting(",")(view) || reenter(view, ",", ",") },
        { key: "]", run: (view) => holdWhileWaiting("]")(view) || closeAfterPick(view) || stepOverClose(view) },
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

function applyKey(key) {
  return (view, completion, from, to) => insertPicked(view, from, to, key);
}

// `;` right after a pick, or inside a group: start the next key of the group (accepting what
// the picker shows first).
export function continueGroup(view) {
  if (reenter(view, ";", "; @")) {
    startCompletion(view);
    return true;
  }
  const pos = view.state.selection.main.head;
  if (!openGroup(view.state, pos)) return false;
  if (completionStatus(view.state) === "active") acceptCompletion(view);
  const picked = afterPick(view);
  if (picked !== null) {
    intoGroup(view, picked, "; @");
  } else {
    const at = view.state.selection.main.head;
    view.dispatch({ changes: { from: at, insert: "; @" }, selection: { anchor: at + 3 },
                    userEvent: "input.type" });
  }
  startCompletion(view);
  return true;
}

// A space or `@` typed right after the "; @" that `;` typed in a group: the writer typing the
// separator as written (`[@one; @two]`). Kept, it made "; @ @two", a malformed key; no key
// starts with either, so nothing meant is dropped.
function swallowTypedAt(view, from, to, text) {
  if ((text !== " " && text !== "@") || from !== to) return false;
  const group = openGroup(view.state, from);
  return group !== null && /;\s*@$/.test(group.text);
}

// `]` right after a pick: the picker closed the group already; a second `]` would be published.
function closeAfterPick(view) {
  if (afterPick(view) === null) return false;
  view.dispatch({ effects: setPicked.of(null) });
  return true;
}

// `]` typed just before the `]` the toolbar (or a writer) closed the group with: step over it,
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
