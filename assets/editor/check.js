// Citations checked while typing: about 300 ms after a pause the unsaved text goes to the
// check endpoint (the server's own citation engine, nothing saved); its errors and warnings
// are underlined where they are, and the Claims & sources panel is redrawn from the answer.

import { setDiagnostics } from "@codemirror/lint";
import { EditorSelection } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { clock, el, request, tooLong } from "./util.js";

const PAUSE_MS = 300;

export class Checker {
  constructor({ view, url, limit, sourceIds, panel, status }) {
    this.view = view;
    this.url = url;
    this.limit = limit;
    this.sourceIds = sourceIds;
    this.panel = panel;
    this.status = status;
    this.version = 0;
    this.timer = null;
    this.controller = null;
    this.last = null; // the last good answer: the picker reads numbers from it
    this.listeners = [];
  }

  onResult(fn) { this.listeners.push(fn); }

  changed() {
    this.version += 1;
    this.schedule(PAUSE_MS);
  }

  schedule(ms = PAUSE_MS) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), ms);
  }

  // A check waiting for its pause, or on its way, is dropped (the save refusal says more).
  cancel() {
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
  }

  async run() {
    const version = this.version;
    if (this.controller) this.controller.abort();
    const body = this.view.state.doc.toString();
    const why = tooLong(body, this.limit);
    if (why) {
      this.refuse(`Not checked: ${why}`);
      return;
    }
    const controller = this.controller = new AbortController();
    try {
      const data = await request(this.url, {
        method: "POST", signal: controller.signal,
        body: { body, source_ids: this.sourceIds() },
      });
      // Typed since, or replaced by a newer check: that one's answer is the one to show.
      if (version !== this.version || controller.signal.aborted) return;
      this.last = data;
      this.apply(data);
      this.listeners.forEach((fn) => fn(data));
    } catch (error) {
      if (error.name === "AbortError" || controller.signal.aborted || version !== this.version) return;
      if (error.status === 429) {
        this.status.check("Checks paused: too many in a minute. Trying again shortly…", "warning");
        this.schedule(5000);
        return;
      }
      if (error.status === 0) {
        this.status.check("Not checked: the server could not be reached. Retrying…", "warning");
        this.schedule(10000);
        return;
      }
      // A refusal with a message (too large, too many markers, NUL, no permission).
      this.refuse(`Not checked: ${error.message}`);
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  refuse(message) {
    this.view.dispatch(setDiagnostics(this.view.state, []));
    this.status.check(message, "error");
    this.panel.refused(message.replace(/^Not checked: /, ""));
  }

  apply(data) {
    const length = this.view.state.doc.length;
    const diagnostics = [];
    const add = (problem, severity) => {
      if (problem.from === null || problem.from === undefined) return;
      const from = Math.min(problem.from, length);
      const to = Math.min(Math.max(problem.to || from + 1, from + 1), length);
      if (from >= length && length > 0) return;
      diagnostics.push({ from, to, severity, message: problem.message, source: "citations" });
    };
    data.errors.forEach((p) => add(p, "error"));
    data.warnings.forEach((p) => add(p, "warning"));
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics));
    const e = data.errors.length, w = data.warnings.length;
    const summary = e || w
      ? `${e} error${e === 1 ? "" : "s"}, ${w} warning${w === 1 ? "" : "s"}`
      : "no citation errors or warnings";
    this.status.check(`Checked at ${clock(new Date())}: ${summary}.`, e ? "error" : w ? "warning" : "ok");
    this.panel.render(data);
  }
}

export function goTo(view, from) {
  const pos = Math.max(0, Math.min(from || 0, view.state.doc.length));
  view.dispatch({ selection: EditorSelection.cursor(pos),
                  effects: EditorView.scrollIntoView(pos, { y: "center" }) });
  view.focus();
}

// The live Claims & sources panel; every entry that has a place in the text is a button that
// moves the cursor there.
export class Panel {
  constructor({ view, mount, serverPanel }) {
    this.view = view;
    this.node = el("section", { class: "module newsroom-panel nr-live-panel", id: "live-claims-panel",
                               "aria-labelledby": "live-claims-title" });
    this.heading = el("h2", { id: "live-claims-title" }, "Claims & sources");
    this.note = el("span", { class: "panel-note" }, " · unsaved text, checked as you type");
    this.heading.append(this.note);
    this.content = el("div", { class: "nr-panel-content" },
                      el("p", { class: "help" }, "Checking the text…"));
    this.node.append(this.heading);
    // The saved revision's note that library copies changed since it pinned them still applies.
    const outdated = serverPanel && serverPanel.querySelector(".outdated-sources");
    if (outdated) this.node.append(outdated);
    this.node.append(this.content);
    mount.after(this.node);
    if (serverPanel) serverPanel.hidden = true;
  }

