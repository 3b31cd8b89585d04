// app.js: the agents' single-page app. It checks the session, shows the
// sign-in form or the screen the location hash names, and keeps one live
// WebSocket open for chat and event frames.

import { api, h, replace, toast, errorText, APIError } from "./api.js";
import { Live } from "./live.js";

// Each screen module exports render(root, ctx, ...params) and may return a
// clean-up function, called when another screen is shown.
const screens = {
  dashboard: () => import("./views/dashboard.js"),
  tickets: () => import("./views/tickets.js"),
  chat: () => import("./views/chat.js"),
  integrations: () => import("./views/integrations.js"),
  logs: () => import("./views/logs.js"),
  maintenance: () => import("./views/maintenance.js"),
  analytics: () => import("./views/analytics.js"),
};

const main = document.getElementById("main");
// demo: the server seeded demo data (the icc-demo meta tag, written by the
// server): only then are the demo logins and mock switches shown.
const demo = document.querySelector('meta[name="icc-demo"]')?.content === "on";
const ctx = { me: null, live: null, agents: new Map(), demo };
let cleanup = null;
let renderSeq = 0;
let shownScreen = ""; // the screen route() last drew, to move focus on a change

/** agentName returns an agent's name by id, or a short id. */
ctx.agentName = (id) => (id ? (ctx.agents.get(id)?.name ?? id.slice(-6)) : "Unassigned");

/** loadAgents fills ctx.agents for names and assignee pickers. */
ctx.loadAgents = async () => {
  const page = await api("GET", "/api/agents?limit=500");
  ctx.agents = new Map(page.items.map((a) => [a.id, a]));
  return ctx.agents;
};

async function start() {
  document.getElementById("logout").addEventListener("click", logout);
  // "Skip to content" moves focus to the main region; following its
  // #main would be routed (to the dashboard).
  document.querySelector(".skip")?.addEventListener("click", (ev) => {
    ev.preventDefault();
    main.focus();
  });
  // In the back/forward cache the page is kept alive: close the live
  // connection, so that the agent no longer counts as online, and when the
  // page comes back reconnect (the views reload on the new socket's ready)
  // and check that the session still stands.
  window.addEventListener("pagehide", () => ctx.live?.suspend());
  window.addEventListener("pageshow", (ev) => {
    if (!ev.persisted || !ctx.me) return;
    ctx.live?.resume();
    checkSession();
  });
  window.addEventListener("icc:unauthorized", () => {
    if (ctx.me) {
      ctx.me = null;
      stopLive();
      showLogin("Your session has ended. Please sign in again.");
    }
  });
  try {
    const { agent } = await api("GET", "/api/auth/me");
    await signedIn(agent);
  } catch (err) {
    if (err instanceof APIError && err.status === 401) showLogin();
    else replace(main, h("p", { class: "error" }, errorText(err)));
  }
}

async function signedIn(agent) {
  ctx.me = agent;
  document.getElementById("topbar").hidden = false;
  replace(document.getElementById("me"), agent.name, " ", h("span", { class: "muted" }, `(${agent.role})`));
  try {
    await ctx.loadAgents();
  } catch {
    /* names fall back to ids */
  }
  startLive();
  window.addEventListener("hashchange", route);
  route();
}

function startLive() {
  stopLive();
  ctx.live = new Live();
  const dot = document.getElementById("live-dot");
  ctx.live.on("status", ({ connected, failures }) => {
    dot.classList.toggle("on", connected);
    dot.title = connected ? "Live updates: connected" : "Live updates: reconnecting";
    // The server refuses the WebSocket of an ended session, which the
    // browser does not say: after two refused reconnects ask the API, whose
    // 401 signs the agent out with a message (icc:unauthorized).
    if (!connected && failures >= 2) checkSession();
  });
  ctx.live.connect();
}

/** checkSession asks whether the session still stands; a 401 shows the sign-in form. */
function checkSession() {
  if (ctx.me) api("GET", "/api/auth/me").catch(() => {});
}

function stopLive() {
  if (ctx.live) ctx.live.close();
  ctx.live = null;
}

function showLogin(message = "") {
  window.removeEventListener("hashchange", route);
  if (cleanup) cleanup();
  cleanup = null;
  shownScreen = "";
  document.getElementById("topbar").hidden = true;
  const err = h("p", { class: "error", role: "alert", id: "login-error" }, message);
  const form = h("form", { class: "card login stack", id: "login-form", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to ICC"),
    h("label", { for: "login-email" }, "Email", h("input", { id: "login-email", name: "email", type: "email", required: true, autocomplete: "username" })),
    h("label", { for: "login-password" }, "Password", h("input", { id: "login-password", name: "password", type: "password", required: true, autocomplete: "current-password" })),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    err,
    h("p", { class: "muted small", id: "login-help" }, ctx.demo ? "Demo: admin@example.com / demo-admin, tom@example.com / demo-agent. " : "",
      "Customers chat on the ", h("a", { href: "/widget" }, "widget page"), "."));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const btn = form.querySelector("button");
    btn.disabled = true;
    err.textContent = "";
    try {
      const { agent } = await api("POST", "/api/auth/login", { email: form.email.value, password: form.password.value });
      if (!location.hash || location.hash === "#/login") location.hash = "#/dashboard";
      await signedIn(agent);
    } catch (e) {
      err.textContent = e instanceof APIError && e.status === 401 ? "Wrong email or password." : errorText(e);
      btn.disabled = false;
    }
  });
  replace(main, form);
  form.email.focus();
}

async function logout() {
  try {
    await api("POST", "/api/auth/logout");
  } catch (err) {
    toast(errorText(err), "error");
  }
  ctx.me = null;
  stopLive();
  location.hash = "";
  showLogin("You have signed out.");
}

async function route() {
  if (!ctx.me) return;
  const parts = (location.hash.replace(/^#\/?/, "") || "dashboard").split("/").map(decodeURIComponent);
  const name = screens[parts[0]] ? parts[0] : "dashboard";
  // Focus moves to the new view's heading when another screen (or a ticket
  // or the ticket list) is shown, not when a conversation or integration is
  // chosen on the same screen.
  const moveFocus = name !== shownScreen || name === "tickets";
  shownScreen = name;
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (cleanup) cleanup();
  cleanup = null;
  const seq = ++renderSeq;
  const root = h("div", { class: "screen", "data-screen": name });
  replace(main, root);
  try {
    const mod = await screens[name]();
    if (seq !== renderSeq) return;
    const c = await mod.render(root, ctx, ...parts.slice(1));
    if (seq !== renderSeq) {
      if (typeof c === "function") c();
      return;
    }
    cleanup = typeof c === "function" ? c : null;
    if (moveFocus) focusHeading(root);
  } catch (err) {
    if (seq === renderSeq) replace(root, h("p", { class: "error", role: "alert" }, errorText(err)));
  }
}

/** focusHeading moves focus to a view's heading, unless the agent is typing in it already. */
function focusHeading(root) {
  const h1 = root.querySelector("h1");
  if (!h1 || root.contains(document.activeElement)) return;
  h1.tabIndex = -1;
  h1.focus({ preventScroll: true });
}

start();
