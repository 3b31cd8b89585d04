// widget.js: the customer's chat page. It starts a conversation with
// POST /api/conversations, then chats over /ws with the conversation's
// token. The token and the highest seq seen are kept in sessionStorage, so
// a reload resumes the same conversation with nothing lost or repeated.
// When an agent has read the customer's messages (a read mark of someone
// other than the customer: loaded from the API on open, then live read
// frames), "Seen" shows under the last one read; the highest such mark is
// kept in sessionStorage too (marks never move back, so it stays true).
// A conversation the server no longer knows (its token refused) is
// forgotten, and the customer is offered a new one.

import { api, h, replace, fmtTime, errorText, newClientID, filledText, placeBySeq } from "./api.js";
import { Live } from "./live.js";

const KEY = "icc.widget";
const startForm = document.getElementById("start");
const chat = document.getElementById("chat");
const list = document.getElementById("messages");
const typingLine = document.getElementById("typing");
const sendForm = document.getElementById("send");
const body = document.getElementById("body");
const statusLine = document.getElementById("widget-status");
const startError = document.getElementById("start-error");

let session = null; // {id, token, seq, seen}: seen is the highest seq an agent has read
let live = null;
let customerID = ""; // the conversation's customer: their own read marks are not "Seen"
const shown = new Map(); // seq or client_id -> element
// The "Seen" line, moved under the customer's last message an agent has read.
const seenLine = h("li", { class: "seen", id: "seen" }, "Seen");
const sendButton = sendForm.querySelector("button");

// What the status line says follows from the conversation's state: whether
// the socket is up, whether an agent has written, whether the hub said that
// no agent is online (until one comes online, types or writes: presence
// frames say who is online), and whether the conversation is closed (then
// nothing can be written any more).
const state = { connected: false, reconnecting: false, agent: false, offline: false, closed: false };
const online = new Set(); // agents online now, from presence frames

// What the customer is told when their conversation is gone (the server
// refuses its token: it was deleted, or an in-memory server restarted).
const GONE = "Your previous conversation is no longer available. Please start a new conversation below.";

// System messages the hub writes are told apart by their client_id (see
// chat/assist.go): stable keys, stored once per conversation.
const CLOSED_ID = "chat:closed", OFFLINE_ID = "chat:offline";

function showStatus() {
  let text;
  if (state.closed) text = "This conversation has been closed. Start a new conversation to write to us again.";
  else if (!state.connected) text = state.reconnecting ? "Reconnecting…" : "Connecting…";
  else if (state.agent) text = "Connected — an agent is here.";
  else if (state.offline && online.size === 0) text = "Connected. No agent is online right now; we will answer you by email.";
  else text = "Connected. An agent will be with you shortly.";
  statusLine.textContent = text;
}

function setClosed() {
  if (state.closed) return;
  state.closed = true;
  body.disabled = true;
  sendButton.disabled = true;
  body.placeholder = "This conversation is closed.";
  forgetTypers();
  chat.classList.add("closed");
  showStatus();
}

