// api.js: the fetch wrapper, a small DOM builder and formatting helpers
// shared by every screen. Text always goes into the page as text nodes.

/** APIError is a failed API call with the server's error code and message. */
export class APIError extends Error {
  constructor(status, code, message, field) {
    super(message || `request failed (${status})`);
    this.status = status;
    this.code = code || "";
    this.field = field || "";
  }
}

/**
 * api calls the JSON API. body, when given, is sent as JSON. It resolves to
 * the decoded answer (null for 204) or rejects with an APIError.
 */
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new APIError(0, "network", "The server cannot be reached. Check your connection.");
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new APIError(res.status, e.code, e.message, e.field);
    if (res.status === 401) window.dispatchEvent(new CustomEvent("icc:unauthorized"));
    throw err;
  }
  return data;
}

/** query builds "?a=1&b=2" from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

/**
 * h creates an element. props sets attributes ("class", "for", aria-*, data-*),
 * properties (value, checked, disabled, hidden) and listeners (onclick, …).
 * Children are nodes, strings (added as text), arrays, or null (skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden" || k === "selected") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** clear empties an element and appends children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** select builds a labelled <select> from [value, label] pairs. */
export function select(name, label, options, value, props = {}) {
  const id = "f-" + name + "-" + Math.random().toString(36).slice(2, 7);
  const sel = h("select", { id, name, ...props },
    options.map(([v, l]) => h("option", { value: v, selected: v === (value ?? "") }, l)));
  return h("label", { for: id }, label, sel);
}

/** input builds a labelled <input>. */
export function input(name, label, props = {}) {
  const id = "f-" + name + "-" + Math.random().toString(36).slice(2, 7);
  return h("label", { for: id }, label, h("input", { id, name, ...props }));
}

