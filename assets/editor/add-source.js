// "Add to library" from the picker: a dialog that can fill itself from a pasted link (the
// server fetches the page through its SSRF-safe fetcher and reads the page's own metadata);
// the writer checks or edits every field, then the source is created in one step.

import { el, freshKey, request } from "./util.js";

const KINDS = [["article", "Article"], ["press_release", "Press release"], ["filing", "Filing"],
  ["report", "Report"], ["dataset", "Dataset"], ["interview", "Interview"], ["other", "Other"]];

export class AddSourceDialog {
  // `limits`: the longest value the library keeps in each field (data-source-limits).
  constructor({ sourcesUrl, keys, limits }) {
    this.sourcesUrl = sourcesUrl;
    this.lookupUrl = `${sourcesUrl}lookup/`;
    // `help`: a hint under the input, read with it (aria-describedby), errors or not.
    const field = (name, label, input, help = "") => {
      input.id = `nr-add-${name}`;
      input.name = name;
      const hint = help ? el("p", { class: "help", id: `${input.id}-help` }, help) : null;
      if (hint) input.setAttribute("aria-describedby", hint.id);
      return el("div", { class: "nr-field" }, el("label", { for: input.id }, label), input,
                ...(hint ? [hint] : []),
                el("p", { class: "nr-field-error", id: `nr-add-${name}-error`, role: "alert" }));
    };
    this.inputs = {
      key: el("input", { type: "text", required: true, maxlength: keys.maxLength, autocomplete: "off",
                         pattern: keys.pattern }),
      url: el("input", { type: "url", maxlength: limits.url, placeholder: "https://…" }),
      title: el("input", { type: "text", maxlength: limits.title }),
      outlet: el("input", { type: "text", maxlength: limits.outlet }),
      author: el("input", { type: "text", maxlength: limits.author }),
      // Typed as YYYY-MM-DD like every admin date (audit.forms.DateText), not the browser's
      // date picker, whose format follows the browser's locale; the server reads it and
      // answers the admin's message when it cannot.
      published_on: el("input", { type: "text", placeholder: "YYYY-MM-DD", size: 10,
                                  autocomplete: "off" }),
      kind: el("select", {}, KINDS.map(([value, label]) => el("option", { value }, label))),
      description: el("textarea", { rows: 2, maxlength: limits.description }),
    };
    this.message = el("p", { class: "nr-dialog-message", role: "status", "aria-live": "polite" });
    this.fetchButton = el("button", { type: "button", class: "button", onclick: () => this.lookUp() },
                          "Fetch details from the link");
    this.form = el("form", { method: "dialog", class: "nr-add-form", novalidate: true,
                             onsubmit: (event) => { event.preventDefault(); this.create(); } },
      el("h2", { id: "nr-add-heading" }, "Add a source to the library"),
      el("p", { class: "help" }, "Paste the link and fetch its details, or fill them in by hand. "
         + "Every field can be edited before you add it."),
      field("url", "Link (URL)", this.inputs.url), this.fetchButton,
      field("key", "Key (what you type after [@)", this.inputs.key),
      field("title", "Title", this.inputs.title),
      field("outlet", "Outlet or site", this.inputs.outlet),
      field("author", "Author", this.inputs.author),
      field("published_on", "Published on", this.inputs.published_on,
            "As YYYY-MM-DD, e.g. 2026-05-02."),
      field("kind", "Kind", this.inputs.kind),
      field("description", "Description (needed when there is no link: what it is, where it is kept)",
            this.inputs.description),
      this.message,
      el("div", { class: "nr-dialog-buttons" },
        el("button", { type: "submit", class: "button default" }, "Add to library"),
        el("button", { type: "button", class: "button", onclick: () => this.close(null) }, "Cancel")));
    this.dialog = el("dialog", { class: "nr-dialog", "aria-labelledby": "nr-add-heading" }, this.form);
    this.dialog.addEventListener("cancel", () => this.finish(null));
    this.inputs.url.addEventListener("paste", () => setTimeout(() => this.lookUp(), 0));
    document.body.append(this.dialog);
    this.resolve = null;
  }

  // Opens the dialog; resolves with the created source's key, or null when cancelled.
  open({ key = "", url = "" } = {}) {
    for (const input of Object.values(this.inputs)) if (input.tagName !== "SELECT") input.value = "";
    this.inputs.kind.value = "article";
    this.inputs.key.value = key;
    this.inputs.url.value = url;
    this.keyEdited = Boolean(key);
    this.inputs.key.addEventListener("input", () => { this.keyEdited = true; }, { once: true });
    this.showErrors({});
    this.message.textContent = "";
    // One key for every "Add" from this opening: a retry after an answer lost on the way
    // (offline, a timeout) gets the source the first one added, not "key already taken".
    this.idempotencyKey = freshKey();
    this.dialog.showModal();
    (url || !key ? this.inputs.url : this.inputs.title).focus();
    if (url) this.lookUp();
    return new Promise((resolve) => { this.resolve = resolve; });
  }

  finish(value) {
    if (this.resolve) { const resolve = this.resolve; this.resolve = null; resolve(value); }
  }

  close(value) {
    this.dialog.close();
    this.finish(value);
  }

  showErrors(errors) {
    for (const name of Object.keys(this.inputs)) {
      const input = this.inputs[name];
      const box = this.dialog.querySelector(`#nr-add-${name}-error`);
      const hint = this.dialog.querySelector(`#nr-add-${name}-help`);
      const messages = errors[name] || [];
      box.textContent = messages.join(" ");
      const described = [...(messages.length ? [box.id] : []), ...(hint ? [hint.id] : [])];
      if (messages.length) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }
  }

  async lookUp() {
    const url = this.inputs.url.value.trim();
    if (!url) { this.message.textContent = "Paste a link first."; return; }
    this.message.textContent = "Fetching the page…";
    this.fetchButton.disabled = true;
    try {
      const found = await request(this.lookupUrl, { method: "POST", body: { url } });
      for (const name of ["title", "outlet", "author", "published_on", "kind"]) {
        if (found[name]) this.inputs[name].value = found[name];
      }
      if (found.url) this.inputs.url.value = found.url;
      if (found.key && !this.keyEdited) this.inputs.key.value = found.key;
      this.message.textContent = found.note || "Details filled in from the page. Check them, then add the source.";
    } catch (error) {
      this.message.textContent = `The page's details could not be read: ${error.message} `
        + "You can still fill them in by hand and add the source.";
    } finally {
      this.fetchButton.disabled = false;
    }
  }

  async create() {
    const body = {};
    for (const [name, input] of Object.entries(this.inputs)) {
      const value = input.value.trim();
      if (value || name === "key") body[name] = value;
    }
    this.message.textContent = "Adding…";
    try {
      const source = await request(this.sourcesUrl, {
        method: "POST", body, headers: { "Idempotency-Key": this.idempotencyKey } });
      this.message.textContent = "";
      this.close(source.key);
    } catch (error) {
      const errors = (error.data && error.data.errors) || {};
      this.showErrors(errors);
      this.message.textContent = error.message;
    }
  }
}
