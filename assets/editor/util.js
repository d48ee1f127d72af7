// Small helpers the editor's modules share: DOM building, CSRF-aware JSON requests, time.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function csrfToken() {
  // Read each time: signing in again (another tab, after a session expired) rotates it.
  const cookie = document.cookie.split(";").map((c) => c.trim())
    .find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export class RequestError extends Error {
  constructor(message, status, data) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

// A fresh UUID (v4) for an Idempotency-Key: crypto.randomUUID where the page is a secure
// context, else built from crypto.getRandomValues (an admin served over plain HTTP).
export function freshKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A JSON request with the session and CSRF token; rejects with RequestError (status 0 when
// the server was not reached) carrying the server's own message.
export async function request(url, { method = "GET", body, signal, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(url, {
      method, signal, credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json",
                 "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new RequestError("The server could not be reached (offline?).", 0, null);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    // Aborted while the answer was being read (a newer request replaced it): say so, never
    // hand back an empty answer as if it were the server's.
    if (error.name === "AbortError" || (signal && signal.aborted)) throw error;
    data = null;
  }
  if (response.ok && data === null) {
    throw new RequestError(`The server's answer could not be read (${response.status}).`, response.status, null);
  }
  if (!response.ok) {
    const detail = data && data.detail ? data.detail : `The server answered ${response.status}.`;
    throw new RequestError(detail, response.status, data);
  }
  return data;
}

// The newsroom's time zone (the form's data-time-zone): every other time on the admin's pages
// is in it, so the editor's are too, whatever the writer's computer is set to.
let timeZone;

export function useTimeZone(name) {
  timeZone = name || undefined;
}

function inZone(date, options) {
  try {
    return date.toLocaleString("en-GB", { ...options, hourCycle: "h23", timeZone });
  } catch (_) { // an unknown zone name: the browser's own rather than nothing
    return date.toLocaleString("en-GB", { ...options, hourCycle: "h23" });
  }
}

// "14:05:09", in the newsroom's time zone.
export function clock(date) {
  return inZone(date, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// "2 Dec 2026, 14:05", as the admin writes dates, in the newsroom's time zone.
export function stamp(date) {
  return inZone(date, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => { clearTimeout(timer); timer = setTimeout(() => { timer = null; fn(...args); }, ms); };
  run.flush = (...args) => { if (timer !== null) { clearTimeout(timer); timer = null; fn(...args); } };
  run.cancel = () => { clearTimeout(timer); timer = null; };
  return run;
}

// Why a body cannot be sent (checked, kept on the server or saved), or null when it can: over
// the limit the server would refuse it before reading it, so the editor keeps it here instead.
export function tooLong(text, limit) {
  const size = new TextEncoder().encode(text).length;
  if (!(size > limit)) return null;
  return `the body is ${size.toLocaleString("en-GB")} bytes; the limit is `
    + `${limit.toLocaleString("en-GB")} bytes (about 1 MB). Split the story or move material to a linked document.`;
}