function save() {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

function addMessage(m) {
  if (!session || shown.has("s" + m.seq)) return;
  const mine = m.sender_type === "customer";
  const pending = m.client_id && shown.get("c" + m.client_id);
  const who = mine ? "You" : m.sender_type === "agent" ? "Support" : m.sender_type === "bot" ? "Assistant" : "";
  const el = h("li", { class: `msg ${mine ? "mine" : m.sender_type}`, "data-seq": m.seq },
    h("div", {}, m.body), h("div", { class: "meta" }, [who, fmtTime(m.created_at)].filter(Boolean).join(" · ")));
  // In seq order: a pending bubble gives way to its stored message where
  // that belongs (after a reconnect others' messages may come first).
  if (pending) {
    pending.remove();
    shown.delete("c" + m.client_id);
  }
  placeBySeq(list, el, m.seq);
  shown.set("s" + m.seq, el);
  if (m.sender_type === "agent") state.agent = true;
  else if (m.sender_type === "system" && m.client_id === OFFLINE_ID) state.offline = true;
  if (m.sender_type === "system" && m.client_id === CLOSED_ID) setClosed();
  else if (m.sender_type === "agent" || m.sender_type === "system") showStatus();
  if (m.seq > session.seq) {
    session.seq = m.seq;
    save();
  }
  if (mine) drawSeen();
  list.scrollTop = list.scrollHeight;
  markRead();
}

// markRead tells the hub the customer has read everything shown, while the
// page is visible (the agents' console shows it as "Seen by customer").
let readSent = 0; // the highest seq this page has said it read
function markRead() {
  if (!live || !session || document.visibilityState !== "visible" || session.seq <= readSent) return;
  readSent = session.seq;
  live.send({ type: "read", conversation_id: session.id, seq: session.seq });
}
document.addEventListener("visibilitychange", markRead);

// seenUpTo notes that an agent has read up to seq (the highest mark wins).
function seenUpTo(seq) {
  if (seq > (session.seen || 0)) {
    session.seen = seq;
    save();
  }
}

// loadSeen loads the agents' stored read marks (the customer's own are not
// "Seen"): on open, for the history drawn next, and after a reconnect, for
// read frames missed meanwhile. Without them, the mark in sessionStorage
// stands.
async function loadSeen() {
  const s = session;
  if (!s || !customerID) return;
  const marks = await api("GET", `/api/conversations/${encodeURIComponent(s.id)}/read-marks`, undefined,
    { Authorization: "Bearer " + s.token }).catch(() => null);
  if (session !== s) return; // a new conversation was started meanwhile
  for (const m of marks?.items || []) if (m.participant_id !== customerID) seenUpTo(m.seq);
  drawSeen();
}

// drawSeen puts "Seen" under the customer's last stored message at or
// below session.seen, the highest seq an agent has read (none: no line).
function drawSeen() {
  const upTo = session?.seen || 0;
  let last = null;
  for (const el of list.querySelectorAll("li.msg.mine[data-seq]")) {
    const seq = Number(el.dataset.seq);
    if (seq <= upTo && (!last || seq > Number(last.dataset.seq))) last = el;
  }
  if (!last) return seenLine.remove();
  if (last.nextElementSibling !== seenLine) last.after(seenLine);
}

async function open() {
  startForm.hidden = true;
  chat.hidden = false;
  showStatus();
  // The conversation's status: a closed one is shown read-only.
  try {
    const c = await api("GET", `/api/conversations/${encodeURIComponent(session.id)}`, undefined, { Authorization: "Bearer " + session.token });
    customerID = c.customer_id || "";
    if (c.status === "closed") setClosed();
  } catch (err) {
    if (gone(err)) return reset(GONE);
  }
  await loadSeen();
  // History first, over REST with the token; then live from the last seq.
  let after = 0;
  try {
    for (;;) {
      const page = await api("GET", `/api/conversations/${encodeURIComponent(session.id)}/messages?after_seq=${after}&limit=500`, undefined,
        { Authorization: "Bearer " + session.token });
      for (const m of page.items) addMessage(m);
      if (page.items.length === 0) break;
      after = page.items[page.items.length - 1].seq;
      if (after >= page.last_seq) break;
    }
  } catch (err) {
    if (gone(err)) return reset(GONE);
    statusLine.textContent = errorText(err);
  }
  live = new Live("token=" + encodeURIComponent(session.token));
  const conn = live;
  live.on("status", ({ connected, failures }) => {
    if (live !== conn) return; // closed by "Start a new conversation"
    state.connected = connected;
    if (!connected) {
      state.reconnecting = true;
      online.clear(); // the next socket's presence frames say who is online
    }
    showStatus();
    // The server answers a token it refuses before the WebSocket upgrade,
    // which the browser does not show: after two failed reconnects, ask
    // the API whether the conversation still exists.
    if (!connected && failures >= 2) checkConversation();
  });
  live.on("subscribed", () => {
    if (live !== conn) return;
    state.connected = true;
    showStatus();
    markRead(); // the history shown before the socket was up
    if (state.reconnecting) loadSeen();
  });
  live.on("message", (f) => addMessage(f.message));
  // Read marks reach every participant, the customer's own included: only
  // an agent's mark (anyone but the customer) says the customer was seen.
  live.on("read", (f) => {
    if (live !== conn || !session || f.conversation_id !== session.id || !customerID || f.participant_id === customerID) return;
    seenUpTo(f.seq);
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    drawSeen();
    if (atEnd) list.scrollTop = list.scrollHeight;
  });
  live.on("presence", (f) => {
    if (live !== conn) return;
    if (f.status === "online") online.add(f.agent_id);
    else online.delete(f.agent_id);
    showStatus();
  });
  live.on("typing", (f) => {
    if (f.sender_type === "customer") return;
    if (f.sender_type === "agent" && f.typing && state.offline) {
      state.offline = false; // an agent is here after all
      showStatus();
    }
    // Each typer (an agent, the bot) is tracked on its own, so that one
    // stopping does not hide another who still types.
    const key = f.sender_type + ":" + (f.sender_id || "");
    clearTimeout(typers.get(key));
    typers.delete(key);
    if (f.typing) typers.set(key, setTimeout(() => { typers.delete(key); drawTyping(); }, f.expires_in_ms || 6000));
    drawTyping();
  });
  live.on("error", (f) => {
    // Never show a raw protocol error to the customer.
    if (f.code === "closed") setClosed();
    const text = friendlyError(f);
    if (text && !state.closed) statusLine.textContent = text;
    const el = f.client_id && shown.get("c" + f.client_id);
    if (el) {
      el.classList.remove("pending");
      el.classList.add("failed");
      el.querySelector(".meta").textContent = "Not sent";
    }
  });
  live.subscribe(session.id, Math.max(session.seq, after));
  live.connect();
  if (!state.closed) body.focus();
}
// gone reports whether an API error says the conversation is no longer
// the customer's: unknown token, another conversation's, or none at all.
function gone(err) {
  return err.status === 401 || err.status === 403 || err.status === 404;
}

// checkConversation asks the API whether the conversation still exists,
// when the WebSocket keeps failing to connect; if the server refuses its
// token, the conversation is forgotten and a new one offered.
let checking = false;
async function checkConversation() {
  const s = session;
  if (!s || checking) return;
  checking = true;
  try {
    await api("GET", `/api/conversations/${encodeURIComponent(s.id)}`, undefined, { Authorization: "Bearer " + s.token });
  } catch (err) {
    if (session === s && gone(err)) reset(GONE);
  } finally {
    checking = false;
  }
}

// typers maps who is typing ("agent:a1", "bot:") to the timer that
// forgets them when their typing expires.
const typers = new Map();

/** drawTyping shows whether anyone on the support side is typing. */
function drawTyping() {
  typingLine.textContent = typers.size ? "Support is typing…" : "";
}

/** forgetTypers clears every typer, as when the conversation is left. */
function forgetTypers() {
  for (const t of typers.values()) clearTimeout(t);
  typers.clear();
  drawTyping();
}

// friendlyError turns an error frame into status text for the customer, or
// "" for errors the customer need not see.
function friendlyError(f) {
  switch (f.code) {
    case "closed": return "This conversation has been closed.";
    case "rate_limited": return "You are sending messages too quickly. Please wait a moment.";
    case "unavailable": return "We could not reach the chat service. Please try again.";
    case "forbidden":
    case "not_found": return "That conversation is no longer available.";
    default: return f.client_id ? "Your message could not be sent. Please try again." : "";
  }
}
let lastTyping = 0;

function reset(message) {
  live?.close();
  live = null;
  session = null;
  sessionStorage.removeItem(KEY);
  shown.clear();
  customerID = "";
  readSent = 0;
  list.replaceChildren();
  online.clear();
  Object.assign(state, { connected: false, reconnecting: false, agent: false, offline: false, closed: false });
  body.disabled = false;
  sendButton.disabled = false;
  body.placeholder = "Type a message…";
  chat.classList.remove("closed");
  forgetTypers();
  chat.hidden = true;
  startForm.hidden = false;
  statusLine.textContent = message || "We usually answer within minutes.";
}

startForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  startError.textContent = "";
  // A message of only spaces is no message: say so, as for an empty box.
  const message = filledText(startForm.elements.message);
  if (!message) return;
  const btn = startForm.querySelector("button");
  btn.disabled = true;
  try {
    const f = Object.fromEntries(new FormData(startForm));
    f.message = message;
    const c = await api("POST", "/api/conversations", f);
    session = { id: c.id, token: c.token, seq: 0, seen: 0 };
    save();
    startForm.reset();
    await open();
  } catch (err) {
    startError.textContent = errorText(err);
  } finally {
    btn.disabled = false;
  }
});

sendForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = body.value.trim();
  if (state.closed || !live) return;
  if (!filledText(body)) return; // only spaces: say so, as for an empty box
  const clientID = newClientID();
  const el = h("li", { class: "msg mine pending" }, h("div", {}, text), h("div", { class: "meta" }, "Sending…"));
  list.appendChild(el);
  shown.set("c" + clientID, el);
  list.scrollTop = list.scrollHeight;
  live.send({ type: "message", conversation_id: session.id, client_id: clientID, body: text });
  live.send({ type: "typing", conversation_id: session.id, typing: false });
  body.value = "";
});

body.addEventListener("keydown", (ev) => {
  // Enter while an input method composes a word picks the word.
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
    ev.preventDefault();
    sendForm.requestSubmit();
  }
});
body.addEventListener("input", () => {
  if (!live || Date.now() - lastTyping < 2000) return;
  lastTyping = Date.now();
  live.send({ type: "typing", conversation_id: session.id, typing: true });
});
document.getElementById("new-chat").addEventListener("click", () => reset());
// In the back/forward cache the page is kept alive: close the socket while
// it is hidden and reconnect (resuming after the last seq) when it is back.
window.addEventListener("pagehide", () => live?.suspend());
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted) live?.resume();
});

const stored = sessionStorage.getItem(KEY);
if (stored) {
  try {
    session = JSON.parse(stored);
    open();
  } catch {
    reset();
  }
}
