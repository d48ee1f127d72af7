// The writer's editor for the story body in the admin: CodeMirror 6 (Markdown, soft wrap, line
// numbers, search, undo history) over the plain textarea, which stays in the form (and is what
// a browser without JavaScript gets). Built by assets/build.mjs into stories/static/stories/.

import { history, historyKeymap, standardKeymap } from "@codemirror/commands";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, lintKeymap } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import { completionKeymap } from "@codemirror/autocomplete";

import { Checker, Panel } from "./check.js";
import { commentMarks } from "./comments.js";
import { Keeper } from "./keep.js";
import { keyRule } from "./keys.js";
import { cite, insertPicked, openGroup, Picker } from "./picker.js";
import { markdownMode } from "./markdown.js";
import { lazySearch } from "./search.js";
import { labelSourceList, readSourceList, sourceLabels, writeSourceList } from "./source-list.js";
import { debounce, el, tooLong, useTimeZone } from "./util.js";

class Status {
  constructor(mount) {
    this.checkLine = el("span", { class: "nr-status-check" });
    this.keepLine = el("span", { class: "nr-status-keep" });
    this.node = el("div", { class: "nr-status", role: "status", "aria-live": "polite" }, this.checkLine, this.keepLine);
    this.banners = el("div", { class: "nr-banners" });
    mount.append(this.node);
    mount.before(this.banners);
  }

  check(text, kind) { this.checkLine.textContent = text; this.checkLine.dataset.kind = kind; }
  keep(text, kind) { this.keepLine.textContent = text; this.keepLine.dataset.kind = kind; }
  mountBanner(node) { this.banners.append(node); }
}

