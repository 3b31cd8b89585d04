// logs.js: integration call logs with filters, full-text search and
// "load more" by cursor.

import { api, h, replace, query, select, input, badge, fmtTime, fmtDur, errorText } from "../api.js";

export async function render(root, ctx, integration) {
  const { items: ints } = await api("GET", "/api/integrations");
  const names = new Map(ints.map((i) => [i.id, i.name]));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Log filters" },
    select("integration", "Integration", [["", "All"], ...ints.map((i) => [i.id, i.name])], integration || ""),
    select("level", "Level", [["", "Any"], ["info", "info"], ["warn", "warn"], ["error", "error"]], ""),
    input("status_min", "Status from", { type: "number", min: 100, max: 599, placeholder: "100" }),
    input("status_max", "Status to", { type: "number", min: 100, max: 599, placeholder: "599" }),
    input("from", "From", { type: "datetime-local" }),
    input("to", "To", { type: "datetime-local" }),
    input("q", "Search", { type: "search", placeholder: "endpoint, error, message" }),
    h("button", { type: "submit", class: "primary" }, "Search"), h("button", { type: "reset" }, "Clear"));
  const tbody = h("tbody", { id: "log-rows" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
  const msg = h("p", { class: "muted", role: "status" });
  replace(root, h("h1", {}, "Integration logs"), form, h("div", { class: "table-wrap" }, h("table", { class: "table" },
    h("thead", {}, h("tr", {}, ["Time", "Integration", "Level", "Request", "Status", "Latency", "Error / message"].map((c) => h("th", { scope: "col" }, c)))), tbody)), msg, more);

  let next = "";
  async function load(reset) {
    const f = Object.fromEntries(new FormData(form));
    for (const k of ["from", "to"]) if (f[k]) f[k] = new Date(f[k]).toISOString();
    if (reset) {
      tbody.replaceChildren();
      next = "";
    }
    msg.textContent = "Loading…";
    try {
      const page = await api("GET", "/api/logs" + query({ ...f, limit: 50, cursor: next }));
      for (const l of page.items) tbody.appendChild(h("tr", {},
        h("td", { class: "small" }, fmtTime(l.at)), h("td", {}, names.get(l.integration_id) || "—"), h("td", {}, badge(l.level)),
        h("td", { class: "small" }, `${l.method} ${l.endpoint}`), h("td", { class: "num" }, l.status_code ? String(l.status_code) : "—"),
        h("td", { class: "num" }, fmtDur(l.latency)), h("td", { class: "small" }, l.error || l.message || "")));
      next = page.next || "";
      more.hidden = !next;
      msg.textContent = tbody.children.length ? "" : "No calls match.";
    } catch (err) {
      msg.textContent = errorText(err);
    }
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load(true);
  });
  form.addEventListener("reset", () => setTimeout(() => load(true)));
  more.addEventListener("click", () => load(false));
  await load(true);
}
