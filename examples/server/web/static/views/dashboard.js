// dashboard.js: system status (integrations, incidents), live alerts with
// acknowledge, and ticket figures. Refreshed on event frames from the live
// connection and every 15 seconds.

import { api, h, replace, query, badge, ago, fmtTime, pctOf, slaCounted, toast, errorText } from "../api.js";
import { barChart } from "../charts.js";
import { reloadOnEvents } from "../live.js";

export async function render(root, ctx) {
  const status = h("section", { class: "card", "aria-labelledby": "d-int" });
  const alerts = h("section", { class: "card", "aria-labelledby": "d-alerts" });
  const figures = h("section", { class: "card wide", "aria-labelledby": "d-fig" });
  replace(root, h("h1", {}, "Dashboard"), h("div", { class: "grid" }, status, alerts, figures));

  async function load() {
    const [ints, incs, act, stats] = await Promise.allSettled([
      api("GET", "/api/integrations"),
      api("GET", "/api/incidents"),
      api("GET", "/api/alerts?state=active&limit=20"),
      // Today and the six days before, in whole (UTC) days as Analytics shows them.
      api("GET", "/api/analytics/tickets" + query({ from: new Date(Date.now() - 6 * 864e5).toISOString().slice(0, 10) })),
    ]);
    drawStatus(ints, incs);
    drawAlerts(act, ints);
    drawFigures(stats);
  }

  function drawStatus(ints, incs) {
    const children = [h("h2", { id: "d-int" }, "System status")];
    if (ints.status === "rejected") children.push(h("p", { class: "error" }, errorText(ints.reason)));
    else {
      children.push(h("ul", { class: "status-list", id: "integration-status" },
        ints.value.items.map((i) => h("li", { class: "status-row" },
          h("span", { class: "status-dot s-" + i.status, "aria-hidden": "true" }),
          h("a", { href: "#/integrations/" + encodeURIComponent(i.id) }, i.name),
          h("span", { class: "muted" }, i.kind),
          badge(i.status),
          // Why the status is what it is (status_reason), then since when.
          h("span", { class: "muted small" },
            [i.status_reason, i.status_changed_at ? "since " + ago(i.status_changed_at) : ""].filter(Boolean).join(" · "))))));
    }
    if (incs.status === "fulfilled") {
      const items = incs.value.items || [];
      const unchecked = ints.status === "fulfilled" && ints.value.items.some((i) => i.status === "unknown");
      children.push(h("h3", {}, "Incidents"),
        items.length === 0 ? h("p", { id: "incidents-none" }, h("span", { class: "ok-text" }, "No incidents."),
          unchecked ? h("span", { class: "muted" }, " Some integrations have not been checked yet.") : null)
          : h("ul", { class: "plain" }, items.map((x) => h("li", {}, badge(x.status), " ", x.name, " ",
            h("span", { class: "muted small" }, "since " + fmtTime(x.since))))));
    }
    replace(status, children);
  }

  function drawAlerts(act, ints) {
    const names = new Map(ints.status === "fulfilled" ? ints.value.items.map((i) => [i.id, i.name]) : []);
    const children = [h("h2", { id: "d-alerts" }, "Live alerts")];
    if (act.status === "rejected") children.push(h("p", { class: "error" }, errorText(act.reason)));
    else if (act.value.items.length === 0) children.push(h("p", { class: "ok-text" }, "No active alerts."));
    else children.push(h("ul", { class: "plain alerts" }, act.value.items.map((a) => h("li", { class: "alert-row sev-" + a.severity },
      h("div", {}, badge(a.severity), " ", badge(a.state), a.silenced ? [" ", badge("silenced")] : null, " ",
        h("strong", {}, names.get(a.integration_id) || "integration")),
      h("div", {}, a.summary),
      h("div", { class: "muted small" }, `fired ${ago(a.fired_at)}, ${a.count}×`),
      a.state === "firing" ? h("button", { type: "button", onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await api("POST", `/api/alerts/${encodeURIComponent(a.id)}/ack`);
          toast("Alert acknowledged");
          load();
        } catch (err) {
          toast(errorText(err), "error");
          ev.target.disabled = false;
        }
      } }, "Acknowledge") : h("span", { class: "muted small" }, "acknowledged " + ago(a.acknowledged_at))))));
    replace(alerts, children);
  }

  function drawFigures(stats) {
    const children = [h("h2", { id: "d-fig" }, "Tickets, last 7 days")];
    if (stats.status === "rejected") {
      children.push(h("p", { class: "error" }, errorText(stats.reason)));
      return replace(figures, children);
    }
    const s = stats.value;
    const open = (s.by_status.new || 0) + (s.by_status.open || 0) + (s.by_status.pending || 0);
    children.push(h("div", { class: "kpis", id: "ticket-figures" },
      kpi("Created", s.total), kpi("Open", open), kpi("Resolved", (s.by_status.resolved || 0) + (s.by_status.closed || 0)),
      kpi("SLA compliance", pctOf(s.sla.compliance, slaCounted(s.sla))), kpi("CSAT", s.csat.count ? s.csat.average.toFixed(2) + " / 5" : "—")));
    const order = ["new", "open", "pending", "resolved", "closed"];
    children.push(h("div", { class: "charts" },
      h("figure", {}, barChart(order.map((k) => ({ label: k, value: s.by_status[k] || 0 })), { title: "Tickets by status" }), h("figcaption", {}, "By status")),
      h("figure", {}, barChart(s.volume.map((v) => ({ label: new Date(v.start).toLocaleDateString(undefined, { month: "numeric", day: "numeric", timeZone: "UTC" }), value: v.count })), { title: "Tickets created per day (UTC)" }), h("figcaption", {}, "Created per day (UTC)"))));
    replace(figures, children);
  }

  await load();
  return reloadOnEvents(ctx.live, load, { every: 15000 });
}

function kpi(label, value) {
  return h("div", { class: "kpi" }, h("div", { class: "kpi-value" }, String(value)), h("div", { class: "kpi-label" }, label));
}
