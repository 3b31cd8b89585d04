// chat.js: the agents' chat console. The list shows open (or closed)
// conversations with unread counts; an open conversation shows its history
// and continues live over the shared WebSocket: messages, typing, read
// marks, the classifier's view with a suggested reply, and its state (the
// assignee, ticket and status, which other agents may change: the header,
// buttons and reply box follow the conversation's event frames).

import { api, h, replace, query, select, badge, fmtTime, ago, toast, errorText, newClientID, filledText, placeBySeq } from "../api.js";

// System messages the hub writes are told apart by their client_id (see
// chat/assist.go and chat/console.go).
const CLOSED_ID = "chat:closed";

export async function render(root, ctx, openID) {
  const live = ctx.live;
  const filters = h("form", { class: "filters", "aria-label": "Conversation filters" },
    select("status", "Status", [["open", "Open"], ["closed", "Closed"]], "open"),
    select("assignee", "Assignee", [["", "Anyone"], ["me", "Me"], ["none", "Unassigned"]], ""));
  const listEl = h("ul", { class: "conv-list", id: "conversations", "aria-label": "Conversations" });
  const pane = h("section", { class: "card conv", "aria-label": "Conversation", id: "conversation" },
    h("p", { class: "muted" }, "Choose a conversation on the left."));
  replace(root, h("h1", {}, "Chat"), h("div", { class: "chat" }, h("div", { class: "card" }, filters, listEl), pane));

  let current = null; // {conv, seq, shown: Map, customer}
  // typers maps who is typing in the open conversation ("customer:c1",
  // "agent:a2", "bot:") to their name and the timer that forgets them.
  const typers = new Map();
  const typerName = (f) => f.sender_type === "customer" ? "The customer" : f.sender_type === "bot" ? "The assistant" : ctx.agentName(f.sender_id);
  const drawTyping = () => {
    if (!current) return;
    const names = [...typers.values()].map((t) => t.name);
    current.els.typing.textContent = names.length ? `${names.join(" and ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  };
  const forgetTypers = () => {
    for (const t of typers.values()) clearTimeout(t.timer);
    typers.clear();
  };
  const classifications = new Map(); // conversation id -> latest classification frame
  // conversation id -> participant id -> read mark, from the read frames of
  // every conversation this socket follows and the marks loaded when a
  // conversation is opened (a mark never moves back: the higher one wins).
  const readMarks = new Map();
  function setMark(convID, participantID, seq) {
    if (!readMarks.has(convID)) readMarks.set(convID, new Map());
    const marks = readMarks.get(convID);
    marks.set(participantID, Math.max(seq, marks.get(participantID) || 0));
  }

  // triageBadges sums up the classifier's reading of a conversation's
  // latest customer message for the list: its category, a high or urgent
  // priority, and whether it asks for a human.
  function triageBadges(t) {
    if (!t) return null;
    return h("span", { class: "triage", "aria-label": "Classifier" }, badge(t.category),
      t.priority === "high" || t.priority === "urgent" ? badge(t.priority) : null,
      t.escalate ? badge("escalated", "b-urgent") : null);
  }

  async function loadList() {
    const f = Object.fromEntries(new FormData(filters));
    const page = await api("GET", "/api/conversations" + query({ ...f, limit: 100 }));
    replace(listEl, page.items.length ? page.items.map((c) => h("li", {},
      h("button", { type: "button", "data-id": c.id, "data-subject": c.subject || "", "aria-current": current && current.conv.id === c.id ? "true" : "false",
        onclick: () => { location.hash = "#/chat/" + encodeURIComponent(c.id); } },
        h("strong", {}, c.subject || "(no subject)"),
        h("span", { class: "muted small" }, `${c.assignee_id ? ctx.agentName(c.assignee_id) : "Unassigned"} · ${ago(c.last_message_at || c.created_at)}`),
        triageBadges(c.triage),
        c.unread > 0 && !(current && current.conv.id === c.id) ? h("span", { class: "unread", "aria-label": `${c.unread} unread` }, String(c.unread)) : null))) :
      h("li", { class: "muted" }, "No conversations."));
  }
  filters.addEventListener("change", () => loadList().catch((e) => toast(errorText(e), "error")));

  async function open(id) {
    const path = "/api/conversations/" + encodeURIComponent(id);
    const conv = await api("GET", path);
    if (current) live?.forget(current.conv.id);
    forgetTypers();
    current = { conv, seq: 0, shown: new Map(), customer: null };
    const msgs = h("ol", { class: "messages", id: "chat-messages", "aria-live": "polite" });
    const typing = h("p", { class: "typing muted", "aria-live": "polite" });
    const classif = h("div", { class: "classif", id: "chat-classification" });
    const text = h("textarea", { id: "chat-body", rows: 2, required: true, placeholder: "Reply…" });
    const send = h("button", { type: "submit", class: "primary" }, "Send");
    const composer = h("form", { class: "composer" }, h("label", { for: "chat-body", class: "sr-only" }, "Message"), text, send);
    const head = h("div");
    current.els = { msgs, typing, classif, text, send, head };
    replace(pane, head, msgs, typing, composer, classif);
    drawHead();
    drawComposer();
    // The customer's name labels their messages: known before they are drawn,
    // as are the stored read marks ("Seen by customer" after a reload).
    const [customer, marks] = await Promise.all([
      api("GET", "/api/customers/" + encodeURIComponent(conv.customer_id)).catch(() => null),
      api("GET", `${path}/read-marks`).catch(() => null)]);
    if (!current || current.conv.id !== id) return; // another conversation was opened meanwhile
    current.customer = customer;
    for (const m of marks?.items || []) setMark(id, m.participant_id, m.seq);
    drawHead();

    let after = 0;
    for (;;) {
      const page = await api("GET", `${path}/messages?after_seq=${after}&limit=500`);
      for (const m of page.items) addMessage(m);
      if (!page.items.length) break;
      after = page.items[page.items.length - 1].seq;
      if (after >= page.last_seq) break;
    }
    drawClassification();
    drawSeen();
    live?.subscribe(id, after);
    markRead();

    composer.addEventListener("submit", (ev) => {
      ev.preventDefault();
      // A closed conversation's box is disabled; the hub is the judge of a
      // send that races the close (its refusal shows on the bubble).
      if (current?.conv.id !== id) return;
      const body = filledText(text);
      if (!body) return;
      const clientID = newClientID();
      const el = h("li", { class: "msg mine pending" }, h("div", { class: "pre" }, body), h("div", { class: "meta" }, "Sending…"));
      msgs.appendChild(el);
      current.shown.set("c" + clientID, el);
      msgs.scrollTop = msgs.scrollHeight;
      live.send({ type: "message", conversation_id: id, client_id: clientID, body });
      live.send({ type: "typing", conversation_id: id, typing: false });
      text.value = "";
    });
    let lastTyping = 0;
    text.addEventListener("input", () => {
      if (Date.now() - lastTyping < 2000) return;
      lastTyping = Date.now();
      live?.send({ type: "typing", conversation_id: id, typing: true });
    });
    text.addEventListener("keydown", (ev) => {
      // Enter while an input method composes a word picks the word.
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        composer.requestSubmit();
      }
    });
  }

  function drawHead() {
    const c = current.conv, cu = current.customer;
    const act = (label, fn, props = {}) => h("button", { type: "button", ...props, onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await fn();
      } catch (err) {
        toast(errorText(err), "error");
      }
      ev.target.disabled = false;
    } }, label);
    const path = "/api/conversations/" + encodeURIComponent(c.id);
    const refresh = async () => {
      await refreshConv();
      loadList().catch(() => {});
    };
    replace(current.els.head,
      h("h2", {}, c.subject || "(no subject)"),
      h("p", { class: "row small", id: "chat-state" }, badge(c.status), cu ? `${cu.name || ""} <${cu.email}>` : "", cu?.tier ? badge(cu.tier) : null,
        h("span", { class: "muted", id: "chat-assignee" }, c.assignee_id ? "Assigned to " + ctx.agentName(c.assignee_id) : "Unassigned"),
        c.ticket_id ? h("a", { href: "#/tickets/" + encodeURIComponent(c.ticket_id) }, "Open ticket") : null),
      c.status === "closed" ? null : h("div", { class: "row", id: "chat-actions" },
        c.assignee_id === ctx.me.id ? act("Unassign", async () => { await api("POST", path + "/assign", { agent_id: "" }); await refresh(); })
          : act("Assign to me", async () => { await api("POST", path + "/assign", { agent_id: ctx.me.id }); toast("Assigned to you"); await refresh(); }),
        c.ticket_id ? null : act("Convert to ticket", async () => {
          const t = await api("POST", path + "/ticket", {});
          toast(`Ticket #${t.number} created`);
          await refresh();
        }),
        act("Close", async () => {
          if (!confirm("Close this conversation? The customer can no longer write in it.")) return;
          await api("POST", path + "/close");
          toast("Conversation closed");
          await refresh();
        }, { class: "danger" })));
  }

  // drawComposer enables the reply box while the conversation is open.
  function drawComposer() {
    const { text, send } = current.els;
    const closed = current.conv.status === "closed";
    text.disabled = closed;
    send.disabled = closed;
    text.placeholder = closed ? "This conversation is closed." : "Reply…";
  }

  // refreshConv reloads the open conversation's state (assignee, ticket,
  // status) and redraws its header and reply box: after this agent's
  // actions, and when an event frame says another agent acted on it.
  let convLoads = 0;
  async function refreshConv() {
    if (!current) return;
    const id = current.conv.id, n = ++convLoads;
    const conv = await api("GET", "/api/conversations/" + encodeURIComponent(id));
    if (current?.conv.id !== id || n !== convLoads) return; // another conversation, or a later load
    current.conv = conv;
    drawHead();
    drawComposer();
    drawClassification();
  }
  const refreshSoon = () => refreshConv().catch(() => {});

  function addMessage(m) {
    if (!current || m.conversation_id !== current.conv.id || current.shown.has("s" + m.seq)) return;
    const { msgs } = current.els;
    const mine = m.sender_type === "agent" && m.sender_id === ctx.me.id;
    const who = m.sender_type === "agent" ? ctx.agentName(m.sender_id) : m.sender_type === "customer" ? (current.customer?.name || "Customer")
      : m.sender_type === "bot" ? "Assistant" : m.sender_type === "system" ? "System" : m.sender_type;
    const el = h("li", { class: `msg ${mine ? "mine" : m.sender_type}`, "data-seq": m.seq },
      h("div", { class: "pre" }, m.body), h("div", { class: "meta" }, `${who} · ${fmtTime(m.created_at)}`));
    const pending = m.client_id && current.shown.get("c" + m.client_id);
    if (pending) {
      pending.remove();
      current.shown.delete("c" + m.client_id);
    }
    placeBySeq(msgs, el, m.seq);
    current.shown.set("s" + m.seq, el);
    // The close's system message: the state changes with it (the event
    // frame follows).
    if (m.sender_type === "system" && m.client_id === CLOSED_ID && current.conv.status !== "closed") {
      current.conv = { ...current.conv, status: "closed" };
      drawHead();
      drawComposer();
      refreshSoon();
    }
    current.seq = Math.max(current.seq, m.seq);
    if (mine) drawSeen();
    msgs.scrollTop = msgs.scrollHeight;
  }

  // drawSeen puts "Seen by customer" under the agent's last stored message
  // at or below the customer's read mark (no mark: no line).
  function drawSeen() {
    if (!current) return;
    const { msgs } = current.els;
    const upTo = readMarks.get(current.conv.id)?.get(current.conv.customer_id) || 0;
    let last = null;
    for (const el of msgs.querySelectorAll("li.msg.mine[data-seq]")) {
      const seq = Number(el.dataset.seq);
      if (seq <= upTo && (!last || seq > Number(last.dataset.seq))) last = el;
    }
    current.els.seen ??= h("li", { class: "seen", id: "chat-seen" }, "Seen by customer");
    if (!last) return current.els.seen.remove();
    if (last.nextElementSibling !== current.els.seen) last.after(current.els.seen);
  }

  function markRead() {
    if (current && current.seq > 0 && document.visibilityState === "visible") {
      live?.send({ type: "read", conversation_id: current.conv.id, seq: current.seq });
    }
  }

  function drawClassification() {
    if (!current) return;
    // The newer of the live frame and the conversation's stored triage (all
    // there is after a reload, or for a message classified before it was
    // opened); a triage is the frame's classification with seq and at.
    let f = classifications.get(current.conv.id);
    const t = current.conv.triage;
    if (t && (!f || f.seq < t.seq)) f = { conversation_id: current.conv.id, seq: t.seq, classification: t };
    if (!f) return replace(current.els.classif);
    const c = f.classification;
    replace(current.els.classif, h("h3", {}, "Classifier on message ", String(f.seq)),
      h("p", { class: "row" }, badge(c.category), badge(c.priority), badge(c.sentiment || "neutral"),
        c.escalate ? badge("escalate", "b-urgent") : null, h("span", { class: "muted" }, `${c.intent || ""} · ${Math.round((c.confidence || 0) * 100)}%`)),
      c.suggested_reply ? h("div", { class: "suggest" }, h("strong", {}, "Suggested reply: "), c.suggested_reply, " ",
        h("button", { type: "button", class: "link", onclick: () => { current.els.text.value = c.suggested_reply; current.els.text.focus(); } }, "Use it")) : null);
  }

  let listTimer = 0;
  const listSoon = () => {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => loadList().catch(() => {}), 300);
  };
  const offs = live ? [
    live.on("message", (f) => {
      if (current && f.conversation_id === current.conv.id) {
        addMessage(f.message);
        markRead();
      } else listSoon();
    }),
    live.on("classification", (f) => {
      classifications.set(f.conversation_id, f);
      if (current && f.conversation_id === current.conv.id) drawClassification();
    }),
    live.on("typing", (f) => {
      if (!current || f.conversation_id !== current.conv.id || (f.sender_type === "agent" && f.sender_id === ctx.me.id)) return;
      // Each typer is tracked on its own, so that one stopping does not
      // hide another who still types.
      const key = f.sender_type + ":" + (f.sender_id || "");
      const conv = current.conv.id;
      clearTimeout(typers.get(key)?.timer);
      typers.delete(key);
      if (f.typing) {
        const timer = setTimeout(() => { typers.delete(key); if (current?.conv.id === conv) drawTyping(); }, f.expires_in_ms || 6000);
        typers.set(key, { name: typerName(f), timer });
      }
      drawTyping();
    }),
    live.on("read", (f) => {
      setMark(f.conversation_id, f.participant_id, f.seq);
      if (!current || f.conversation_id !== current.conv.id || f.participant_id !== current.conv.customer_id) return;
      const { msgs } = current.els;
      const atEnd = msgs.scrollHeight - msgs.scrollTop - msgs.clientHeight < 40;
      drawSeen();
      if (atEnd) msgs.scrollTop = msgs.scrollHeight;
    }),
    live.on("error", (f) => {
      const el = current && f.client_id && current.shown.get("c" + f.client_id);
      if (el) {
        // A refused message says so, and why, where it stands.
        el.classList.remove("pending");
        el.classList.add("failed");
        el.querySelector(".meta").textContent = "Not sent: " + refusal(f);
      } else toast(`Chat: ${refusal(f)}`, "error");
      if (f.code === "closed" && current && (!f.conversation_id || f.conversation_id === current.conv.id)) refreshSoon();
    }),
    live.on("event", listSoon),
    // Another agent assigned, converted or closed the open conversation
    // (or the server caught up after missing events): redraw its state.
    live.on("event", (f) => {
      const e = f.event || {};
      if (current && ((e.topic === "chat" && e.id === current.conv.id) || e.type === "resync")) refreshSoon();
    }),
  ] : [];
  const every = setInterval(listSoon, 5000);
  document.addEventListener("visibilitychange", markRead);

  // refusal says why the hub refused a frame, for the agent.
  function refusal(f) {
    switch (f.code) {
      case "closed": return "the conversation is closed.";
      case "rate_limited": return "you are sending too quickly; wait a moment.";
      case "unavailable": return "the chat service is unavailable; try again.";
      default: return f.message || f.code || "refused.";
    }
  }

  await loadList();
  if (openID) await open(openID);
  await loadList();
  return () => {
    for (const off of offs) off();
    clearInterval(every);
    clearTimeout(listTimer);
    document.removeEventListener("visibilitychange", markRead);
    if (current) live?.forget(current.conv.id);
  };
}