/** fmtTime shows an RFC 3339 time in the user's locale. */
export function fmtTime(t) {
  if (!t) return "—";
  const d = new Date(t);
  if (isNaN(d)) return "—";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** ago shows how long ago a time was: "5 min ago". */
export function ago(t) {
  if (!t) return "—";
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}

/** seconds parses a Go duration ("1h2m3.5s", "90ms") into seconds. */
export function seconds(d) {
  if (typeof d === "number") return d / 1e9;
  if (!d) return 0;
  const units = { h: 3600, m: 60, s: 1, ms: 1e-3, "µs": 1e-6, us: 1e-6, ns: 1e-9 };
  let total = 0;
  for (const [, n, u] of String(d).matchAll(/([\d.]+)(h|ms|m|s|µs|us|ns)/g)) total += parseFloat(n) * units[u];
  return total;
}

/**
 * fmtDur shows a Go duration briefly: "850 ms", "4.2 s", "3 h 5 min". No data
 * (undefined, null or "") shows as "—"; callers whose figures are zero when
 * nothing was measured pass undefined then (see durOf), so that a real zero
 * still shows as "0 ms".
 */
export function fmtDur(d) {
  if (d === undefined || d === null || d === "") return "—";
  const s = seconds(d);
  if (s === 0) return "0 ms";
  // Each unit is chosen after rounding, so 59.96 s is "1 min", never
  // "60.0 s", and 1 h 59 min 45 s is "2 h 0 min", never "1 h 60 min".
  if (s < 0.0005) return "< 1 ms";
  if (s < 0.9995) return Math.round(s * 1000) + " ms";
  if (s < 59.95) return s.toFixed(1) + " s";
  if (s < 3570) return Math.round(s / 60) + " min";
  if (s < 86370) {
    const m = Math.round(s / 60);
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }
  return (s / 86400).toFixed(1) + " d";
}

/**
 * filledText is the field's trimmed value. When that is empty (only spaces,
 * which "required" lets through) it shows the browser's validation bubble,
 * as for an empty required field, until the field is edited, and returns "".
 */
export function filledText(el) {
  const v = el.value.trim();
  if (!v) {
    el.setCustomValidity("Please fill out this field.");
    el.reportValidity();
    el.addEventListener("input", () => el.setCustomValidity(""), { once: true });
  }
  return v;
}

/** durOf is d when count says something was measured, else undefined ("—"). */
export function durOf(count, d) {
  return count > 0 ? d : undefined;
}

/** pct shows a 0..1 ratio as a percentage. */
export function pct(r, digits = 1) {
  if (r === undefined || r === null || isNaN(r)) return "—";
  return (r * 100).toFixed(digits) + "%";
}

/** pctOf is pct of a rate over n things: "—" when there were none, since
 * the server reports such a rate as 0. */
export function pctOf(r, n, digits = 1) {
  return n ? pct(r, digits) : "—";
}

/** slaCounted is how many targets an SLA figure counted (met or breached). */
export function slaCounted(sla) {
  return (sla.first_response_met ?? 0) + (sla.first_response_breached ?? 0) + (sla.resolution_met ?? 0) + (sla.resolution_breached ?? 0);
}

/** badge is a small coloured label for a status-like value. */
export function badge(value, kind = "") {
  return h("span", { class: `badge b-${String(value).replace(/[^a-z0-9_-]/gi, "")} ${kind}` }, String(value).replaceAll("_", " "));
}

/** toast shows a short message; kind is "ok" or "error". */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const t = h("div", { class: "toast " + kind }, message);
  box.appendChild(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
}

/**
 * errorText turns any error into a sentence for the user. An API error
 * naming a field reads as one: field "status_max" with "must not be below
 * status_min" becomes "Status max must not be below status min"; a wait
 * in seconds ("try again in 356s") is said in minutes or hours.
 */
export function errorText(err) {
  if (err instanceof APIError) {
    let msg = err.message || "";
    if (err.field) {
      const label = err.field.replace(/\[(\d+)\]/g, (_, n) => " " + (Number(n) + 1)).replace(/[._]+/g, " ").trim();
      msg = PREDICATE.test(msg) ? `${label} ${msg}` : `${label}: ${msg}`;
    }
    return sentence(msg);
  }
  return sentence(String(err && err.message ? err.message : err));
}

// A message that goes on from its field's name ("is required").
const PREDICATE = /^(must|is|are|was|were|should|cannot|can|may|has|have|needs?|does|do|not)\b/;

/** sentence capitalises a message, spells out snake_case names and long waits. */
function sentence(msg) {
  msg = msg.replace(/\b[a-z]+(?:_[a-z0-9]+)+\b/g, (w) => w.replaceAll("_", " "))
    .replace(/\bin (\d+)s\b/g, (_, n) => "in " + waitText(Number(n)));
  return msg.charAt(0).toUpperCase() + msg.slice(1);
}

/** waitText says a wait in seconds as "40 seconds", "6 minutes" or "2 hours" (rounded up). */
function waitText(s) {
  const unit = (n, u) => `${n} ${u}${n === 1 ? "" : "s"}`;
  if (s < 60) return unit(s, "second");
  if (s < 3600) return unit(Math.ceil(s / 60), "minute");
  return unit(Math.ceil(s / 3600), "hour");
}

/**
 * placeBySeq puts a stored message's element into a chat list in seq order:
 * before the first message with a higher seq, or before the first one still
 * being sent (no seq yet; those stay at the end), else at the end. Messages
 * that could not be sent stay where they were written. After a reconnect
 * the replayed messages thus land in order, whatever was shown meanwhile.
 */
export function placeBySeq(list, el, seq) {
  for (const li of list.querySelectorAll(":scope > li.msg")) {
    if (li === el) continue;
    const s = li.dataset.seq;
    if (s !== undefined ? Number(s) > seq : li.classList.contains("pending") && !li.classList.contains("failed")) {
      li.before(el);
      return;
    }
  }
  list.appendChild(el);
}

/** newClientID returns a random idempotency key for a chat message. */
export function newClientID() {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return "w-" + Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}
