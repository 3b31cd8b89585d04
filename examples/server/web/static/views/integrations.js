// integrations.js: integration statuses with "check now", one
// integration's recent results and stats over a window (both live), and,
// on a server with demo data (whose demo integrations check the mocks),
// the mock CRM/ERP mode switches.

import { api, h, replace, query, select, badge, fmtTime, ago, fmtDur, durOf, pctOf, toast, errorText } from "../api.js";
import { reloadOnEvents } from "../live.js";

export async function render(root, ctx, openID) {
  const tbody = h("tbody", { id: "integration-rows" });
  const detail = h("section", { class: "card", "aria-label": "Integration detail" });
  const mocks = ctx.demo ? h("section", { class: "card", id: "mocks", "aria-labelledby": "mocks-h" }) : null;
  replace(root, h("h1", {}, "Integrations"),
    h("div", { class: "table-wrap" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Name", "Kind", "Status", "Since", "Check", ""].map((c) => h("th", { scope: "col" }, c)))), tbody)),
    h("div", { class: "grid" }, detail, mocks));

  // reasonNote says why an integration has its status (status_reason,
  // set by the monitor), as small muted text; nothing when it is empty.
  function reasonNote(i) {
    return i.status_reason ? h("div", { class: "muted small status-reason" }, i.status_reason) : null;
  }

  async function loadList() {
    const { items } = await api("GET", "/api/integrations");
    replace(tbody, items.map((i) => h("tr", { class: i.id === openID ? "selected" : "" },
      h("td", {}, h("a", { href: "#/integrations/" + encodeURIComponent(i.id) }, i.name), i.enabled ? null : h("span", { class: "muted small" }, " (disabled)")),
      h("td", {}, i.kind), h("td", {}, badge(i.status), reasonNote(i)), h("td", {}, ago(i.status_changed_at)),
      h("td", { class: "small muted" }, i.check ? `${i.check.type} every ${i.check.interval}` : ""),
      h("td", {}, h("button", { type: "button", onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          const r = await api("POST", `/api/integrations/${encodeURIComponent(i.id)}/check`);
          toast(`${i.name}: ${r.result.ok ? "OK" : "failed"} in ${fmtDur(r.result.latency)}, now ${r.integration.status}`, r.result.ok ? "ok" : "error");
          await loadList();
          if (openID === i.id) await loadDetail();
        } catch (err) {
          toast(errorText(err), "error");
        }
        ev.target.disabled = false;
      } }, "Check now")))));
  }

  let detailLoads = 0; // loads started: only the latest one draws
  async function loadDetail() {
    if (!openID) return replace(detail, h("p", { class: "muted" }, "Choose an integration to see its checks and figures."));
    const n = ++detailLoads;
    const win = detail.querySelector("select")?.value || "24h";
    const base = `/api/integrations/${encodeURIComponent(openID)}`;
    const [i, st, res] = await Promise.all([api("GET", base), api("GET", `${base}/stats?window=${win}`), api("GET", `${base}/results?limit=20`)]);
    if (n !== detailLoads) return; // a later load draws
    const winSel = select("window", "Window", [["1h", "1 hour"], ["24h", "24 hours"], ["7d", "7 days"], ["30d", "30 days"]], win);
    winSel.querySelector("select").addEventListener("change", () => loadDetail().catch((e) => toast(errorText(e), "error")));
    // A live redraw keeps the focus on the window choice if it was there.
    const refocus = detail.contains(document.activeElement) && document.activeElement.name === "window";
    replace(detail, h("h2", {}, i.name, " ", badge(i.status)), reasonNote(i), h("p", { class: "muted" }, i.description || ""), winSel,
      h("dl", { class: "facts" },
        fact("Uptime", pctOf(st.uptime, st.checks, 2)), fact("Checks", `${st.checks_ok} / ${st.checks} OK`),
        fact("Check latency", `p50 ${fmtDur(durOf(st.checks, st.check_latency?.p50))} · p95 ${fmtDur(durOf(st.checks, st.check_latency?.p95))} · p99 ${fmtDur(durOf(st.checks, st.check_latency?.p99))}`),
        fact("Calls", `${st.calls_ok} / ${st.calls} OK (${pctOf(st.success_rate, st.calls)})`),
        fact("Call latency", `p50 ${fmtDur(durOf(st.calls, st.call_latency?.p50))} · p95 ${fmtDur(durOf(st.calls, st.call_latency?.p95))}`),
        fact("Errors", Object.entries(st.errors || {}).map(([k, v]) => `${k.replace("_", " ")} ${v}`).join(", "))),
      h("h3", {}, "Latest checks"),
      h("table", { class: "table" }, h("tbody", {}, res.items.map((r) => h("tr", {},
        h("td", {}, badge(r.ok ? "ok" : "failed")), h("td", {}, fmtTime(r.checked_at)), h("td", { class: "num" }, fmtDur(r.latency)),
        h("td", { class: "small" }, r.error || (r.status_code ? "HTTP " + r.status_code : "")))))),
      h("p", {}, h("a", { href: "#/logs/" + encodeURIComponent(i.id) }, "Call logs of this integration")));
    if (refocus) winSel.querySelector("select").focus();
  }

  async function loadMocks() {
    if (!mocks) return;
    const { items } = await api("GET", "/api/mocks");
    replace(mocks, h("h2", { id: "mocks-h" }, "Demo: mock systems"),
      h("p", { class: "muted small" }, "Switch the mock CRM and ERP to see statuses, alerts and logs react."),
      items.map((m) => h("div", { class: "row", role: "group", "aria-label": m.system + " mode" },
        h("strong", {}, m.system.toUpperCase()), h("span", { class: "muted small" }, `${m.requests} requests`),
        ["healthy", "slow", "flaky", "down"].map((mode) => h("button", { type: "button", class: m.mode === mode ? "on" : "", "aria-pressed": String(m.mode === mode),
          onclick: async () => {
            try {
              await api("POST", `/api/mocks/${encodeURIComponent(m.system)}/mode`, { mode });
              toast(`${m.system} is now ${mode}`);
              await loadMocks();
            } catch (err) {
              toast(errorText(err), "error");
            }
          } }, mode)))));
  }

  await Promise.all([loadList(), loadDetail(), loadMocks()]);
  const offs = [reloadOnEvents(ctx.live, loadList, { every: 15000 })];
  // The detail follows the integration shown: its status, checks and
  // changes (integration events name it), and every 30 s for new results.
  if (openID) {
    offs.push(reloadOnEvents(ctx.live, loadDetail, {
      every: 30000,
      match: (f) => f.event && ((f.event.topic === "integrations" && f.event.id === openID) || f.event.type === "resync"),
    }));
  }
  return () => offs.forEach((off) => off());
}

function fact(k, v) {
  return [h("dt", {}, k), h("dd", {}, v)];
}
