// tickets.js: the ticket list (filters, "load more" by cursor) and a
// ticket's detail (classification, trail, reply and note, changes with
// version checks). The detail redraws when the ticket changes; fields the
// agent has changed and not saved are kept then, with a notice when
// someone else changed the ticket (saving then gets the version conflict).

import { api, h, replace, query, select, input, badge, fmtTime, ago, toast, errorText, APIError, filledText } from "../api.js";
import { reloadOnEvents } from "../live.js";

const STATUSES = ["new", "open", "pending", "resolved", "closed"];
const CATEGORIES = ["billing", "technical", "general", "sensitive"];
const PRIORITIES = ["low", "medium", "high", "urgent"];
const FIELDS = [["status", "Status"], ["priority", "Priority"], ["category", "Category"], ["assignee_id", "Assignee"]];
const opts = (vals, any) => [...(any ? [["", any]] : []), ...vals.map((v) => [v, v])];

export async function render(root, ctx, id) {
  if (id) return detail(root, ctx, id);
  return list(root, ctx);
}

function assigneeOptions(ctx, any) {
  const o = any ? [["", any], ["me", "Me"], ["none", "Unassigned"]] : [["", "Unassigned"]];
  for (const a of ctx.agents.values()) o.push([a.id, a.name]);
  return o;
}

