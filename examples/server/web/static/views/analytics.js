// analytics.js: ticket figures over a date range (volume, resolution and
// first response, SLA, CSAT, agents, classifier), integration stats, and the
// classifier model in use, which admins can retrain from corrections.

import { api, h, replace, query, select, input, fmtDur, durOf, seconds, pctOf, slaCounted, fmtTime, toast, errorText } from "../api.js";
import { barChart, hbars } from "../charts.js";

const day = (d) => d.toISOString().slice(0, 10);

export async function render(root, ctx) {
  const now = new Date();
  const form = h("form", { class: "filters", "aria-label": "Date range" },
    input("from", "From", { type: "date", value: day(new Date(now - 6 * 864e5)) }),
    input("to", "To (inclusive)", { type: "date", value: day(now) }),
    select("bucket", "Per", [["day", "day"], ["hour", "hour"]], "day"),
    select("window", "Integration window", [["1h", "1 hour"], ["24h", "24 hours"], ["7d", "7 days"], ["30d", "30 days"]], "24h"),
    h("button", { type: "submit", class: "primary" }, "Show"));
  const out = h("div", { id: "analytics" });
  const model = h("section", { class: "card", id: "classifier-model", "aria-labelledby": "classifier-model-h" });
  replace(root, h("h1", {}, "Analytics"), form, out, model);

  async function load() {
    const f = Object.fromEntries(new FormData(form));
    const to = f.to ? day(new Date(new Date(f.to).getTime() + 864e5)) : "";
    try {
      const [t, ia] = await Promise.all([
        api("GET", "/api/analytics/tickets" + query({ from: f.from, to, bucket: f.bucket })),
        api("GET", "/api/analytics/integrations" + query({ window: f.window })),
      ]);
      draw(t, ia);
    } catch (err) {
      replace(out, h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  }

  function draw(t, ia) {
    // Buckets are UTC hours and days, so they are labelled in UTC.
    const label = (s) => (t.bucket === "hour"
      ? new Date(s).toLocaleTimeString(undefined, { hour: "2-digit", timeZone: "UTC" })
      : new Date(s).toLocaleDateString(undefined, { month: "numeric", day: "numeric", timeZone: "UTC" }));
    const cls = t.classifier || {};
    replace(out,
      h("div", { class: "kpis" },
        kpi("Tickets", t.total), kpi("First response (median)", fmtDur(durOf(t.first_response.count, t.first_response.median))), kpi("First response p90", fmtDur(durOf(t.first_response.count, t.first_response.p90))),
        kpi("Resolution (median)", fmtDur(durOf(t.resolution.count, t.resolution.median))), kpi("Resolution p90", fmtDur(durOf(t.resolution.count, t.resolution.p90))),
        kpi("SLA compliance", pctOf(t.sla.compliance, slaCounted(t.sla))), kpi("CSAT", t.csat.count ? `${t.csat.average.toFixed(2)} (${t.csat.count})` : "—")),
      h("div", { class: "charts" },
        // Many buckets (per hour) get the whole row, so the bars stay readable.
        card("Volume", barChart(t.volume.map((v) => ({ label: label(v.start), value: v.count })), { title: "Tickets created per " + t.bucket + " (UTC)" }),
          t.volume.length > 24 ? "wide" : ""),
        card("CSAT distribution", barChart((t.csat.distribution || []).map((n, i) => ({ label: "★".repeat(i + 1), value: n, cls: "csat-" + (i + 1) })),
          { title: "Ratings from 1 to 5 stars" })),
        card("By category", hbars(Object.entries(t.by_category).map(([k, v]) => ({ label: k, value: v })), { title: "Tickets by category" })),
        card("By priority", hbars(["urgent", "high", "medium", "low"].map((k) => ({ label: k, value: t.by_priority[k] || 0, cls: k === "urgent" ? "bad" : k === "high" ? "warn" : "" })), { title: "Tickets by priority" }))),
      h("section", { class: "card" }, h("h2", {}, "SLA"),
        h("p", {}, `First response: ${t.sla.first_response_met} met, ${t.sla.first_response_breached} breached. Resolution: ${t.sla.resolution_met} met, ${t.sla.resolution_breached} breached.`)),
      h("section", { class: "card" }, h("h2", {}, "Agents"), table(["Agent", "Assigned", "Active", "Resolved", "Mean first response", "Mean resolution", "CSAT"],
        (t.agents || []).map((a) => [ctx.agentName(a.agent_id), a.assigned, a.active, a.resolved, fmtDur(seconds(a.mean_first_response) > 0 ? a.mean_first_response : undefined), fmtDur(durOf(a.resolved, a.mean_resolution)),
          a.csat_count ? `${a.csat_average.toFixed(2)} (${a.csat_count})` : "—"]))),
      h("section", { class: "card" }, h("h2", {}, "Classifier"),
        h("p", {}, `${cls.classified ?? 0} classified, ${cls.failed ?? 0} failed, mean confidence ${pctOf(cls.mean_confidence, cls.classified)}, ${cls.corrections ?? 0} corrected by agents (${pctOf(cls.correction_rate, cls.classified)}).`),
        h("p", { class: "muted small" }, "Models: " + Object.entries(cls.by_model || {}).map(([m, n]) => `${m} ${n}`).join(", "))),
      h("section", { class: "card" }, h("h2", {}, "Integrations, last " + ia.window),
        table(["Integration", "Status", "Uptime", "Check p95", "Calls", "Success", "Call p50", "Call p95", "Call p99"],
          ia.integrations.map((i) => [i.name, i.status, pctOf(i.stats.uptime, i.stats.checks, 2), fmtDur(durOf(i.stats.checks, i.stats.check_latency?.p95)), i.stats.calls, pctOf(i.stats.success_rate, i.stats.calls),
            fmtDur(durOf(i.stats.calls, i.stats.call_latency?.p50)), fmtDur(durOf(i.stats.calls, i.stats.call_latency?.p95)), fmtDur(durOf(i.stats.calls, i.stats.call_latency?.p99))]))));
  }

  async function loadModel() {
    try {
      drawModel(await api("GET", "/api/classifier"));
    } catch (err) {
      replace(model, h("h2", { id: "classifier-model-h" }, "Classifier model"), h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  }

  function drawModel(st) {
    const learned = st.from_corrections
      ? `Retrained from ${st.corrections} agent correction${st.corrections === 1 ? "" : "s"} on ${fmtTime(st.trained_at)}.`
      : "The shipped model, not retrained from corrections.";
    const live = st.live_corrections ? ` ${st.live_corrections} more learned live since.` : "";
    replace(model, h("h2", { id: "classifier-model-h" }, "Classifier model"),
      h("p", {}, h("strong", {}, st.model || "—"), " ", learned, live),
      h("p", { class: "muted small", role: "status" }, st.training ? "A retrain is running." : ""),
      ctx.me?.role === "admin"
        ? h("button", { type: "button", id: "classifier-retrain", disabled: st.training, onclick: retrain }, "Retrain from corrections")
        : null);
  }

  // retrain starts a retrain (it runs in the background on the server) and
  // polls the status until it is done.
  async function retrain(ev) {
    const btn = ev.currentTarget;
    btn.disabled = true;
    btn.textContent = "Retraining…";
    try {
      let st = await api("POST", "/api/classifier/train");
      drawModel(st);
      while (st.training && document.body.contains(model)) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        st = await api("GET", "/api/classifier");
      }
      if (document.body.contains(model)) {
        toast("Retrain finished");
        drawModel(st);
      }
    } catch (err) {
      toast(errorText(err), "error");
      await loadModel();
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  await Promise.all([load(), loadModel()]);
}

function kpi(label, value) {
  return h("div", { class: "kpi" }, h("div", { class: "kpi-value" }, String(value)), h("div", { class: "kpi-label" }, label));
}

function card(title, chart, cls = "") {
  return h("figure", { class: ("card " + cls).trim() }, chart, h("figcaption", {}, title));
}

function table(head, rows) {
  return h("div", { class: "table-wrap" }, h("table", { class: "table" },
    h("thead", {}, h("tr", {}, head.map((c, i) => h("th", { scope: "col", class: i ? "num" : "" }, c)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { class: i ? "num" : "" }, String(c))))))));
}
