// Nothing lost: the unsaved text goes to this browser's storage a moment after each change
// and to the writer's server-side buffer a few seconds after typing stops and whenever the page
// loses focus. Reopening the form offers to restore a buffer that differs from the saved
// story, with its differences; leaving with unsaved changes asks first; an expired session or
// a lost connection keeps the text here and saves it once the writer is back.

import { clock, debounce, el, request, stamp, tooLong } from "./util.js";

const SERVER_PAUSE_MS = 3000;
const LOCAL_PAUSE_MS = 500;
const RETRY_MS = 15000;

function same(a, b) {
  return a && b && a.title === b.title && a.dek === b.dek && a.body === b.body;
}

export class Keeper {
  constructor({ config, fields, status, form, showDiff }) {
    this.url = config.draftUrl;
    this.limit = Number(config.bodyLimit) || Infinity;
    this.storeKey = `newsroom:story-draft:${config.user || "anon"}:${config.story || "new"}`;
    this.fields = fields; // { read(), write(values), base }
    this.status = status;
    this.form = form;
    this.showDiff = showDiff;
    // A form shown again after a refused save holds text that is not saved anywhere yet.
    this.failedSave = Boolean(document.querySelector(".errornote, .errorlist"));
    this.saved = this.failedSave ? null : fields.read();
    this.submitting = false;
    this.serverPending = false;
    this.lastServer = null;
    this.saveLocal = debounce(() => this.writeLocal(), LOCAL_PAUSE_MS);
    this.saveServer = debounce(() => this.writeServer(), SERVER_PAUSE_MS);
    this.retry = null;
  }

  start() {
    window.addEventListener("beforeunload", (event) => {
      if (this.submitting || !this.dirty()) return;
      this.writeLocal();
      event.preventDefault();
      event.returnValue = "";
    });
    window.addEventListener("pagehide", () => { if (this.dirty()) this.writeLocal(); });
    const away = () => { if (this.dirty()) { this.saveLocal.flush(); this.writeLocal(); this.saveServer.cancel(); this.writeServer(); } };
    window.addEventListener("blur", away);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") away(); });
    window.addEventListener("online", () => this.retryNow());
    window.addEventListener("focus", () => this.retryNow());
    this.form.addEventListener("submit", () => {
      this.submitting = true;
      this.saveServer.cancel();
      this.writeLocal(); // kept until the saved story is shown with this text
    });
    if (this.failedSave) { this.writeLocal(); return Promise.resolve(); }
    return this.offerRestore();
  }

  dirty() {
    return this.saved === null || !same(this.fields.read(), this.saved);
  }

  changed() {
    if (this.submitting) return;
    this.saveLocal();
    this.saveServer();
  }

  readLocal() {
    try { return JSON.parse(window.localStorage.getItem(this.storeKey) || "null"); } catch (_) { return null; }
  }

  writeLocal() {
    const values = this.fields.read();
    try {
      if (!this.dirty()) { window.localStorage.removeItem(this.storeKey); return; }
      window.localStorage.setItem(this.storeKey, JSON.stringify({ ...values, at: Date.now(),
        onServer: same(values, this.lastServer) }));
    } catch (_) {
      this.status.keep("This browser would not keep a copy (storage full or off).", "warning");
    }
  }

  async writeServer() {
    if (!this.dirty() || this.submitting) return;
    const values = this.fields.read();
    if (same(values, this.lastServer)) return;
    const why = tooLong(values.body, this.limit);
    if (why) {
      // The server would refuse it unread: kept here, sent once it is short enough.
      this.writeLocal();
      this.status.keep(`Kept in this browser only: ${why}`, "warning");
      return;
    }
    try {
      await request(this.url, { method: "PUT", body: values });
      this.lastServer = values;
      this.serverPending = false;
      this.writeLocal();
      this.status.keep(`Unsaved text kept for you at ${clock(new Date())} (not yet a revision: save to make one).`, "ok");
    } catch (error) {
      this.serverPending = true;
      this.writeLocal();
      const why = error.status === 401 || error.status === 403
        ? "your session has ended or you were signed out. Sign in again (another tab is fine)"
        : error.status === 0 ? "the server could not be reached" : error.message;
      this.status.keep(`Kept in this browser only: ${why}. It is sent to the server once you are back.`, "warning");
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.retryNow(), RETRY_MS);
    }
  }

  retryNow() {
    if (this.serverPending && !this.submitting) { this.lastServer = null; this.writeServer(); }
  }

  async discard() {
    try { window.localStorage.removeItem(this.storeKey); } catch (_) { /* nothing kept */ }
    try { await request(this.url, { method: "DELETE" }); } catch (_) { /* none on the server */ }
    this.lastServer = null;
  }

  async offerRestore() {
    const here = this.fields.read();
    const local = this.readLocal();
    let server = null;
    // The server answers kept: false (not a 404) when it keeps nothing for this writer.
    try { server = await request(this.url); } catch (_) { server = null; }
    if (server && !server.kept) server = null;
    const candidates = [];
    if (local) candidates.push({ ...local, at: new Date(local.at), where: "in this browser" });
    if (server) candidates.push({ ...server, at: new Date(server.updated_at), where: "for you on the server" });
    const differing = candidates.filter((c) => !same(c, here)).sort((a, b) => b.at - a.at);
    if (server && same(server, here)) this.lastServer = server;
    if (!differing.length) {
      // What was kept is what the form shows (saved since, or this is the refused save).
      if (!this.failedSave && (local || server)) await this.discard();
      return;
    }
    // A copy in the browser that the server never got (closed offline, session expired).
    const kept = differing[0];
    if (kept.where === "in this browser" && !kept.onServer) this.serverPending = true;
    this.banner(kept, here);
  }

  banner(kept, here) {
    const box = el("div", { class: "nr-restore", role: "alert" });
    const close = () => box.remove();
    box.append(
      el("p", {}, el("strong", {}, "You have unsaved text for this story. "),
        `It was kept ${kept.where} at ${stamp(kept.at)} and differs from what this form shows.`),
      el("div", { class: "nr-restore-buttons" },
        el("button", { type: "button", class: "button default", onclick: () => {
          this.fields.write(kept);
          if (kept.base_revision && this.fields.base && kept.base_revision !== this.fields.base.value) {
            // Saved against the revision the text started from: a newer one ends in a merge.
            this.fields.base.value = kept.base_revision;
          }
          close();
          this.status.keep("Unsaved text restored. Save the story to make it a revision.", "ok");
          this.changed();
        } }, "Restore it"),
        el("button", { type: "button", class: "button", onclick: () => this.showDiff(here, kept, box) },
          "Show the differences"),
        el("button", { type: "button", class: "button", onclick: async () => {
          await this.discard();
          close();
          this.status.keep("The unsaved text was discarded.", "ok");
        } }, "Discard it")));
    this.status.mountBanner(box);
  }
}