async function list(root, ctx) {
  const saved = JSON.parse(sessionStorage.getItem("icc.ticketFilters") || "{}");
  const form = h("form", { class: "filters", role: "search", "aria-label": "Ticket filters" },
    select("status", "Status", opts(STATUSES, "Any"), saved.status),
    select("category", "Category", opts(CATEGORIES, "Any"), saved.category),
    select("priority", "Priority", opts(PRIORITIES, "Any"), saved.priority),
    input("queue", "Queue", { value: saved.queue || "", placeholder: "any" }),
    select("assignee", "Assignee", assigneeOptions(ctx, "Anyone"), saved.assignee),
    input("text", "Search", { type: "search", value: saved.text || "", placeholder: "subject or body" }),
    h("button", { type: "submit", class: "primary" }, "Apply"),
    h("button", { type: "reset" }, "Clear"));
  const tbody = h("tbody", { id: "ticket-rows" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
  const msg = h("p", { class: "muted", role: "status" });
  replace(root, h("h1", {}, "Tickets"), form,
    h("div", { class: "table-wrap" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["#", "Subject", "Status", "Priority", "Category", "Queue", "Assignee", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      tbody)), msg, more);

  let next = "";
  let applied = {}; // the filters of the rows shown ("Apply" sets them)
  let gen = 0; // bumped by every reset and refresh: an older answer is dropped
  // load shows the first page of tickets (reset: for the form's filters),
  // or the next page ("Load more"), or (refresh) the rows shown again, as
  // they are now, in place: live, on ticket events and every 30 s, which
  // also notices an ended session (the 401 shows the sign-in form).
  async function load(reset, refresh = false) {
    if (reset) {
      applied = Object.fromEntries(new FormData(form));
      sessionStorage.setItem("icc.ticketFilters", JSON.stringify(applied));
      tbody.replaceChildren();
      next = "";
      more.hidden = true;
    }
    const g = reset || refresh ? ++gen : gen;
    if (!refresh) msg.textContent = "Loading…";
    try {
      const limit = refresh ? Math.min(500, Math.max(25, tbody.children.length)) : 25;
      const page = await api("GET", "/api/tickets" + query({ ...applied, limit, cursor: refresh ? "" : next }));
      if (g !== gen) return; // a newer reset or refresh draws
      const rows = page.items.map((t) => row(ctx, t));
      if (refresh) {
        // Keep the focus on the ticket link it was on.
        const focused = tbody.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
        tbody.replaceChildren(...rows);
        if (focused) [...tbody.querySelectorAll("a")].find((a) => a.getAttribute("href") === focused)?.focus();
      } else tbody.append(...rows);
      next = page.next || "";
      more.hidden = !next;
      msg.textContent = tbody.children.length ? "" : "No tickets match these filters.";
    } catch (err) {
      if (g === gen) msg.textContent = errorText(err);
    }
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load(true);
  });
  form.addEventListener("reset", () => setTimeout(() => load(true)));
  more.addEventListener("click", () => load(false));
  await load(true);
  return reloadOnEvents(ctx.live, () => load(false, true), {
    every: 30000,
    match: (f) => f.event && (f.event.topic === "tickets" || f.event.type === "resync"),
  });
}

function row(ctx, t) {
  const link = h("a", { href: "#/tickets/" + encodeURIComponent(t.id) }, t.subject || "(no subject)");
  return h("tr", {},
    h("td", {}, String(t.number)), h("td", {}, link, t.escalated ? h("span", { class: "badge b-urgent" }, "escalated") : null),
    h("td", {}, badge(t.status)), h("td", {}, badge(t.priority)), h("td", {}, t.category), h("td", {}, t.queue),
    h("td", {}, ctx.agentName(t.assignee_id)), h("td", { title: fmtTime(t.created_at) }, ago(t.created_at)));
}

async function detail(root, ctx, id) {
  const path = "/api/tickets/" + encodeURIComponent(id);
  let ticket;
  const head = h("div");
  const side = h("aside", { class: "card", "aria-label": "Ticket fields" });
  const trail = h("ol", { class: "trail", id: "ticket-trail" });
  const banner = h("p", { class: "error", role: "alert" });
  const text = h("textarea", { id: "reply-body", name: "body", rows: 4, required: true });
  const compose = h("form", { class: "stack card", id: "reply-form" },
    h("label", { for: "reply-body" }, "Reply to the customer, or add an internal note"), text,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary", value: "reply" }, "Send reply"),
      h("button", { type: "submit", value: "note" }, "Add note")));
  replace(root, h("p", {}, h("a", { href: "#/tickets" }, "← All tickets")), banner,
    h("div", { class: "detail" }, h("div", { class: "stack" }, head, compose, h("section", { class: "card" }, h("h2", {}, "Activity"), trail)), side));

  let customer = null; // the ticket's customer, once looked up
  let integrations = null; // integration id -> name, for incident events
  let loads = 0; // loads started: only the latest one draws
  // load fetches the ticket and redraws. discard drops the agent's unsaved
  // field changes (after a save, or when they ask to reload); otherwise
  // drawSide keeps them.
  async function load(discard = false) {
    if (discard) discardEdits = true;
    const n = ++loads;
    integrations ??= await api("GET", "/api/integrations?limit=500")
      .then((p) => new Map(p.items.map((i) => [i.id, i.name]))).catch(() => new Map());
    const [t, ev] = await Promise.all([api("GET", path), api("GET", path + "/events")]);
    if (n !== loads) return; // a later load (from a later change) draws
    ticket = t;
    if (customer?.id !== t.customer_id) {
      customer = await api("GET", "/api/customers/" + encodeURIComponent(t.customer_id)).catch(() => null);
      if (n !== loads) return;
    }
    drawHead();
    drawSide();
    replace(trail, ev.items.slice().reverse().map(eventItem));
  }

  function drawHead() {
    const t = ticket;
    const c = t.classification;
    replace(head, h("h1", {}, `#${t.number} `, t.subject),
      h("p", { class: "row" }, badge(t.status), badge(t.priority), h("span", {}, t.category), h("span", { class: "muted" }, "queue " + t.queue),
        h("span", { class: "muted" }, "via " + t.channel), h("span", { class: "muted" }, "created " + fmtTime(t.created_at))),
      h("p", { class: "row", id: "ticket-customer" }, h("strong", {}, "Customer:"),
        customer ? h("span", {}, customer.name ? `${customer.name} <${customer.email}>` : customer.email) : h("span", { class: "muted" }, t.customer_id),
        customer?.tier ? badge(customer.tier) : null, customer?.account ? h("span", { class: "muted" }, customer.account) : null),
      t.tags?.length ? h("p", { class: "row", id: "ticket-tags" }, h("strong", {}, "Tags:"), ...t.tags.map((tag) => h("span", { class: "badge" }, tag))) : null,
      h("section", { class: "card" }, h("h2", {}, "Message"), h("p", { class: "pre" }, t.body)),
      c ? h("section", { class: "card", id: "classification" }, h("h2", {}, "Classification"),
        h("dl", { class: "facts" },
          fact("Category", c.category), fact("Priority", c.priority), fact("Sentiment", `${c.sentiment || "—"}`),
          fact("Intent", c.intent || "—"), fact("Confidence", c.confidence ? (c.confidence * 100).toFixed(0) + "%" : "—"),
          fact("Escalate", c.escalate ? "yes" + (c.reasons?.length ? ` (${c.reasons.join(", ")})` : "") : "no"), fact("Model", c.model || "—")),
        c.suggested_reply ? h("div", { class: "suggest" }, h("strong", {}, "Suggested reply: "), c.suggested_reply, " ",
          h("button", { type: "button", class: "link", onclick: () => { text.value = c.suggested_reply; text.focus(); } }, "Use it")) : null,
        c.error ? h("p", { class: "error" }, c.error) : null) : null,
      h("p", { class: "muted small" }, "First response due ", fmtTime(t.first_response_due), t.first_response_breached ? " (breached)" : "",
        "; resolution due ", fmtTime(t.resolution_due), t.resolution_breached ? " (breached)" : ""));
  }

  // The fields form and the ticket it was drawn from (its base): what the
  // agent changed is the form's difference from its base, and a save sends
  // the base's version, so that a change by someone else since is a 409.
  let fields = null; // {form, base}
  let discardEdits = false; // the next draw drops unsaved changes
  let saving = false; // a save, reply or note is on its way: the change it causes is the agent's own
  let ownVersion = 0; // the version the agent's own reply or note made, if nobody else's came between
  const changed = h("div", { class: "notice", id: "ticket-changed", role: "status", hidden: true });

  // edits returns the fields the agent has changed and not saved, name -> value.
  function edits() {
    if (!fields) return {};
    const v = Object.fromEntries(new FormData(fields.form));
    const out = {};
    for (const [k] of FIELDS) if ((v[k] ?? "") !== (fields.base[k] || "")) out[k] = v[k] ?? "";
    return out;
  }

  function drawSide() {
    const t = ticket;
    const mine = discardEdits ? {} : edits();
    discardEdits = false;
    if (Object.keys(mine).length && fields && t.version !== fields.base.version) {
      if (saving) return; // the save's own change: it redraws when done
      if (t.version !== ownVersion) {
        // Someone else changed the ticket: keep the form as it is, and say so.
        showChanged(t);
        return;
      }
      // The agent's own reply or note: the form moves to the new version,
      // with the agent's changes applied on top.
    } else if (Object.keys(mine).length && fields) {
      return; // nothing new: leave the form alone
    }
    const f = h("form", { class: "stack", id: "ticket-fields" },
      h("h2", {}, "Fields"),
      select("status", "Status", opts(STATUSES), mine.status ?? t.status),
      select("priority", "Priority", opts(PRIORITIES), mine.priority ?? t.priority),
      select("category", "Category", opts(CATEGORIES), mine.category ?? t.category),
      select("assignee_id", "Assignee", assigneeOptions(ctx), mine.assignee_id ?? (t.assignee_id || "")),
      h("button", { type: "submit", class: "primary" }, "Save changes"),
      h("p", { class: "muted small" }, `Version ${t.version}, updated ${ago(t.updated_at)}`));
    const base = t;
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const v = Object.fromEntries(new FormData(f));
      const change = { version: base.version };
      for (const k of ["status", "priority", "category"]) if (v[k] !== base[k]) change[k] = v[k];
      if (v.assignee_id !== (base.assignee_id || "")) change.assignee_id = v.assignee_id;
      if (Object.keys(change).length === 1) return toast("Nothing changed");
      saving = true;
      try {
        await api("PATCH", path, change);
        banner.textContent = "";
        toast("Ticket updated");
      } catch (err) {
        if (err instanceof APIError && err.status === 409) {
          banner.textContent = "Someone else changed this ticket (or the assignee is full) before you saved. It has been reloaded: check it and apply your change again.";
        } else {
          banner.textContent = errorText(err);
        }
      } finally {
        saving = false;
      }
      try {
        await load(true);
      } catch (err) {
        banner.textContent = errorText(err); // offline: the save's own message says the same
      }
    });
    fields = { form: f, base };
    changed.hidden = true;
    replace(changed);
    replace(side, changed, f);
  }

  // showChanged tells the agent, whose unsaved changes are kept, that the
  // ticket is now at t's version, and what changed in its fields.
  function showChanged(t) {
    const b = fields.base;
    const show = (k, x) => (k === "assignee_id" ? ctx.agentName(x) : x || "—");
    const diffs = FIELDS.filter(([k]) => (b[k] || "") !== (t[k] || ""))
      .map(([k, label]) => `${label.toLowerCase()} ${show(k, b[k])} → ${show(k, t[k])}`);
    changed.hidden = false;
    replace(changed,
      h("strong", {}, "Someone else changed this ticket"),
      ` while you were editing: it is now version ${t.version}`, diffs.length ? ` (${diffs.join("; ")})` : "", ". ",
      "Your unsaved changes are kept below; saving them will report the conflict. ",
      h("button", { type: "button", class: "link", onclick: () => load(true).catch((e) => (banner.textContent = errorText(e))) },
        "Discard my changes and reload"));
  }

  compose.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const kind = ev.submitter && ev.submitter.value === "note" ? "notes" : "replies";
    if (!filledText(text)) return;
    for (const b of compose.querySelectorAll("button")) b.disabled = true;
    try {
      const base = fields?.base.version;
      let t;
      saving = true; // until its answer says which version it made
      try {
        t = await api("POST", `${path}/${kind}`, { body: text.value });
      } finally {
        saving = false;
      }
      // The reply's own new version is not someone else's change: the
      // fields move on to it at once (see drawSide), so that a save right
      // after it is checked against that version.
      if (t && t.version === base + 1) {
        ownVersion = t.version;
        ticket = t;
        drawSide();
      }
      text.value = "";
      toast(kind === "notes" ? "Note added" : "Reply sent");
      await load();
    } catch (err) {
      banner.textContent = errorText(err);
    } finally {
      for (const b of compose.querySelectorAll("button")) b.disabled = false;
    }
  });

  function eventItem(e) {
    const who = e.actor_type === "agent" ? ctx.agentName(e.actor_id) : e.actor_type;
    let what = e.type.replaceAll("_", " ");
    if (e.from || e.to) {
      const show = (x) => (e.type === "assigned" ? ctx.agentName(x) : e.type === "incident_linked" ? integrations.get(x) || x : x);
      what += e.from ? `: ${show(e.from)} → ${show(e.to || "—")}` : `: ${show(e.to)}`;
    }
    return h("li", { class: "ev ev-" + e.type },
      h("div", { class: "ev-head" }, h("strong", {}, what), " ", h("span", { class: "muted small" }, `${who}, ${fmtTime(e.created_at)}`)),
      e.body ? h("div", { class: "pre ev-body" }, e.body) : null);
  }

  await load();
  return reloadOnEvents(ctx.live, load, {
    delay: 300,
    match: (f) => f.event && (f.event.id === id || f.event.type === "resync"),
  });
}

function fact(k, v) {
  return [h("dt", {}, k), h("dd", {}, v)];
}