function start(textarea) {
  const config = textarea.dataset;
  // First: without the key grammar the editor does not start, and the plain textarea stays.
  const keys = keyRule(config);
  useTimeZone(config.timeZone);
  const bodyLimit = Number(config.bodyLimit) || Infinity;
  const form = textarea.form;
  const row = textarea.closest(".form-row") || textarea.parentElement;
  const title = form.querySelector("#id_title");
  const dek = form.querySelector("#id_dek");
  const base = form.querySelector("#id_base_revision");
  const label = form.querySelector("label[for='id_body']");

  const wrap = el("div", { class: "nr-editor" });
  const toolbar = el("div", { class: "nr-toolbar", role: "toolbar", "aria-label": "Story body tools" });
  const host = el("div", { class: "nr-editor-host" });
  wrap.append(toolbar, host);
  textarea.after(wrap);
  textarea.hidden = true;
  textarea.setAttribute("aria-hidden", "true");
  textarea.tabIndex = -1;
  const status = new Status(wrap);

  let view;
  let onDocChange = () => {};
  const sync = debounce(() => { textarea.value = view.state.doc.toString(); }, 250);
  // Loaded the first time a writer adds a source.
  let dialogModule = null;
  const dialog = {
    async open(options) {
      if (!dialogModule) {
        const { AddSourceDialog } = await import("./add-source.js");
        dialogModule = new AddSourceDialog({ sourcesUrl: config.sourcesUrl, keys,
                                             limits: JSON.parse(config.sourceLimits || "{}") });
      }
      return dialogModule.open(options);
    },
  };
  let checker;
  const picker = new Picker({
    sourcesUrl: config.sourcesUrl,
    keys,
    numbers: () => new Map(((checker && checker.last && checker.last.sources) || [])
      .map((s) => [s.key, { number: s.number, listed: s.listed, source: s }])),
    addSource: async (key, v, from, to) => {
      const created = await dialog.open({ key });
      if (created) {
        picker.cache.clear();
        insertPicked(v, from, to, created);
      }
      v.focus();
    },
  });

  const finder = lazySearch();
  const labelId = label ? (label.id = label.id || "id_body_label") : null;
  const help = row.querySelector(".help, .helptext");
  view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), history(), drawSelection(), highlightActiveLine(),
        finder.extensions, markdownMode(), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        EditorView.lineWrapping, lintGutter(), commentMarks(),
        config.cspNonce ? EditorView.cspNonce.of(config.cspNonce) : [],
        picker.extensions(),
        keymap.of([...standardKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
        EditorView.contentAttributes.of({
          "aria-multiline": "true", spellcheck: "true", autocorrect: "on",
          ...(labelId ? { "aria-labelledby": labelId } : { "aria-label": "Story body" }),
          ...(help && help.id ? { "aria-describedby": help.id } : {}),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) { sync(); onDocChange(); }
          if (update.selectionSet && !update.state.selection.main.empty) finder.load(update.view);
        }),
        EditorView.domEventHandlers({
          paste(event, v) {
            // A link pasted inside an open citation group becomes a source.
            const text = (event.clipboardData && event.clipboardData.getData("text/plain") || "").trim();
            const pos = v.state.selection.main.head;
            if (!/^https?:\/\/\S+$/.test(text) || !openGroup(v.state, pos)) return false;
            event.preventDefault();
            const line = v.state.doc.lineAt(pos);
            const frag = keys.typed.exec(line.text.slice(0, pos - line.from));
            const from = frag ? pos - frag[1].length : pos;
            dialog.open({ url: text }).then((created) => {
              if (created) {
                picker.cache.clear();
                insertPicked(v, from, pos, created);
              }
              v.focus();
            });
            return true;
          },
        }),
      ],
    }),
  });
  if (label) label.addEventListener("click", (event) => { event.preventDefault(); view.focus(); });
  form.addEventListener("submit", (event) => {
    sync.cancel();
    const text = view.state.doc.toString();
    const why = tooLong(text, bodyLimit);
    if (why) {
      // Not sent: a body this long would be refused (over the upload limit, before the form
      // could keep it), so the writer stays here with every word still in the editor.
      event.preventDefault();
      event.stopImmediatePropagation();
      checker.cancel();
      status.check(`Not saved: ${why}`, "error");
      status.node.scrollIntoView({ block: "nearest" });
      view.focus();
      return;
    }
    textarea.value = text;
  }, true);

  toolbar.append(
    el("button", { type: "button", class: "button", "aria-keyshortcuts": "Control+Alt+C",
                   title: "Cite a source (Ctrl+Alt+C, ⌘⌥C on a Mac)", onclick: () => cite(view) }, "Cite a source [@"),
    el("button", { type: "button", class: "button", "aria-keyshortcuts": "Control+F",
                   onclick: () => { finder.open(view); } }, "Find and replace"),
    el("button", { type: "button", class: "button", onclick: async () => {
      const created = await dialog.open({});
      if (created) { picker.cache.clear(); status.keep(`Source “${created}” added to the library: cite it with [@${created}].`, "ok"); }
    } }, "Add a source to the library"));

  const serverPanel = document.getElementById("claims-panel");
  const panel = new Panel({ view, mount: row, serverPanel });
  checker = new Checker({ view, url: config.checkUrl, limit: bodyLimit, sourceIds: readSourceList, panel, status });

  const fields = {
    base,
    sources: { read: readSourceList, write: writeSourceList, labels: sourceLabels },
    read: () => ({ title: title ? title.value : "", dek: dek ? dek.value : "",
                   body: view.state.doc.toString(), base_revision: base ? base.value : "" }),
    write: (values) => {
      if (title && values.title !== undefined) title.value = values.title;
      if (dek && values.dek !== undefined) dek.value = values.dek;
      if (values.body !== undefined && values.body !== view.state.doc.toString()) {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: values.body } });
      }
    },
  };
  const loadMerge = async () => {
    const merge = await import("./merge.js");
    merge.useNonce(config.cspNonce);
    return merge;
  };
  const showDiff = async (...args) => (await loadMerge()).showDifferences(...args);
  const keeper = new Keeper({ config, fields, status, form, showDiff });
  onDocChange = () => { checker.changed(); keeper.changed(); };
  for (const input of [title, dek]) if (input) input.addEventListener("input", () => keeper.changed());

  // The source list changes what the numbers are: check again.
  const list = document.querySelector(".source-list");
  if (list) {
    list.addEventListener("change", () => checker.schedule());
    list.addEventListener("input", () => checker.schedule());
    document.addEventListener("formset:added", () => checker.schedule());
    document.addEventListener("formset:removed", () => checker.schedule());
    if (window.django && window.django.jQuery) {
      window.django.jQuery(list).on("change select2:select select2:clear", "select", () => checker.schedule());
    }
  }

  checker.schedule(0);
  keeper.start();
  if (config.staleRevision && config.storyUrl) {
    loadMerge().then(({ openStaleMerge }) => openStaleMerge({ view, config, fields, status, mount: wrap }));
  }
  // ?line=N from a refusal that names a line.
  const line = parseInt(new URLSearchParams(window.location.search).get("line") || "", 10);
  if (line > 0 && line <= view.state.doc.lines) {
    const at = view.state.doc.line(line);
    view.dispatch({ selection: { anchor: at.from, head: at.to }, scrollIntoView: true });
    view.focus();
  }
  textarea.newsroomEditor = view; // for the browser tests and other admin helpers
  window.dispatchEvent(new CustomEvent("newsroom:editor-ready", { detail: { view } }));
}

function ready(fn) {
  if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
}

ready(() => {
  const editors = document.querySelectorAll("textarea[data-editor='story']");
  editors.forEach(start);
  if (editors.length) labelSourceList();
});