  goButton(label, from, extra = {}) {
    return el("button", { type: "button", class: "nr-goto", "data-from": from, ...extra,
                          onclick: () => goTo(this.view, from) }, label);
  }

  refused(message) {
    this.content.replaceChildren(el("p", { class: "problem problem-error", role: "alert" },
                                    el("strong", {}, "Not checked "), message));
  }

  render(data) {
    const count = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    this.note.textContent = ` · unsaved text · ${count(data.claims.length, "claim")} · ${count(data.sources.length, "source")}`;
    const parts = [];
    const problems = [
      ...data.errors.map((p) => ["error", "Error", p]),
      ...data.warnings.map((p) => ["warning", "Warning", p]),
    ];
    if (problems.length) {
      parts.push(el("ul", { class: "problems", "aria-label": "Citation problems" },
        problems.map(([kind, label, p]) => el("li", { class: `problem problem-${kind}` },
          p.from === null ? el("strong", {}, label) : this.goButton(label, p.from, {
            "aria-label": `${label}: go to line ${p.line}, column ${p.column}` }),
          " ", p.message))));
    } else {
      parts.push(el("p", { class: "no-problems" }, "No citation errors or warnings."));
    }
    if (!data.in_reading_order && data.reading_order.length) {
      const shown = data.reading_order.slice(0, 12).join(", ") + (data.reading_order.length > 12 ? ", …" : "");
      parts.push(el("div", { class: "nr-order-note", role: "note" },
        el("p", {}, el("strong", {}, "Numbers are out of reading order. "),
          `Readers meet the sources as ${shown}: a source cited for the first time was added `
          + "after the others on the list. Renumbering by first citation makes them "
          + data.reading_order.map((_, i) => i + 1).slice(0, 12).join(", ")
          + (data.reading_order.length > 12 ? ", …" : "") + "."),
        el("button", { type: "submit", name: "_renumber", value: "1", class: "button" },
           "Save and renumber by first citation")));
    }
    parts.push(el("h3", {}, "Claims"));
    if (data.claims.length) {
      const titles = new Map(data.sources.map((s) => [s.number, s.title || s.key]));
      // Evidence warnings (figures no cited snapshot has) name their claim.
      const unsupported = new Map(data.warnings.filter((w) => w.code === "figures_not_found" && w.claim)
        .map((w) => [w.claim, w.message.replace(/^Claim \d+: /, "")]));
      const rows = data.claims.map((c) => el("tr", { id: `live-claim-${c.ordinal}` },
        el("td", { class: "ordinal" }, String(c.ordinal)),
        el("td", { class: "claim-text" }, c.text, unsupported.has(c.ordinal)
          ? el("span", { class: "nr-evidence-missing" }, el("br"), `⚠ ${unsupported.get(c.ordinal)}`) : null),
        el("td", { class: "claim-sources" }, c.sources.map((s, i) => [i ? el("br") : null,
          el("span", { class: "cite-number" }, `[${s.number}]`), " ",
          titles.get(s.number) || s.key, s.locator ? `, ${s.locator}` : ""])),
        el("td", { class: "where" }, this.goButton(`line ${c.line}, column ${c.column}`, c.from, {
          "aria-label": `Go to claim ${c.ordinal}, line ${c.line}, column ${c.column}` }))));
      parts.push(el("table", { class: "panel-claims" },
        el("caption", { class: "nr-visually-hidden" }, "Claims in the unsaved text"),
        el("thead", {}, el("tr", {}, ["#", "Claim", "Sources", "Where"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows)));
    } else {
      parts.push(el("p", { class: "help" }, "No claims cite a source yet. Cite one after a claim with [@key]."));
    }
    parts.push(el("h3", {}, "Numbered sources"));
    if (data.sources.length) {
      parts.push(el("ol", { class: "panel-sources" }, data.sources.map((s) => el("li", { value: s.number },
        el("span", { class: "nr-source-key" }, s.key),
        s.missing ? " — not in the library" : `: ${s.title}${s.outlet ? ` — ${s.outlet}` : ""}`,
        ["broken", "unreachable", "changed", "redirected"].includes(s.health)
          ? el("span", { class: "source-health" }, ` link ${s.health}`) : null,
        !s.cited ? el("span", { class: "not-cited" }, " (not cited)") : null,
        !s.listed && !s.missing ? el("span", { class: "nr-joins" }, " (cited; joins the list when you save)") : null))));
    } else {
      parts.push(el("p", { class: "help" }, "The source list is empty."));
    }
    this.content.replaceChildren(...parts);
  }
}
