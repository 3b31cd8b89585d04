// maintenance.js: maintenance windows (current and upcoming, or all),
// scheduling one (empty times mean the next full hour, for one hour; only an
// end means from now) and cancelling.

import { api, h, replace, query, select, input, badge, fmtTime, toast, errorText } from "../api.js";

export async function render(root) {
  const { items: ints } = await api("GET", "/api/integrations");
  const names = new Map(ints.map((i) => [i.id, i.name]));
  const err = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "card filters", "aria-labelledby": "mw-new" },
    h("h2", { id: "mw-new", class: "sr-only" }, "Schedule maintenance"),
    select("integration_id", "Integration", ints.map((i) => [i.id, i.name]), ints[0]?.id),
    input("title", "Title", { required: true, placeholder: "ERP upgrade" }),
    input("starts_at", "Starts (empty: now if Ends is set, else the next full hour)", { type: "datetime-local" }),
    input("ends_at", "Ends (empty: one hour later)", { type: "datetime-local" }),
    select("recurrence", "Repeats", [["", "Never"], ["weekly", "Weekly"]], ""),
    h("button", { type: "submit", class: "primary" }, "Schedule"), err);
  const all = h("input", { type: "checkbox", id: "mw-all" });
  const tbody = h("tbody", { id: "maintenance-rows" });
  replace(root, h("h1", {}, "Maintenance"), form,
    h("p", {}, h("label", { for: "mw-all", class: "row" }, all, "Show past and cancelled windows")),
    h("div", { class: "table-wrap" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Integration", "Title", "Starts", "Ends", "Repeats", "State", ""].map((c) => h("th", { scope: "col" }, c)))), tbody)));

  async function load() {
    const { items } = await api("GET", "/api/maintenance" + query({ all: all.checked ? "true" : "" }));
    const now = Date.now();
    replace(tbody, items.length ? items.map((w) => {
      const state = w.canceled_at ? "canceled" : new Date(w.ends_at) < now ? "past" : new Date(w.starts_at) <= now ? "active" : "upcoming";
      return h("tr", {}, h("td", {}, names.get(w.integration_id) || "—"), h("td", {}, w.title), h("td", {}, fmtTime(w.starts_at)),
        h("td", {}, fmtTime(w.ends_at)), h("td", {}, w.recurrence || "—"), h("td", {}, badge(state)),
        h("td", {}, w.canceled_at || state === "past" ? "" : h("button", { type: "button", class: "danger", onclick: async () => {
          try {
            await api("POST", `/api/maintenance/${encodeURIComponent(w.id)}/cancel`);
            toast("Maintenance cancelled");
            await load();
          } catch (e) {
            toast(errorText(e), "error");
          }
        } }, "Cancel")));
    }) : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No maintenance windows.")));
  }
  all.addEventListener("change", () => load().catch((e) => toast(errorText(e), "error")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const f = Object.fromEntries(new FormData(form));
    const body = { integration_id: f.integration_id, title: f.title };
    if (f.starts_at) body.starts_at = new Date(f.starts_at).toISOString();
    if (f.ends_at) body.ends_at = new Date(f.ends_at).toISOString();
    if (f.recurrence) body.recurrence = f.recurrence;
    try {
      await api("POST", "/api/maintenance", body);
      toast("Maintenance scheduled");
      form.reset();
      await load();
    } catch (e) {
      err.textContent = errorText(e);
    }
  });
  await load();
}
