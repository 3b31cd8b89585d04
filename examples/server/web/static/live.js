// live.js: one WebSocket to /ws for the whole session. It reconnects with
// backoff, re-subscribes every conversation after the highest seq seen
// (so nothing is lost or repeated), and hands frames to listeners. While
// the page is hidden in the back/forward cache it is suspended (the socket
// closed, so the agent no longer counts as online) and resumes when the
// page is shown again.

/** Live is a self-healing chat connection. */
export class Live {
  /** @param {string} query extra query string, e.g. "token=…" for customers. */
  constructor(query = "") {
    this.query = query;
    this.listeners = new Map();
    this.subs = new Map(); // conversation id -> highest seq seen
    this.sent = new Set(); // conversation ids subscribed on the current socket
    this.queue = [];
    this.ws = null;
    this.closed = false;
    this.suspended = false; // closed while the page is hidden; resume reconnects
    this.failures = 0; // connection attempts in a row that never opened
    this.timer = 0; // the next reconnect
    this.delay = 500;
    this.connected = false;
    this.wasReady = false; // a socket was ready before: a ready means a reconnect
  }

  /** on adds a listener for a frame type ("*" for every frame, "status" for connection changes). */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type).delete(fn);
  }

  emit(type, frame) {
    for (const fn of this.listeners.get(type) || []) fn(frame);
    if (type !== "status") for (const fn of this.listeners.get("*") || []) fn(frame);
  }

  connect() {
    if (this.ws || this.closed || this.suspended) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws${this.query ? "?" + this.query : ""}`);
    this.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      opened = true;
      this.connected = true;
      this.failures = 0;
      this.delay = 500;
      this.emit("status", { connected: true });
      // Subscribe once per connection: the server rejects a second
      // subscribe for the same conversation on one socket.
      this.sent.clear();
      for (const [id, seq] of this.subs) this.subscribeNow(id, seq);
      const q = this.queue;
      this.queue = [];
      for (const f of q) this.raw(f);
    });
    ws.addEventListener("message", (ev) => {
      if (this.ws !== ws) return;
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      // "ready" comes first: from then on the server delivers every event.
      // After a reconnect, events sent while the socket was down are lost:
      // tell the views to reload, as the server does when its bus missed some.
      if (f.type === "ready") {
        if (this.wasReady) this.emit("event", { type: "event", event: { topic: "chat", type: "resync" } });
        this.wasReady = true;
      }
      if (f.type === "message" && f.message) this.seen(f.conversation_id, f.message.seq);
      if ((f.type === "subscribed" || f.type === "ack") && f.seq) this.seen(f.conversation_id, f.seq);
      this.emit(f.type, f);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return; // a socket given up by suspend
      this.ws = null;
      this.connected = false;
      this.sent.clear();
      // The server refuses a handshake (a session or token no longer valid)
      // with an HTTP answer the browser does not show: failures counts the
      // attempts in a row that never opened, so that listeners can ask the
      // REST API why (status frame {connected: false, failures}).
      if (!opened && !this.suspended) this.failures++;
      this.emit("status", { connected: false, failures: this.failures });
      if (this.closed || this.suspended) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  /**
   * suspend closes the socket without reconnecting, as when the page goes
   * into the back/forward cache (pagehide), so that the server no longer
   * counts this page as online. resume reconnects.
   */
  suspend() {
    if (this.closed || this.suspended) return;
    this.suspended = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    this.connected = false;
    this.sent.clear();
    if (ws) ws.close(1000);
    this.emit("status", { connected: false, failures: 0 });
  }

  /**
   * resume reconnects after suspend; the "ready" of the new socket makes
   * the views reload (a resync event), and subscriptions resume after the
   * highest seq seen.
   */
  resume() {
    if (this.closed || !this.suspended) return;
    this.suspended = false;
    this.delay = 500;
    this.failures = 0;
    this.connect();
  }

  seen(id, seq) {
    if (this.subs.has(id) && seq > this.subs.get(id)) this.subs.set(id, seq);
  }

  raw(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
    else if (frame.type !== "typing") this.queue.push(frame);
  }

  /** send sends a frame now, or once connected. */
  send(frame) {
    this.raw(frame);
  }

  /**
   * subscribe follows a conversation from afterSeq on. Before the socket is
   * open it only records the conversation: the open handler subscribes it
   * (with the highest seq seen), so it is never sent twice.
   */
  subscribe(id, afterSeq) {
    this.subs.set(id, Math.max(afterSeq, this.subs.get(id) ?? 0));
    if (this.connected) this.subscribeNow(id, this.subs.get(id));
  }

  subscribeNow(id, afterSeq) {
    if (this.sent.has(id)) return;
    this.sent.add(id);
    this.ws.send(JSON.stringify({ type: "subscribe", conversation_id: id, after_seq: afterSeq }));
  }

  /** forget stops re-subscribing a conversation after a reconnect. */
  forget(id) {
    this.subs.delete(id);
  }

  /** close ends the connection for good. */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }
}

/**
 * reloadOnEvents calls load a moment after each live event frame that
 * match accepts (all by default, so a burst reloads once), and every
 * `every` ms if given. It returns the function that stops it.
 */
export function reloadOnEvents(live, load, { delay = 400, every = 0, match = () => true } = {}) {
  let timer = 0;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => Promise.resolve().then(load).catch(() => {}), delay);
  };
  const off = live ? live.on("event", (f) => { if (match(f)) soon(); }) : () => {};
  const interval = every ? setInterval(soon, every) : 0;
  return () => {
    off();
    clearInterval(interval);
    clearTimeout(timer);
  };
}
